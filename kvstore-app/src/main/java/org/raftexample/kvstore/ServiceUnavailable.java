package org.raftexample.kvstore;

/**
 * A request that cannot be served now, with what happened in words a client can act on (retry at
 * once, or after a while); the HTTP API answers it with 503 and this message.
 */
final class ServiceUnavailable extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Whether the request was refused before anything was proposed (a write then surely did not apply). */
    private final boolean notApplied;

    ServiceUnavailable(String message, boolean notApplied) {
        super(message, null, false, false);
        this.notApplied = notApplied;
    }

    boolean notApplied() {
        return notApplied;
    }
}
