package org.raftexample.raft;

/** Signals that a requested log entry is not (yet) in the storage (etcd's ErrUnavailable). */
public final class UnavailableException extends StorageException {
    private static final long serialVersionUID = 1L;

    /** The message, as etcd's {@code ErrUnavailable} reads. */
    public static final String MESSAGE = "requested entry at index is unavailable";

    /** The outcome with etcd's message; no stack trace (it is a signal, not a fault). */
    public UnavailableException() {
        super(MESSAGE, false);
    }
}
