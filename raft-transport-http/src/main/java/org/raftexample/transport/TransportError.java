package org.raftexample.transport;

/**
 * A failure the application must act on, as opposed to the transient ones the transport retries by itself.
 *
 * @param kind    what went wrong
 * @param peerId  the peer involved, or 0 when none is
 * @param message a human-readable description
 * @param cause   the underlying exception, or {@code null}
 */
public record TransportError(Kind kind, long peerId, String message, Throwable cause) {

    /** The kinds of fatal transport errors. */
    public enum Kind {
        /** A peer answered 410 Gone: this node has been removed from the cluster and should stop. */
        MEMBER_REMOVED,
        /** The transport's own peer listener could not start or stopped unexpectedly. */
        LISTENER_FAILED
    }

    @Override
    public String toString() {
        return kind + (peerId != 0 ? " (peer " + Long.toHexString(peerId) + ")" : "") + ": " + message;
    }
}
