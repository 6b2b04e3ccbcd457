package org.raftexample.transport;

import org.raftexample.raftpb.MessageType;

/**
 * Thrown by {@link RaftReceiver#process} when the raft node did not take a received message, typically
 * because {@code Node.step} found its inbound queue full and returned false.
 *
 * <p>The transport then answers a pipeline or snapshot request with 503 instead of 204, so that
 * the sender treats the message as undelivered: it reports the peer unreachable and, for a
 * MsgSnap, reports the snapshot as failed, which lets the leader's raft retry it. On a stream the
 * message is simply lost, which raft's own retries (heartbeats, probes) recover from.
 */
public final class MessageDroppedException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * The type and sender of the message that was dropped, for the log line.
     *
     * @param type the message's type
     * @param from its sender
     */
    public MessageDroppedException(MessageType type, long from) {
        super("raft dropped " + type + " from " + Protocol.formatId(from) + " (inbound queue full)");
    }
}
