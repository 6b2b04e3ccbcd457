package org.raftexample.raft;

import java.util.List;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Snapshot;

/**
 * A MemoryStorage whose entries() ignores the size limit raft passes (etcd's
 * ignoreSizeHintMemStorage), for the tests of NodeTest and RawNodeTest that check raft paginates
 * committed entries itself even when its storage returns more than asked.
 */
record IgnoreSizeHintMemStorage(MemoryStorage ms) implements Storage {
    @Override
    public InitialState initialState() {
        return ms.initialState();
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxSize) {
        return ms.entries(lo, hi, Long.MAX_VALUE);
    }

    @Override
    public long term(long i) {
        return ms.term(i);
    }

    @Override
    public long lastIndex() {
        return ms.lastIndex();
    }

    @Override
    public long firstIndex() {
        return ms.firstIndex();
    }

    @Override
    public Snapshot snapshot() {
        return ms.snapshot();
    }
}
