package org.raftexample.wal;

import java.nio.file.Path;

/** Thrown when another process (or another WAL instance in this one) already has the log open. */
public final class WalLockedException extends WalException {
    private static final long serialVersionUID = 1L;

    /**
     * The WAL is in use.
     *
     * @param dir the WAL's directory
     * @param holder who holds its lock, as far as known
     */
    public WalLockedException(Path dir, String holder) {
        super("wal: " + dir + " is already opened by " + holder
                + "; only one process may use a WAL directory at a time");
    }
}
