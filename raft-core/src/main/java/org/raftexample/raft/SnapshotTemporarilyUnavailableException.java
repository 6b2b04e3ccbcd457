package org.raftexample.raft;

/**
 * Thrown by {@link Storage#snapshot()} when the snapshot is being prepared and should be asked
 * for again later (etcd's ErrSnapshotTemporarilyUnavailable); raft then retries instead of failing.
 */
public final class SnapshotTemporarilyUnavailableException extends StorageException {
    private static final long serialVersionUID = 1L;

    public static final String MESSAGE = "snapshot is temporarily unavailable";

    public SnapshotTemporarilyUnavailableException() {
        super(MESSAGE, false);
    }
}
