package org.raftexample.snap;

/** A snapshot file could not be written, read or decoded. Unchecked: the raft glue cannot go on. */
public class SnapException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SnapException(String message) {
        super(message);
    }

    public SnapException(String message, Throwable cause) {
        super(message, cause);
    }
}
