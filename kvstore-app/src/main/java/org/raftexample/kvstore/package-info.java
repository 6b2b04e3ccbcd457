/**
 * raftexample itself: a replicated key-value store over raft-core and raft-transport-http, with
 * the flags, HTTP API and data directory layout of etcd's {@code contrib/raftexample} (see
 * docs/kvstore.md and the tour in docs/tour.md).
 *
 * <p>An application, not a library: nothing here is a supported API.
 *
 * <p>Invariants: a write is acknowledged only once committed and applied; a snapshot's file is
 * saved before its WAL marker, and the WAL before any message of the same Ready is sent by a
 * follower; a fatal storage error stops the process with exit code 1.
 *
 * <p>Thread contract: one raft thread owns the {@code Node}'s Readys, the WAL and the
 * snapshotter; HTTP threads only propose, read and wait; transport threads only step messages
 * and report delivery outcomes. Each class says which of these threads call it.
 */
package org.raftexample.kvstore;
