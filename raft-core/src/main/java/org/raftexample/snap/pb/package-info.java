/**
 * The snapshot file's envelope, generated at build time from {@code snap.proto} (etcd's
 * {@code snappb}): the encoded {@code raftpb.Snapshot} and its CRC-32C.
 *
 * <p>Immutable protobuf values, safe to share between threads.
 */
package org.raftexample.snap.pb;
