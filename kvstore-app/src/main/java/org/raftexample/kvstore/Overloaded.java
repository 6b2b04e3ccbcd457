package org.raftexample.kvstore;

/** A request refused at once because the node is too far behind to take more (HTTP 429). */
final class Overloaded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Overloaded(String message) {
        super(message, null, false, false);
    }
}
