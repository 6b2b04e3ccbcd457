package org.raftexample.raft;

/** Signals that a requested index predates the last snapshot (etcd's ErrCompacted). */
public final class CompactedException extends StorageException {
    private static final long serialVersionUID = 1L;

    /** The message, as etcd's {@code ErrCompacted} reads. */
    public static final String MESSAGE = "requested index is unavailable due to compaction";

    /** The outcome with etcd's message; no stack trace (it is a signal, not a fault). */
    public CompactedException() {
        super(MESSAGE, false);
    }
}
