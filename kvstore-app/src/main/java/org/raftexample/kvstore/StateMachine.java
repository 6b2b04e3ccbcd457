package org.raftexample.kvstore;

import com.google.protobuf.ByteString;

/**
 * What the raft glue drives: the application state built from committed entries. It knows nothing of
 * raft.
 *
 * <p>All three methods are called by one thread at a time, in log order: the starting thread while
 * the node replays its snapshot, then the apply loop. The state therefore never changes while
 * {@link #snapshot} runs.
 */
interface StateMachine {

    /** Applies the data of the committed normal entry at {@code index}. */
    void apply(long index, ByteString data);

    /** The whole state, to be saved in a raft snapshot. */
    byte[] snapshot();

    /** Replaces the whole state with a snapshot's data. */
    void restore(byte[] snapshot);
}
