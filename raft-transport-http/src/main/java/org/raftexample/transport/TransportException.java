package org.raftexample.transport;

/** The transport could not do what it was asked, for a reason the caller cannot retry around. */
public final class TransportException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A transport failure.
     *
     * @param message what failed
     * @param cause the failure behind it
     */
    public TransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
