package org.raftexample.raft;

import com.google.protobuf.ByteString;
import java.util.List;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * A {@link Storage} kept in memory, as etcd's MemoryStorage: the application appends what it
 * persisted elsewhere (or, in tests, nothing else) and raft reads from it.
 *
 * <p>It is thread-safe: raft reads on its own thread while the application appends, applies
 * snapshots and compacts on another. Lists it returns are views that later writes never
 * change, so they stay valid after the lock is released.
 */
public final class MemoryStorage implements Storage {

    /** How often each Storage method was called; benchmarks report it per operation. */
    public record CallStats(int initialState, int firstIndex, int lastIndex, int entries, int term, int snapshot) {
        /** Prints as Go's {@code %+v} of etcd's inMemStorageCallStats. */
        @Override
        public String toString() {
            return "{initialState:" + initialState + " firstIndex:" + firstIndex + " lastIndex:" + lastIndex
                    + " entries:" + entries + " term:" + term + " snapshot:" + snapshot + "}";
        }
    }

    private HardState hardState = HardState.getDefaultInstance();
    private Snapshot snapshot = ensureSnapshot(null);
    // ents.get(i) has log position i + ents.get(0).getIndex(); ents.get(0) only marks the
    // position (and term) of the latest snapshot, its data is gone.
    private EntrySlice ents;

    private int initialStateCalls;
    private int firstIndexCalls;
    private int lastIndexCalls;
    private int entriesCalls;
    private int termCalls;
    private int snapshotCalls;

    /** An empty storage: the log holds only a dummy entry at index 0, term 0. */
    public MemoryStorage() {
        this(List.of(Entry.getDefaultInstance()));
    }

    /**
     * A storage whose entry array is exactly ents (the first one being the snapshot marker),
     * with an empty snapshot: how etcd's tests build {@code &MemoryStorage{ents: ents}}.
     */
    static MemoryStorage withEntries(List<Entry> ents) {
        return new MemoryStorage(ents);
    }

    private MemoryStorage(List<Entry> ents) {
        this.ents = EntrySlice.copyOf(ents);
    }

    @Override
    public synchronized InitialState initialState() {
        initialStateCalls++;
        return new InitialState(
                hardState, ensureConfState(snapshot.getMetadata().getConfState()));
    }

    /**
     * Saves the current HardState.
     *
     * @param st the hard state to keep
     */
    public synchronized void setHardState(HardState st) {
        hardState = st == null ? HardState.getDefaultInstance() : st;
    }

    @Override
    public synchronized List<Entry> entries(long lo, long hi, long maxSize) {
        entriesCalls++;
        long offset = ents.get(0).getIndex();
        if (lo <= offset) {
            throw new CompactedException();
        }
        if (hi > lastIndexLocked() + 1) {
            DefaultLogger.get().panic("entries' hi(%d) is out of bound lastindex(%d)", hi, lastIndexLocked());
        }
        // Only the dummy entry is left.
        if (ents.size() == 1) {
            throw new UnavailableException();
        }
        return EntrySizes.limitSize(ents.subList((int) (lo - offset), (int) (hi - offset)), maxSize);
    }

    @Override
    public synchronized long term(long i) {
        termCalls++;
        long offset = ents.get(0).getIndex();
        if (i < offset) {
            throw new CompactedException();
        }
        if (i - offset >= ents.size()) {
            throw new UnavailableException();
        }
        return ents.get((int) (i - offset)).getTerm();
    }

    @Override
    public synchronized long lastIndex() {
        lastIndexCalls++;
        return lastIndexLocked();
    }

    private long lastIndexLocked() {
        return ents.get(0).getIndex() + ents.size() - 1;
    }

    @Override
    public synchronized long firstIndex() {
        firstIndexCalls++;
        return firstIndexLocked();
    }

    private long firstIndexLocked() {
        return ents.get(0).getIndex() + 1;
    }

    @Override
    public synchronized Snapshot snapshot() {
        snapshotCalls++;
        // Protobuf messages are immutable, so handing out our own copy is safe.
        return snapshot;
    }

    /**
     * Replaces the contents of this storage with the given snapshot.
     *
     * @param snap the snapshot to install
     * @throws SnapOutOfDateException if the storage already holds a newer (or the same) snapshot
     */
    public synchronized void applySnapshot(Snapshot snap) {
        snap = ensureSnapshot(snap);
        long msIndex = snapshot.getMetadata().getIndex();
        long snapIndex = snap.getMetadata().getIndex();
        // At bootstrap an application may give a snapshot holding only a ConfState, at index
        // and term 0; it must be accepted over the initial empty one.
        if (msIndex != 0 && msIndex >= snapIndex) {
            throw new SnapOutOfDateException();
        }
        snapshot = snap;
        ents = EntrySlice.copyOf(
                List.of(marker(snap.getMetadata().getIndex(), snap.getMetadata().getTerm())));
    }

