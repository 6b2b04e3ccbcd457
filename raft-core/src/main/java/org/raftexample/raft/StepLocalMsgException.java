package org.raftexample.raft;

/**
 * Signals that a message type meant only for the local node arrived through {@link RawNode#step}.
 *
 * <p>It is thrown on ordinary paths, so it carries no stack trace.
 */
public final class StepLocalMsgException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The text etcd uses for this error. */
    public static final String MESSAGE = "raft: cannot step raft local message";

    /** The outcome with etcd's message. */
    public StepLocalMsgException() {
        super(MESSAGE, null, false, false);
    }
}
