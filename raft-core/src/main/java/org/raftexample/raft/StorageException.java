package org.raftexample.raft;

/**
 * The failure of a {@link Storage} call, the Java form of the errors etcd's Storage returns.
 *
 * <p>Raft treats the subclasses as expected outcomes ({@link CompactedException},
 * {@link UnavailableException}, ...). Any other StorageException thrown by an application's
 * storage makes the raft instance unusable, as an unexpected error does in etcd.
 */
public class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * An unexpected storage failure.
     *
     * @param message what failed
     */
    public StorageException(String message) {
        super(message);
    }

    /**
     * An unexpected storage failure caused by another.
     *
     * @param message what failed
     * @param cause the failure behind it
     */
    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * For the well-known outcomes: they are signals, often raised on purpose while probing the
     * log, so they carry no stack trace (which would cost more than the lookup itself).
     *
     * @param message the outcome's message
     * @param withStackTrace whether to record the stack (false for the signals)
     */
    protected StorageException(String message, boolean withStackTrace) {
        super(message, null, false, withStackTrace);
    }
}
