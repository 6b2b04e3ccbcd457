package org.raftexample.raft;

/**
 * Thrown by {@link Storage#snapshot()} when the snapshot is being prepared and should be asked
 * for again later (etcd's ErrSnapshotTemporarilyUnavailable); raft then retries instead of failing.
 */
public final class SnapshotTemporarilyUnavailableException extends StorageException {
    private static final long serialVersionUID = 1L;

    /** The message, as etcd's {@code ErrSnapshotTemporarilyUnavailable} reads. */
    public static final String MESSAGE = "snapshot is temporarily unavailable";

    /** The outcome with etcd's message; no stack trace (it is a signal, not a fault). */
    public SnapshotTemporarilyUnavailableException() {
        super(MESSAGE, false);
    }
}
