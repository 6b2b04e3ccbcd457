package org.raftexample.server;

/**
 * Timestamps of an entry's stages through the glue, for {@code scripts/bench-glue --stages}, which
 * prints where a write's time goes. Unset (null) in production: the loops then only read one
 * volatile field per Ready. Called on the raft loop and the apply loop; an implementation must be
 * thread-safe and fast.
 */
public interface GlueTracer {

    /** The stages, in the order a write on the leader passes them. */
    enum Stage {
        /** The raft loop received the Ready holding the new entry. */
        READY,
        /** The leader handed the Ready's messages to the transport. */
        SENT,
        /** The leader's WAL write of the entry returned (fsync done). */
        PERSISTED,
        /** The raft loop received the Ready that commits the entry. */
        COMMITTED,
        /** The apply loop applied the entry. */
        APPLIED
    }

    /**
     * The entry at {@code index} reached {@code stage}.
     *
     * @param stage the stage
     * @param index the entry's index
     * @param nanoTime {@link System#nanoTime()} when it did
     */
    void at(Stage stage, long index, long nanoTime);
}
