package org.raftexample.raft;

import com.google.protobuf.ByteString;

/**
 * The answer to a ReadIndex request: once the application has applied up to {@code index}, it
 * may serve the read identified by {@code requestCtx} locally and stay linearizable.
 */
public record ReadState(long index, ByteString requestCtx) {
    /** Prints like Go's {@code %v} of the struct: the index, then the context as a byte list. */
    @Override
    public String toString() {
        return "{" + index + " " + GoFormat.bytesList(requestCtx) + "}";
    }
}
