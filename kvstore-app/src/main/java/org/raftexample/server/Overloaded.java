package org.raftexample.server;

/**
 * A request refused at once because the node is too far behind to take more (too many committed
 * entries wait to be applied, or the raft loop's inbox is full). Nothing was proposed: retrying later is
 * safe. The key-value API answers it with 429.
 */
public final class Overloaded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A refusal saying why.
     *
     * @param message what is too full
     */
    public Overloaded(String message) {
        super(message, null, false, false);
    }
}
