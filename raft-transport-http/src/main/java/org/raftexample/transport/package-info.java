/**
 * Raft messages between cluster members over HTTP: a port of etcd's {@code rafthttp} on Jetty 12
 * (see docs/transport.md).
 *
 * <p>Public API: {@link org.raftexample.transport.Transport} (start, add/remove/update peers,
 * send a Ready's messages, stop), its {@link org.raftexample.transport.TransportConfig},
 * limits and timeouts, the errors it queues ({@link org.raftexample.transport.TransportError}),
 * and {@link org.raftexample.transport.RaftReceiver}, the callback interface the application implements
 * (with {@link org.raftexample.transport.MessageDroppedException} to refuse a message). Peers,
 * streams, the pipeline, the snapshot sender and the request handler are package-private.
 *
 * <p>Invariants: messages on one stream arrive in the order sent; every message is either
 * delivered, or raft hears of the failure ({@code reportUnreachable}, and for a MsgSnap
 * {@code reportSnapshot(SnapshotFailure)}); a message to or from a member of another cluster, or from a
 * removed member, is refused; buffers are bounded and a full one drops (raft retries).
 *
 * <p>Thread contract: every public method of {@code Transport} may be called from any thread.
 * The callbacks of {@code RaftReceiver} are called from several transport threads at once (one per
 * stream, pipeline request and snapshot), so an implementation must be thread-safe and return
 * promptly.
 */
package org.raftexample.transport;
