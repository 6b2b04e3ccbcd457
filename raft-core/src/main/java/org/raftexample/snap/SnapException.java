package org.raftexample.snap;

/** A snapshot file could not be written, read or decoded. Unchecked: the raft glue cannot go on. */
public class SnapException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A snapshot that cannot be used.
     *
     * @param message why
     */
    public SnapException(String message) {
        super(message);
    }

    /**
     * A snapshot that cannot be used because of another failure.
     *
     * @param message why
     * @param cause the failure behind it
     */
    public SnapException(String message, Throwable cause) {
        super(message, cause);
    }
}
