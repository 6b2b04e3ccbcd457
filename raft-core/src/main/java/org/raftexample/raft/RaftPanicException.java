package org.raftexample.raft;

/**
 * Thrown when raft detects a broken invariant (etcd's raft panics in the same places).
 *
 * <p>It is unchecked on purpose: nothing in raft catches it, and an application should let it
 * reach its top-level handler, log it and stop the node rather than continue with a state
 * machine whose state can no longer be trusted.
 */
public final class RaftPanicException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A broken invariant.
     *
     * @param message what broke
     */
    public RaftPanicException(String message) {
        super(message);
    }

    /**
     * A broken invariant caused by another failure.
     *
     * @param message what broke
     * @param cause the failure behind it
     */
    public RaftPanicException(String message, Throwable cause) {
        super(message, cause);
    }
}
