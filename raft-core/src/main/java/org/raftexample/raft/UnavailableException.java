package org.raftexample.raft;

/** Signals that a requested log entry is not (yet) in the storage (etcd's ErrUnavailable). */
public final class UnavailableException extends StorageException {
    private static final long serialVersionUID = 1L;

    public static final String MESSAGE = "requested entry at index is unavailable";

    public UnavailableException() {
        super(MESSAGE, false);
    }
}
