package org.raftexample.raft;

/** Signals that a requested index predates the last snapshot (etcd's ErrCompacted). */
public final class CompactedException extends StorageException {
    private static final long serialVersionUID = 1L;

    public static final String MESSAGE = "requested index is unavailable due to compaction";

    public CompactedException() {
        super(MESSAGE, false);
    }
}
