package org.raftexample.raft;

import com.google.protobuf.ByteString;

/** A member of the initial configuration handed to {@link RawNode#bootstrap}; context may be null. */
public record Peer(long id, ByteString context) {
    /**
     * A peer without a context.
     *
     * @param id the member's id
     */
    public Peer(long id) {
        this(id, null);
    }
}
