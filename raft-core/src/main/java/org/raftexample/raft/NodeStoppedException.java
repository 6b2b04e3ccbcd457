package org.raftexample.raft;

/**
 * Thrown by every {@link Node} call made after the node has stopped (etcd's {@code ErrStopped}).
 *
 * <p>When the node stopped because its loop failed (a {@link RaftPanicException} or any other
 * throwable escaped raft), that failure is the cause, so the application sees why raft is gone.
 */
public final class NodeStoppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    static final String MESSAGE = "raft: stopped";

    /** A node that was stopped by {@link Node#stop()}. */
    public NodeStoppedException() {
        super(MESSAGE);
    }

    /**
     * A node whose loop died.
     *
     * @param failure what killed the loop, or null
     */
    public NodeStoppedException(Throwable failure) {
        super(failure == null ? MESSAGE : MESSAGE + " (node loop failed: " + failure + ")", failure);
    }
}
