package org.raftexample.raft;

/** Signals a snapshot request for an index older than the existing snapshot (etcd's ErrSnapOutOfDate). */
public final class SnapOutOfDateException extends StorageException {
    private static final long serialVersionUID = 1L;

    public static final String MESSAGE = "requested index is older than the existing snapshot";

    public SnapOutOfDateException() {
        super(MESSAGE, false);
    }
}
