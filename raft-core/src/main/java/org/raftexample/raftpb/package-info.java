/**
 * Raft's wire and storage types, field for field etcd's {@code raftpb}: {@code Message},
 * {@code Entry}, {@code HardState}, {@code Snapshot}, {@code ConfState}, {@code ConfChange} and
 * {@code ConfChangeV2}, generated at build time by protoc from {@code raft.proto} (proto2, the
 * same field numbers, so the bytes are etcd's), plus {@link org.raftexample.raftpb.ConfChanges},
 * the hand-written helpers of etcd's {@code confchange.go} and {@code confstate.go}.
 *
 * <p>Invariants: an absent optional field reads as Go's zero value. The generated messages are
 * immutable protobuf values and may be shared between threads; their builders may not.
 */
package org.raftexample.raftpb;
