package org.raftexample.kvstore;

import com.google.protobuf.ByteString;

/**
 * What the raft glue drives: the application state built from committed entries.
 *
 * <p>All three methods are called from the glue's single loop thread, in log order, so the state
 * never changes while {@link #snapshot} runs.
 */
interface StateMachine {

    /** Applies the data of the committed normal entry at {@code index}. */
    void apply(long index, ByteString data);

    /** The whole state, to be saved in a raft snapshot. */
    byte[] snapshot();

    /** Replaces the whole state with a snapshot's data. */
    void restore(byte[] snapshot);
}
