package org.raftexample.kvstore;

/**
 * A request that is wrong as asked and will stay wrong if retried (adding a member that already is
 * one, removing one that is not); the HTTP API answers it with {@link #status()} and this message.
 */
final class RequestRefused extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    RequestRefused(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }
}