    /**
     * Records a snapshot of the state machine at index i, retrievable with {@link #snapshot()}
     * and usable to rebuild the state at that point. If the configuration changed since the
     * last compaction, cs must be the result of the last ApplyConfChange; null keeps the
     * previous one.
     *
     * @param i the index the snapshot covers up to; at most the last index
     * @param cs the configuration at that index, or null to keep the last one
     * @param data the state machine's serialized state
     * @return the snapshot now held
     * @throws SnapOutOfDateException if i is not newer than the current snapshot
     */
    public synchronized Snapshot createSnapshot(long i, ConfState cs, ByteString data) {
        if (i <= snapshot.getMetadata().getIndex()) {
            throw new SnapOutOfDateException();
        }
        long offset = ents.get(0).getIndex();
        if (i > lastIndexLocked()) {
            DefaultLogger.get().panic("snapshot %d is out of bound lastindex(%d)", i, lastIndexLocked());
        }
        SnapshotMetadata.Builder md = snapshot.getMetadata().toBuilder()
                .setIndex(i)
                .setTerm(ents.get((int) (i - offset)).getTerm());
        if (cs != null) {
            md.setConfState(cs);
        }
        Snapshot.Builder b = snapshot.toBuilder().setMetadata(md);
        // Go stores the byte slice as given: nil leaves the field unset.
        if (data == null) {
            b.clearData();
        } else {
            b.setData(data);
        }
        snapshot = b.build();
        return snapshot;
    }

    /**
     * {@link #createSnapshot(long, ConfState, ByteString)} taking the data as a byte array.
     *
     * @param i the index the snapshot covers up to
     * @param cs the configuration at that index, or null
     * @param data the state machine's serialized state
     * @return the snapshot now held
     */
    public Snapshot createSnapshot(long i, ConfState cs, byte[] data) {
        return createSnapshot(i, cs, data == null ? null : ByteString.copyFrom(data));
    }

    /**
     * Discards all entries before compactIndex; the entry at compactIndex becomes the marker.
     * The application must not compact past what raft has applied.
     *
     * @param compactIndex the index that becomes the first one kept
     * @throws CompactedException if compactIndex is already compacted
     */
    public synchronized void compact(long compactIndex) {
        long offset = ents.get(0).getIndex();
        if (compactIndex <= offset) {
            throw new CompactedException();
        }
        if (compactIndex > lastIndexLocked()) {
            DefaultLogger.get().panic("compact %d is out of bound lastindex(%d)", compactIndex, lastIndexLocked());
        }
        int i = (int) (compactIndex - offset);
        Entry at = ents.get(i);
        // A new array: views of the old one handed out by entries() must stay as they are.
        ents = EntrySlice.concat(List.of(marker(at.getIndex(), at.getTerm())), ents.subList(i + 1, ents.size()));
    }

    /**
     * Appends entries to the log. Entries already compacted are skipped; entries that overlap
     * the log replace the existing ones from their first index on (the log is truncated there).
     * The entries must be contiguous and must not start after lastIndex()+1.
     *
     * @param entries the entries, consecutive
     */
    public synchronized void append(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        long first = firstIndexLocked();
        long last = entries.get(0).getIndex() + entries.size() - 1;
        // Nothing new.
        if (last < first) {
            return;
        }
        // Skip what is already compacted.
        if (first > entries.get(0).getIndex()) {
            entries = entries.subList((int) (first - entries.get(0).getIndex()), entries.size());
        }
        long offset = entries.get(0).getIndex() - ents.get(0).getIndex();
        if (ents.size() > offset) {
            // Truncate: the replaced slots may still be seen through earlier views, so copy.
            ents = EntrySlice.concat(ents.subList(0, (int) offset), entries);
        } else if (ents.size() == offset) {
            ents = ents.append(entries);
        } else {
            DefaultLogger.get()
                    .panic(
                            "missing log entry [last: %d, append at: %d]",
                            lastIndexLocked(), entries.get(0).getIndex());
        }
    }

    /**
     * How often each Storage method has been called so far.
     *
     * @return the call counts
     */
    public synchronized CallStats callStats() {
        return new CallStats(
                initialStateCalls, firstIndexCalls, lastIndexCalls, entriesCalls, termCalls, snapshotCalls);
    }

    /** The raw entry array (marker first), for tests that check it as etcd's tests check ms.ents. */
    synchronized List<Entry> ents() {
        return ents;
    }

    /** Replaces the raw entry array (marker first), as etcd's tests assign ms.ents. */
    synchronized void setEnts(List<Entry> ents) {
        this.ents = EntrySlice.copyOf(ents);
    }

    /** Replaces the conf state of the current snapshot, as etcd's tests assign ms.snapshot.Metadata.ConfState. */
    synchronized void setConfState(ConfState cs) {
        snapshot = snapshot.toBuilder()
                .setMetadata(snapshot.getMetadata().toBuilder().setConfState(cs))
                .build();
    }

    private static Entry marker(long index, long term) {
        return Entry.newBuilder().setTerm(term).setIndex(index).build();
    }

    /** The snapshot with metadata, index, term, conf state and auto-leave present, as etcd's EnsureSnapshot. */
    private static Snapshot ensureSnapshot(Snapshot s) {
        Snapshot snap = s == null ? Snapshot.getDefaultInstance() : s;
        SnapshotMetadata md = snap.getMetadata();
        if (snap.hasMetadata()
                && md.hasIndex()
                && md.hasTerm()
                && md.hasConfState()
                && md.getConfState().hasAutoLeave()) {
            return snap;
        }
        SnapshotMetadata.Builder b = md.toBuilder()
                .setIndex(md.getIndex())
                .setTerm(md.getTerm())
                .setConfState(ensureConfState(md.getConfState()));
        return snap.toBuilder().setMetadata(b).build();
    }

    /** The conf state with auto-leave present, as etcd's EnsureConfState. */
    private static ConfState ensureConfState(ConfState cs) {
        ConfState c = cs == null ? ConfState.getDefaultInstance() : cs;
        return c.hasAutoLeave() ? c : c.toBuilder().setAutoLeave(false).build();
    }
}
