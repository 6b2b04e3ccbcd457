package org.raftexample.transport;

/** The transport could not do what it was asked, for a reason the caller cannot retry around. */
public final class TransportException extends RuntimeException {
    public TransportException(String message, Throwable cause) {
        super(message, cause);
    }
}
