/**
 * The WAL's record types, generated at build time from {@code wal.proto} (etcd's {@code walpb}):
 * a {@code Record} frame and the {@code Snapshot} marker (index, term, conf state) a WAL stores
 * when raft takes a snapshot. Not to be confused with {@code raftpb.Snapshot}, the snapshot itself.
 *
 * <p>Immutable protobuf values, safe to share between threads.
 */
package org.raftexample.wal.pb;
