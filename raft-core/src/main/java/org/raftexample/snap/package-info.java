/**
 * Snapshot files, a port of etcd's {@code server/etcdserver/api/snap}:
 * {@link org.raftexample.snap.Snapshotter} writes each raft snapshot to
 * {@code <term>-<index>.snap} with a checksum (temporary file, sync, rename) and finds the newest
 * one the WAL knows about on restart.
 *
 * <p>Invariants: a {@code .snap} file is complete or absent; a file that fails its checksum is
 * renamed {@code .broken} and skipped. "No snapshot" is an empty {@code Optional}, not an error.
 *
 * <p>Thread contract: a {@code Snapshotter} keeps no mutable state of its own (everything is on
 * disk), so calls from several threads are safe as long as they do not save the same snapshot
 * at once; raftexample saves from one thread.
 */
package org.raftexample.snap;
