package org.raftexample.raft.rafttest;

import java.util.List;
import java.util.function.Supplier;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raft.Storage;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Snapshot;

/**
 * The storage of a node in an {@link InteractionEnv}: a {@link MemoryStorage} whose
 * {@link #snapshot()} returns the node's latest state-machine state instead of whatever
 * MemoryStorage last had applied or created, so that a lagging follower is caught up with
 * the most recent snapshot.
 */
final class InteractionStorage implements Storage {
    private final MemoryStorage delegate;
    private final Supplier<Snapshot> latestSnapshot;

    InteractionStorage(MemoryStorage delegate, Supplier<Snapshot> latestSnapshot) {
        this.delegate = delegate;
        this.latestSnapshot = latestSnapshot;
    }

    @Override
    public Snapshot snapshot() {
        return latestSnapshot.get();
    }

    @Override
    public InitialState initialState() {
        return delegate.initialState();
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxSize) {
        return delegate.entries(lo, hi, maxSize);
    }

    @Override
    public long term(long i) {
        return delegate.term(i);
    }

    @Override
    public long lastIndex() {
        return delegate.lastIndex();
    }

    @Override
    public long firstIndex() {
        return delegate.firstIndex();
    }

    void setHardState(HardState st) {
        delegate.setHardState(st);
    }

    void applySnapshot(Snapshot snap) {
        delegate.applySnapshot(snap);
    }

    void compact(long newFirstIndex) {
        delegate.compact(newFirstIndex);
    }

    void append(List<Entry> ents) {
        delegate.append(ents);
    }
}
