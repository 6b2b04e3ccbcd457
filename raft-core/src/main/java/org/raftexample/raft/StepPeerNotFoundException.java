package org.raftexample.raft;

/**
 * Signals that a response arrived from a node the progress tracker does not know.
 *
 * <p>It is thrown on ordinary paths, so it carries no stack trace.
 */
public final class StepPeerNotFoundException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The text etcd uses for this error. */
    public static final String MESSAGE = "raft: cannot step as peer not found";

    /** The outcome with etcd's message. */
    public StepPeerNotFoundException() {
        super(MESSAGE, null, false, false);
    }
}
