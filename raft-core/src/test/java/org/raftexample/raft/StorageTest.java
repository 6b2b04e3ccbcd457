package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.raftexample.raft.EntryFactory.index;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/** MemoryStorage, ported from etcd's storage_test.go, plus checks of what Java adds. */
class StorageTest {
    private static final long NO_LIMIT = Long.MAX_VALUE;

    /** What a Go case expects: a value, or one of the storage errors. */
    private record Want(long value, Class<? extends StorageException> err) {
        static Want ok(long v) {
            return new Want(v, null);
        }

        static Want err(Class<? extends StorageException> e) {
            return new Want(0, e);
        }
    }

    @Test
    void termIsKnownFromTheMarkerToTheLastEntry() {
        List<Entry> ents = index(3).terms(3, 4, 5);
        long[] is = {2, 3, 4, 5, 6};
        Want[] wants = {
            Want.err(CompactedException.class), Want.ok(3), Want.ok(4), Want.ok(5), Want.err(UnavailableException.class)
        };
        for (int k = 0; k < is.length; k++) {
            MemoryStorage s = MemoryStorage.withEntries(ents);
            long i = is[k];
            if (wants[k].err() != null) {
                assertThrows(wants[k].err(), () -> s.term(i), "#" + k);
            } else {
                assertEquals(wants[k].value(), s.term(i), "#" + k);
            }
        }
    }

    private record EntriesCase(
            long lo, long hi, long maxSize, Class<? extends StorageException> err, List<Entry> want) {}

    @Test
    void entriesAreLimitedBySizeButNeverEmpty() {
        List<Entry> ents = index(3).terms(3, 4, 5, 6);
        long s1 = ents.get(1).getSerializedSize();
        long s2 = ents.get(2).getSerializedSize();
        long s3 = ents.get(3).getSerializedSize();
        List<EntriesCase> cases = List.of(
                new EntriesCase(2, 6, NO_LIMIT, CompactedException.class, null),
                new EntriesCase(3, 4, NO_LIMIT, CompactedException.class, null),
                new EntriesCase(4, 5, NO_LIMIT, null, index(4).terms(4)),
                new EntriesCase(4, 6, NO_LIMIT, null, index(4).terms(4, 5)),
                new EntriesCase(4, 7, NO_LIMIT, null, index(4).terms(4, 5, 6)),
                // even if maxsize is zero, the first entry is returned
                new EntriesCase(4, 7, 0, null, index(4).terms(4)),
                // limit to 2
                new EntriesCase(4, 7, s1 + s2, null, index(4).terms(4, 5)),
                new EntriesCase(4, 7, s1 + s2 + s3 / 2, null, index(4).terms(4, 5)),
                new EntriesCase(4, 7, s1 + s2 + s3 - 1, null, index(4).terms(4, 5)),
                // all
                new EntriesCase(4, 7, s1 + s2 + s3, null, index(4).terms(4, 5, 6)));
        for (int k = 0; k < cases.size(); k++) {
            EntriesCase tt = cases.get(k);
            MemoryStorage s = MemoryStorage.withEntries(ents);
            if (tt.err() != null) {
                assertThrows(tt.err(), () -> s.entries(tt.lo(), tt.hi(), tt.maxSize()), "#" + k);
            } else {
                assertEquals(tt.want(), s.entries(tt.lo(), tt.hi(), tt.maxSize()), "#" + k);
            }
        }
    }

    @Test
    void lastIndexFollowsAppends() {
        MemoryStorage s = MemoryStorage.withEntries(index(3).terms(3, 4, 5));
        assertEquals(5, s.lastIndex());
        s.append(index(6).terms(5));
        assertEquals(6, s.lastIndex());
    }

    @Test
    void firstIndexFollowsCompaction() {
        MemoryStorage s = MemoryStorage.withEntries(index(3).terms(3, 4, 5));
        assertEquals(4, s.firstIndex());
        s.compact(4);
        assertEquals(5, s.firstIndex());
    }

    private record CompactCase(long i, Class<? extends StorageException> err, long windex, long wterm, int wlen) {}

