package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.EntryFactory.index;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/** The unstable tail of the log, ported from etcd's log_unstable_test.go. */
class UnstableTest {
    private static final long NONE = Unstable.NONE;
    private static final List<Entry> NO_ENTRIES = List.of();

    private static Snapshot snap(long index, long term) {
        return Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(index).setTerm(term))
                .build();
    }

    private static Unstable unstable(List<Entry> entries, long offset, long offsetInProgress, Snapshot snap) {
        Unstable u = new Unstable(DefaultLogger.get());
        u.entries = EntrySlice.copyOf(entries);
        u.offset = offset;
        u.offsetInProgress = offsetInProgress;
        u.snapshot = snap;
        return u;
    }

    /** (entries, offset, snapshot) and the expected index, NONE for Go's ok == false. */
    private record IndexCase(List<Entry> entries, long offset, Snapshot snap, long want) {}

    @Test
    void maybeFirstIndexComesFromTheSnapshotOnly() {
        List<IndexCase> cases = List.of(
                // no snapshot
                new IndexCase(index(5).terms(1), 5, null, NONE),
                new IndexCase(NO_ENTRIES, 0, null, NONE),
                // has snapshot
                new IndexCase(index(5).terms(1), 5, snap(4, 1), 5),
                new IndexCase(NO_ENTRIES, 5, snap(4, 1), 5));
        for (int i = 0; i < cases.size(); i++) {
            IndexCase tt = cases.get(i);
            assertEquals(
                    tt.want(), unstable(tt.entries(), tt.offset(), 0, tt.snap()).maybeFirstIndex(), "#" + i);
        }
    }

    @Test
    void maybeLastIndexComesFromEntriesThenSnapshot() {
        List<IndexCase> cases = List.of(
                // last in entries
                new IndexCase(index(5).terms(1), 5, null, 5),
                new IndexCase(index(5).terms(1), 5, snap(4, 1), 5),
                // last in snapshot
                new IndexCase(NO_ENTRIES, 5, snap(4, 1), 4),
                // empty unstable
                new IndexCase(NO_ENTRIES, 0, null, NONE));
        for (int i = 0; i < cases.size(); i++) {
            IndexCase tt = cases.get(i);
            assertEquals(
                    tt.want(), unstable(tt.entries(), tt.offset(), 0, tt.snap()).maybeLastIndex(), "#" + i);
        }
    }

    private record TermCase(List<Entry> entries, long offset, Snapshot snap, long index, long want) {}

    @Test
    void maybeTermKnowsEntriesAndTheSnapshotEntry() {
        List<TermCase> cases = List.of(
                // term from entries
                new TermCase(index(5).terms(1), 5, null, 5, 1),
                new TermCase(index(5).terms(1), 5, null, 6, NONE),
                new TermCase(index(5).terms(1), 5, null, 4, NONE),
                new TermCase(index(5).terms(1), 5, snap(4, 1), 5, 1),
                new TermCase(index(5).terms(1), 5, snap(4, 1), 6, NONE),
                // term from snapshot
                new TermCase(index(5).terms(1), 5, snap(4, 1), 4, 1),
                new TermCase(index(5).terms(1), 5, snap(4, 1), 3, NONE),
                new TermCase(NO_ENTRIES, 5, snap(4, 1), 5, NONE),
                new TermCase(NO_ENTRIES, 5, snap(4, 1), 4, 1),
                new TermCase(NO_ENTRIES, 0, null, 5, NONE));
        for (int i = 0; i < cases.size(); i++) {
            TermCase tt = cases.get(i);
            assertEquals(
                    tt.want(), unstable(tt.entries(), tt.offset(), 0, tt.snap()).maybeTerm(tt.index()), "#" + i);
        }
    }

    @Test
    void restoreReplacesEverythingWithTheSnapshot() {
        Unstable u = unstable(index(5).terms(1), 5, 6, snap(4, 1));
        u.snapshotInProgress = true;
        Snapshot s = snap(6, 2);
        u.restore(s);

        assertEquals(s.getMetadata().getIndex() + 1, u.offset);
        assertEquals(s.getMetadata().getIndex() + 1, u.offsetInProgress);
        assertEquals(0, u.entries.size());
        assertSame(s, u.snapshot);
        assertFalse(u.snapshotInProgress);
    }

    private record NextCase(List<Entry> entries, long offset, long offsetInProgress, List<Entry> want) {}

    @Test
    void nextEntriesSkipsThoseInProgress() {
        List<NextCase> cases = List.of(
                // nothing in progress
                new NextCase(index(5).terms(1, 1), 5, 5, index(5).terms(1, 1)),
                // partially in progress
                new NextCase(index(5).terms(1, 1), 5, 6, index(6).terms(1)),
                // everything in progress
                new NextCase(index(5).terms(1, 1), 5, 7, NO_ENTRIES));
        for (int i = 0; i < cases.size(); i++) {
            NextCase tt = cases.get(i);
            assertEquals(
                    tt.want(),
                    unstable(tt.entries(), tt.offset(), tt.offsetInProgress(), null)
                            .nextEntries(),
                    "#" + i);
        }
    }

    @Test
    void nextSnapshotIsNullWhenAbsentOrInProgress() {
        Snapshot s = snap(4, 1);
        // snapshot not unstable
        Unstable u = new Unstable(null);
        assertNull(u.nextSnapshot());
        // snapshot not in progress
        u.snapshot = s;
        assertEquals(s, u.nextSnapshot());
        // snapshot in progress
        u.snapshotInProgress = true;
        assertNull(u.nextSnapshot());
    }

    private record AcceptCase(
            List<Entry> entries,
            Snapshot snapshot,
            long offsetInProgress,
            boolean snapshotInProgress,
            long woffsetInProgress,
            boolean wsnapshotInProgress) {}

    @Test
    void acceptInProgressMarksAllEntriesAndTheSnapshot() {
        Snapshot s = snap(4, 1);
        List<AcceptCase> cases = List.of(
                new AcceptCase(NO_ENTRIES, null, 5, false, 5, false), // no entries
                new AcceptCase(index(5).terms(1), null, 5, false, 6, false), // entries not in progress
                new AcceptCase(index(5).terms(1, 1), null, 5, false, 7, false),
                new AcceptCase(index(5).terms(1, 1), null, 6, false, 7, false), // in-progress to the first
                new AcceptCase(index(5).terms(1, 1), null, 7, false, 7, false), // in-progress to the second
                // with snapshot
                new AcceptCase(NO_ENTRIES, s, 5, false, 5, true),
                new AcceptCase(index(5).terms(1), s, 5, false, 6, true),
                new AcceptCase(index(5).terms(1, 1), s, 5, false, 7, true),
                new AcceptCase(index(5).terms(1, 1), s, 6, false, 7, true),
                new AcceptCase(index(5).terms(1, 1), s, 7, false, 7, true),
                // snapshot already in progress
                new AcceptCase(NO_ENTRIES, s, 5, true, 5, true),
                new AcceptCase(index(5).terms(1), s, 5, true, 6, true),
                new AcceptCase(index(5).terms(1, 1), s, 5, true, 7, true),
                new AcceptCase(index(5).terms(1, 1), s, 6, true, 7, true),
                new AcceptCase(index(5).terms(1, 1), s, 7, true, 7, true));
        for (int i = 0; i < cases.size(); i++) {
            AcceptCase tt = cases.get(i);
            Unstable u = new Unstable(null);
            u.entries = EntrySlice.copyOf(tt.entries());
            u.snapshot = tt.snapshot();
            u.offsetInProgress = tt.offsetInProgress();
            u.snapshotInProgress = tt.snapshotInProgress();
            u.acceptInProgress();
            assertEquals(tt.woffsetInProgress(), u.offsetInProgress, "#" + i);
            assertEquals(tt.wsnapshotInProgress(), u.snapshotInProgress, "#" + i);
        }
    }

    private record StableCase(
            List<Entry> entries,
            long offset,
            long offsetInProgress,
            Snapshot snap,
            long index,
            long term,
            long woffset,
            long woffsetInProgress,
            int wlen) {}

    @Test
    void stableToDropsMatchingEntriesAndIgnoresStaleIds() {
        List<StableCase> cases = List.of(
                new StableCase(NO_ENTRIES, 0, 0, null, 5, 1, 0, 0, 0),
                // stable to the first entry
                new StableCase(index(5).terms(1), 5, 6, null, 5, 1, 6, 6, 0),
                new StableCase(index(5).terms(1, 1), 5, 6, null, 5, 1, 6, 6, 1),
                // stable to the first entry and in-progress ahead
                new StableCase(index(5).terms(1, 1), 5, 7, null, 5, 1, 6, 7, 1),
                // stable to the first entry and term mismatch
                new StableCase(index(6).terms(2), 6, 7, null, 6, 1, 6, 7, 1),
                // stable to old entry
                new StableCase(index(5).terms(1), 5, 6, null, 4, 1, 5, 6, 1),
                new StableCase(index(5).terms(1), 5, 6, null, 4, 2, 5, 6, 1),
                // with snapshot: stable to the first entry
                new StableCase(index(5).terms(1), 5, 6, snap(4, 1), 5, 1, 6, 6, 0),
                new StableCase(index(5).terms(1, 1), 5, 6, snap(4, 1), 5, 1, 6, 6, 1),
                // stable to the first entry and in-progress ahead
                new StableCase(index(5).terms(1, 1), 5, 7, snap(4, 1), 5, 1, 6, 7, 1),
                // stable to the first entry and term mismatch
                new StableCase(index(6).terms(2), 6, 7, snap(5, 1), 6, 1, 6, 7, 1),
                // stable to snapshot
                new StableCase(index(5).terms(1), 5, 6, snap(4, 1), 4, 1, 5, 6, 1),
                // stable to old entry
                new StableCase(index(5).terms(2), 5, 6, snap(4, 2), 4, 1, 5, 6, 1));
        for (int i = 0; i < cases.size(); i++) {
            StableCase tt = cases.get(i);
            Unstable u = unstable(tt.entries(), tt.offset(), tt.offsetInProgress(), tt.snap());
            u.stableTo(new EntryID(tt.term(), tt.index()));
            assertEquals(tt.woffset(), u.offset, "#" + i);
            assertEquals(tt.woffsetInProgress(), u.offsetInProgress, "#" + i);
            assertEquals(tt.wlen(), u.entries.size(), "#" + i);
        }
    }

    private record AppendCase(
            List<Entry> entries,
            long offset,
            long offsetInProgress,
            List<Entry> toappend,
            long woffset,
            long woffsetInProgress,
            List<Entry> wentries) {}

    @Test
    void truncateAndAppendReplacesTheOverlappingSuffix() {
        List<AppendCase> cases = List.of(
                // append to the end
                new AppendCase(index(5).terms(1), 5, 5, index(6).terms(1, 1), 5, 5, index(5).terms(1, 1, 1)),
                new AppendCase(index(5).terms(1), 5, 6, index(6).terms(1, 1), 5, 6, index(5).terms(1, 1, 1)),
                // replace the unstable entries
                new AppendCase(index(5).terms(1), 5, 5, index(5).terms(2, 2), 5, 5, index(5).terms(2, 2)),
                new AppendCase(index(5).terms(1), 5, 5, index(4).terms(2, 2, 2), 4, 4, index(4).terms(2, 2, 2)),
                new AppendCase(index(5).terms(1), 5, 6, index(5).terms(2, 2), 5, 5, index(5).terms(2, 2)),
                // truncate the existing entries and append
                new AppendCase(index(5).terms(1, 1, 1), 5, 5, index(6).terms(2), 5, 5, index(5).terms(1, 2)),
                new AppendCase(index(5).terms(1, 1, 1), 5, 5, index(7).terms(2, 2), 5, 5, index(5).terms(1, 1, 2, 2)),
                new AppendCase(index(5).terms(1, 1, 1), 5, 6, index(6).terms(2), 5, 6, index(5).terms(1, 2)),
                new AppendCase(index(5).terms(1, 1, 1), 5, 7, index(6).terms(2), 5, 6, index(5).terms(1, 2)));
        for (int i = 0; i < cases.size(); i++) {
            AppendCase tt = cases.get(i);
            Unstable u = unstable(tt.entries(), tt.offset(), tt.offsetInProgress(), null);
            u.truncateAndAppend(tt.toappend());
            assertEquals(tt.woffset(), u.offset, "#" + i);
            assertEquals(tt.woffsetInProgress(), u.offsetInProgress, "#" + i);
            assertEquals(tt.wentries(), u.entries, "#" + i);
        }
    }

    // What follows checks what the Java port relies on beyond etcd's tests.

    @Test
    void viewsHandedOutNeverChangeWhenTheLogIsAppendedTruncatedOrStabilized() {
        Unstable u = unstable(NO_ENTRIES, 1, 1, null);
        u.truncateAndAppend(index(1).terms(1, 1));
        List<Entry> next = u.nextEntries();
        u.truncateAndAppend(index(3).terms(1)); // in place, past the view
        u.truncateAndAppend(index(2).terms(2)); // truncation: a new array
        List<Entry> afterTruncate = u.nextEntries();
        u.stableTo(new EntryID(2, 2));
        u.truncateAndAppend(index(3).terms(2, 2));
        assertEquals(index(1).terms(1, 1), next);
        assertEquals(index(1).terms(1, 2), afterTruncate);
        assertEquals(index(3).terms(2, 2), u.entries);
        assertEquals(3, u.offset);
    }

    @Test
    void sliceOutOfBoundsPanics() {
        Unstable u = unstable(index(5).terms(1, 1), 5, 5, null);
        assertEquals(index(5).terms(1, 1), u.slice(5, 7));
        assertTrue(u.slice(6, 6).isEmpty());
        assertThrows(RaftPanicException.class, () -> u.slice(6, 5));
        assertThrows(RaftPanicException.class, () -> u.slice(4, 6));
        assertThrows(RaftPanicException.class, () -> u.slice(5, 8));
    }

    @Test
    void stableSnapToForgetsOnlyTheMatchingSnapshot() {
        Unstable u = unstable(NO_ENTRIES, 5, 5, snap(4, 1));
        u.snapshotInProgress = true;
        u.stableSnapTo(3);
        assertEquals(snap(4, 1), u.snapshot);
        u.stableSnapTo(4);
        assertNull(u.snapshot);
        assertFalse(u.snapshotInProgress);
    }
}
