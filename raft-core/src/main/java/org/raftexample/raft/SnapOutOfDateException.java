package org.raftexample.raft;

/** Signals a snapshot request for an index older than the existing snapshot (etcd's ErrSnapOutOfDate). */
public final class SnapOutOfDateException extends StorageException {
    private static final long serialVersionUID = 1L;

    /** The message, as etcd's {@code ErrSnapOutOfDate} reads. */
    public static final String MESSAGE = "requested index is older than the existing snapshot";

    /** The outcome with etcd's message; no stack trace (it is a signal, not a fault). */
    public SnapOutOfDateException() {
        super(MESSAGE, false);
    }
}