    @Test
    void compactKeepsTheCompactedEntryAsMarker() {
        List<Entry> ents = index(3).terms(3, 4, 5);
        List<CompactCase> cases = List.of(
                new CompactCase(2, CompactedException.class, 3, 3, 3),
                new CompactCase(3, CompactedException.class, 3, 3, 3),
                new CompactCase(4, null, 4, 4, 2),
                new CompactCase(5, null, 5, 5, 1));
        for (int k = 0; k < cases.size(); k++) {
            CompactCase tt = cases.get(k);
            MemoryStorage s = MemoryStorage.withEntries(ents);
            if (tt.err() != null) {
                assertThrows(tt.err(), () -> s.compact(tt.i()), "#" + k);
            } else {
                s.compact(tt.i());
            }
            assertEquals(tt.windex(), s.ents().get(0).getIndex(), "#" + k);
            assertEquals(tt.wterm(), s.ents().get(0).getTerm(), "#" + k);
            assertEquals(tt.wlen(), s.ents().size(), "#" + k);
        }
    }

    private static Snapshot snap(ByteString data, long index, long term, ConfState cs) {
        return Snapshot.newBuilder()
                .setData(data)
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setIndex(index)
                        .setTerm(term)
                        .setConfState(cs))
                .build();
    }

    @Test
    void createSnapshotRecordsIndexTermConfStateAndData() {
        List<Entry> ents = index(3).terms(3, 4, 5);
        ConfState cs = ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L)).build();
        ByteString data = ByteString.copyFromUtf8("data");
        long[] is = {4, 5};
        Snapshot[] wants = {snap(data, 4, 4, cs), snap(data, 5, 5, cs)};
        for (int k = 0; k < is.length; k++) {
            MemoryStorage s = MemoryStorage.withEntries(ents);
            assertEquals(wants[k], s.createSnapshot(is[k], cs, data), "#" + k);
            assertEquals(wants[k], s.snapshot(), "#" + k);
        }
    }

    @Test
    void createSnapshotRefusesAnIndexNotNewerThanTheCurrentOne() {
        MemoryStorage s = MemoryStorage.withEntries(index(3).terms(3, 4, 5));
        s.createSnapshot(4, null, new byte[0]);
        assertThrows(SnapOutOfDateException.class, () -> s.createSnapshot(4, null, new byte[0]));
        assertThrows(SnapOutOfDateException.class, () -> s.createSnapshot(3, null, new byte[0]));
    }

    @Test
    void appendTruncatesConflictsAndSkipsCompactedEntries() {
        List<Entry> ents = index(3).terms(3, 4, 5);
        List<List<List<Entry>>> cases = List.of(
                List.of(index(1).terms(1, 2), index(3).terms(3, 4, 5)),
                List.of(index(3).terms(3, 4, 5), index(3).terms(3, 4, 5)),
                List.of(index(3).terms(3, 6, 6), index(3).terms(3, 6, 6)),
                List.of(index(3).terms(3, 4, 5, 5), index(3).terms(3, 4, 5, 5)),
                // Truncate incoming entries, truncate the existing entries and append.
                List.of(index(2).terms(3, 3, 5), index(3).terms(3, 5)),
                // Truncate the existing entries and append.
                List.of(index(4).terms(5), index(3).terms(3, 5)),
                // Direct append.
                List.of(index(6).terms(5), index(3).terms(3, 4, 5, 5)));
        for (int k = 0; k < cases.size(); k++) {
            MemoryStorage s = MemoryStorage.withEntries(ents);
            s.append(cases.get(k).get(0));
            assertEquals(cases.get(k).get(1), s.ents(), "#" + k);
        }
    }

    @Test
    void applySnapshotRefusesAnOlderSnapshotButAcceptsABootstrapConfState() {
        ConfState cs = ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L)).build();
        ByteString data = ByteString.copyFromUtf8("data");

        // normal case
        MemoryStorage s = new MemoryStorage();
        s.applySnapshot(snap(data, 4, 4, cs));
        assertEquals(4, s.snapshot().getMetadata().getIndex());
        assertEquals(5, s.firstIndex());
        assertEquals(4, s.lastIndex());

        // snapshot out of date
        MemoryStorage s2 = new MemoryStorage();
        s2.applySnapshot(snap(data, 4, 4, cs));
        assertThrows(SnapOutOfDateException.class, () -> s2.applySnapshot(snap(data, 3, 3, cs)));

        // bootstrap with confState
        MemoryStorage s3 = new MemoryStorage();
        s3.applySnapshot(Snapshot.newBuilder()
                .setData(data)
                .setMetadata(SnapshotMetadata.newBuilder().setConfState(cs))
                .build());
        assertEquals(
                cs.toBuilder().setAutoLeave(false).build(), s3.initialState().confState());
    }

    // What follows checks what the Java port adds to etcd's MemoryStorage.

    @Test
    void newStorageHoldsOnlyTheDummyEntry() {
        MemoryStorage s = new MemoryStorage();
        assertEquals(1, s.firstIndex());
        assertEquals(0, s.lastIndex());
        assertEquals(0, s.term(0));
        assertThrows(UnavailableException.class, () -> s.entries(1, 1, NO_LIMIT));
        assertEquals(HardState.getDefaultInstance(), s.initialState().hardState());
        ConfState cs = s.initialState().confState();
        assertEquals(ConfState.newBuilder().setAutoLeave(false).build(), cs);
        // Like etcd's EnsureSnapshot: metadata with index, term and conf state present.
        Snapshot snap = s.snapshot();
        assertEquals(
                true,
                snap.getMetadata().hasIndex()
                        && snap.getMetadata().hasTerm()
                        && snap.getMetadata().hasConfState());
    }

    @Test
    void entriesReturnedEarlierDoNotChangeWhenTheLogIsTruncatedOrCompacted() {
        MemoryStorage s = new MemoryStorage();
        s.append(index(1).terms(1, 1, 1));
        List<Entry> before = s.entries(1, 4, NO_LIMIT);
        s.append(index(2).terms(2, 2));
        s.compact(2);
        s.append(index(4).terms(2));
        assertEquals(index(1).terms(1, 1, 1), before);
        assertEquals(index(3).terms(2, 2), s.entries(3, 5, NO_LIMIT));
    }

    @Test
    void entriesOutOfBoundPanic() {
        MemoryStorage s = MemoryStorage.withEntries(index(3).terms(3, 4, 5));
        assertThrows(RaftPanicException.class, () -> s.entries(4, 7, NO_LIMIT));
        assertThrows(RaftPanicException.class, () -> s.compact(6));
        assertThrows(RaftPanicException.class, () -> s.createSnapshot(6, null, new byte[0]));
        // A gap between the log and the appended entries.
        assertThrows(RaftPanicException.class, () -> s.append(index(7).terms(5)));
    }

    @Test
    void setHardStateIsReturnedByInitialState() {
        MemoryStorage s = new MemoryStorage();
        HardState hs = HardState.newBuilder().setTerm(3).setVote(2).setCommit(1).build();
        s.setHardState(hs);
        assertSame(hs, s.initialState().hardState());
    }

    @Test
    void callStatsCountStorageCalls() {
        MemoryStorage s = new MemoryStorage();
        s.append(index(1).terms(1));
        s.firstIndex();
        s.lastIndex();
        s.lastIndex();
        s.term(1);
        s.entries(1, 2, NO_LIMIT);
        s.snapshot();
        s.initialState();
        MemoryStorage.CallStats st = s.callStats();
        assertEquals(new MemoryStorage.CallStats(1, 1, 2, 1, 1, 1), st);
        assertEquals("{initialState:1 firstIndex:1 lastIndex:2 entries:1 term:1 snapshot:1}", st.toString());
        assertNotSame(st, s.callStats());
    }

    @Test
    void testHooksReplaceEntriesAndConfState() {
        MemoryStorage s = new MemoryStorage();
        s.setEnts(index(3).terms(3, 4, 5));
        assertEquals(4, s.firstIndex());
        assertEquals(5, s.lastIndex());
        ConfState cs = ConfState.newBuilder().addVoters(1).addLearners(2).build();
        s.setConfState(cs);
        assertEquals(
                cs.toBuilder().setAutoLeave(false).build(), s.initialState().confState());
        assertEquals(cs, s.snapshot().getMetadata().getConfState());
    }
}
