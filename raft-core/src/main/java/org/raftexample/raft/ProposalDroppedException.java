package org.raftexample.raft;

/**
 * Signals that a proposal was ignored (no leader, leadership transfer in progress, size limit...); the caller may retry.
 *
 * <p>It is thrown on ordinary paths, so it carries no stack trace.
 */
public final class ProposalDroppedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The text etcd uses for this error. */
    public static final String MESSAGE = "raft proposal dropped";

    /** The outcome with etcd's message. */
    public ProposalDroppedException() {
        super(MESSAGE, null, false, false);
    }
}
