package org.raftexample.wal;

/**
 * An unrecoverable problem with the write-ahead log: an I/O failure, an inconsistency between
 * the log and what the caller asked for, or (see {@link CorruptWalException}) damaged data.
 *
 * <p>Unchecked on purpose: the raft glue cannot continue after any of these and lets the
 * exception reach its top-level handler.
 */
public class WalException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A WAL failure.
     *
     * @param message what failed
     */
    public WalException(String message) {
        super(message);
    }

    /**
     * A WAL failure caused by another.
     *
     * @param message what failed
     * @param cause the failure behind it
     */
    public WalException(String message, Throwable cause) {
        super(message, cause);
    }
}
