package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.raftexample.raft.EntryFactory.index;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/** The raft log over storage and unstable, ported from etcd's log_test.go. */
class RaftLogTest {
    private static final long NO_LIMIT = RaftLog.NO_LIMIT;
    private static final List<Entry> NO_ENTRIES = List.of();

    private static Logger logger() {
        return DefaultLogger.get();
    }

    private static Snapshot snap(long index, long term) {
        return Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(index).setTerm(term))
                .build();
    }

    private static Snapshot snapAt(long index) {
        return Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(index))
                .build();
    }

    private static EntryID id(long term, long index) {
        return new EntryID(term, index);
    }

    private static RaftLog logWith(List<Entry> ents) {
        RaftLog l = RaftLog.newLog(new MemoryStorage(), logger());
        l.append(ents);
        return l;
    }

    @Test
    void findConflictReturnsTheFirstConflictingOrNewIndex() {
        List<Entry> previousEnts = index(1).terms(1, 2, 3);
        Object[][] cases = {
            // no conflict, empty ent
            {NO_ENTRIES, 0L},
            // no conflict
            {index(1).terms(1, 2, 3), 0L},
            {index(2).terms(2, 3), 0L},
            {index(3).terms(3), 0L},
            // no conflict, but has new entries
            {index(1).terms(1, 2, 3, 4, 4), 4L},
            {index(2).terms(2, 3, 4, 5), 4L},
            {index(3).terms(3, 4, 4), 4L},
            {index(4).terms(4, 4), 4L},
            // conflicts with existing entries
            {index(1).terms(4, 4), 1L},
            {index(2).terms(1, 4, 4), 2L},
            {index(3).terms(1, 2, 4, 4), 3L},
        };
        for (int i = 0; i < cases.length; i++) {
            // unchecked: the table's first column holds only List<Entry> values (built above).
            @SuppressWarnings("unchecked")
            List<Entry> ents = (List<Entry>) cases[i][0];
            RaftLog raftLog = logWith(previousEnts);
            assertEquals((long) cases[i][1], raftLog.findConflict(ents), "#" + i);
        }
    }

    private record ByTermCase(List<Entry> ents, long index, long term, long want) {}

    @Test
    void findConflictByTermGuessesTheLastPossiblyMatchingIndex() {
        List<Entry> fresh = index(0).terms(0, 2, 2, 5, 5, 5);
        List<Entry> compacted = index(10).terms(3, 3, 3, 4, 4, 4);
        List<ByTermCase> cases = List.of(
                // Log starts from index 1.
                new ByTermCase(fresh, 100, 2, 100), // unavailable
                new ByTermCase(fresh, 5, 6, 5),
                new ByTermCase(fresh, 5, 5, 5),
                new ByTermCase(fresh, 5, 4, 2),
                new ByTermCase(fresh, 5, 2, 2),
                new ByTermCase(fresh, 5, 1, 0),
                new ByTermCase(fresh, 1, 2, 1),
                new ByTermCase(fresh, 1, 1, 0),
                new ByTermCase(fresh, 0, 0, 0),
                // Log with compacted entries.
                new ByTermCase(compacted, 30, 3, 30), // unavailable
                new ByTermCase(compacted, 14, 9, 14),
                new ByTermCase(compacted, 14, 4, 14),
                new ByTermCase(compacted, 14, 3, 12),
                new ByTermCase(compacted, 14, 2, 9),
                new ByTermCase(compacted, 11, 5, 11),
                new ByTermCase(compacted, 10, 5, 10),
                new ByTermCase(compacted, 10, 3, 10),
                new ByTermCase(compacted, 10, 2, 9),
                new ByTermCase(compacted, 9, 2, 9), // compacted
                new ByTermCase(compacted, 4, 2, 4), // compacted
                new ByTermCase(compacted, 0, 0, 0)); // compacted
        for (int i = 0; i < cases.size(); i++) {
            ByTermCase tt = cases.get(i);
            MemoryStorage st = new MemoryStorage();
            st.applySnapshot(snap(tt.ents().get(0).getIndex(), tt.ents().get(0).getTerm()));
            RaftLog l = RaftLog.newLog(st, logger());
            l.append(tt.ents().subList(1, tt.ents().size()));

            RaftLog.TermGuess got = l.findConflictByTerm(tt.index(), tt.term());
            assertEquals(tt.want(), got.index(), "#" + i);
            assertEquals(l.zeroTermOnOutOfBounds(got.index()), got.term(), "#" + i);
        }
    }

    @Test
    void isUpToDateComparesLastTermThenLastIndex() {
        RaftLog raftLog = logWith(index(1).terms(1, 2, 3));
        long last = raftLog.lastIndex();
        long[][] cases = {
            // greater term, ignore lastIndex
            {last - 1, 4, 1}, {last, 4, 1}, {last + 1, 4, 1},
            // smaller term, ignore lastIndex
            {last - 1, 2, 0}, {last, 2, 0}, {last + 1, 2, 0},
            // equal term, equal or larger lastIndex wins
            {last - 1, 3, 0}, {last, 3, 1}, {last + 1, 3, 1},
        };
        for (int i = 0; i < cases.length; i++) {
            assertEquals(cases[i][2] == 1, raftLog.isUpToDate(id(cases[i][1], cases[i][0])), "#" + i);
        }
    }

    private record AppendCase(List<Entry> ents, long windex, List<Entry> wents, long wunstable) {}

    @Test
    void appendReplacesConflictingEntriesAndMovesTheUnstableOffset() {
        List<Entry> previousEnts = index(1).terms(1, 2);
        List<AppendCase> cases = List.of(
                new AppendCase(NO_ENTRIES, 2, index(1).terms(1, 2), 3),
                new AppendCase(index(3).terms(2), 3, index(1).terms(1, 2, 2), 3),
                // conflicts with index 1
                new AppendCase(index(1).terms(2), 1, index(1).terms(2), 1),
                // conflicts with index 2
                new AppendCase(index(2).terms(3, 3), 3, index(1).terms(1, 3, 3), 2));
        for (int i = 0; i < cases.size(); i++) {
            AppendCase tt = cases.get(i);
            MemoryStorage storage = new MemoryStorage();
            storage.append(previousEnts);
            RaftLog raftLog = RaftLog.newLog(storage, logger());
            assertEquals(tt.windex(), raftLog.append(tt.ents()), "#" + i);
            assertEquals(tt.wents(), raftLog.entries(1, NO_LIMIT), "#" + i);
            assertEquals(tt.wunstable(), raftLog.unstable.offset, "#" + i);
        }
    }

    /** wlasti is NONE where Go expects (0, false). */
    private record MaybeAppendCase(
            EntryID prev, long committed, List<Entry> ents, long wlasti, long wcommit, boolean wpanic) {}

    /**
     * If the given (index, term) matches the log, conflicting entries (same index, other
     * term) and all that follow are deleted and the new entries appended; if it does not
     * match, nothing is appended.
     */
    @Test
    void maybeAppendAppendsOnlyAfterAMatchingEntry() {
        List<Entry> previousEnts = index(1).terms(1, 2, 3);
        long lastindex = 3;
        long lastterm = 3;
        long commit = 1;
        long none = Unstable.NONE;

        List<MaybeAppendCase> cases = List.of(
                // not match: term is different
                new MaybeAppendCase(
                        id(lastterm - 1, lastindex),
                        lastindex,
                        index(lastindex + 1).terms(4),
                        none,
                        commit,
                        false),
                // not match: index out of bound
                new MaybeAppendCase(
                        id(lastterm, lastindex + 1),
                        lastindex,
                        index(lastindex + 2).terms(4),
                        none,
                        commit,
                        false),
                // match with the last existing entry
                new MaybeAppendCase(id(lastterm, lastindex), lastindex, NO_ENTRIES, lastindex, lastindex, false),
                // do not increase commit higher than lastnewi
                new MaybeAppendCase(id(lastterm, lastindex), lastindex + 1, NO_ENTRIES, lastindex, lastindex, false),
                // commit up to the commit in the message
                new MaybeAppendCase(
                        id(lastterm, lastindex), lastindex - 1, NO_ENTRIES, lastindex, lastindex - 1, false),
                // commit do not decrease
                new MaybeAppendCase(id(lastterm, lastindex), 0, NO_ENTRIES, lastindex, commit, false),
                new MaybeAppendCase(id(0, 0), lastindex, NO_ENTRIES, 0, commit, false),
                new MaybeAppendCase(
                        id(lastterm, lastindex),
                        lastindex,
                        index(lastindex + 1).terms(4),
                        lastindex + 1,
                        lastindex,
                        false),
                new MaybeAppendCase(
                        id(lastterm, lastindex),
                        lastindex + 1,
                        index(lastindex + 1).terms(4),
                        lastindex + 1,
                        lastindex + 1,
                        false),
                // do not increase commit higher than lastnewi
                new MaybeAppendCase(
                        id(lastterm, lastindex),
                        lastindex + 2,
                        index(lastindex + 1).terms(4),
                        lastindex + 1,
                        lastindex + 1,
                        false),
                new MaybeAppendCase(
                        id(lastterm, lastindex),
                        lastindex + 2,
                        index(lastindex + 1).terms(4, 4),
                        lastindex + 2,
                        lastindex + 2,
                        false),
                // match with the entry in the middle
                new MaybeAppendCase(
                        id(lastterm - 1, lastindex - 1),
                        lastindex,
                        index(lastindex).terms(4),
                        lastindex,
                        lastindex,
                        false),
                new MaybeAppendCase(
                        id(lastterm - 2, lastindex - 2),
                        lastindex,
                        index(lastindex - 1).terms(4),
                        lastindex - 1,
                        lastindex - 1,
                        false),
                // conflict with existing committed entry
                new MaybeAppendCase(
                        id(lastterm - 3, lastindex - 3),
                        lastindex,
                        index(lastindex - 2).terms(4),
                        lastindex - 2,
                        lastindex - 2,
                        true),
                new MaybeAppendCase(
                        id(lastterm - 2, lastindex - 2),
                        lastindex,
                        index(lastindex - 1).terms(4, 4),
                        lastindex,
                        lastindex,
                        false));

        for (int i = 0; i < cases.size(); i++) {
            MaybeAppendCase tt = cases.get(i);
            // A leader term high enough for every case to be a valid append.
            LogSlice app = new LogSlice(100, tt.prev(), tt.ents());
            assertEquals(java.util.Optional.empty(), app.valid(), "#" + i);

            RaftLog raftLog = logWith(previousEnts);
            raftLog.committed = commit;

            if (tt.wpanic()) {
                assertThrows(RaftPanicException.class, () -> raftLog.maybeAppend(app, tt.committed()), "#" + i);
                continue;
            }
            long glasti = raftLog.maybeAppend(app, tt.committed());
            assertEquals(tt.wlasti(), glasti, "#" + i);
            assertEquals(tt.wcommit(), raftLog.committed, "#" + i);
            if (glasti != none && !tt.ents().isEmpty()) {
                List<Entry> gents =
                        raftLog.slice(raftLog.lastIndex() - tt.ents().size() + 1, raftLog.lastIndex() + 1, NO_LIMIT);
                assertEquals(tt.ents(), gents, "#" + i);
            }
        }
    }

    /** Everything the log does still works after the storage is compacted under it. */
    @Test
    void logWorksAfterCompaction() {
        // 750 entries in stable storage and 250 in unstable.
        long lastIndex = 1000;
        long unstableIndex = 750;
        MemoryStorage storage = new MemoryStorage();
        storage.append(index(1).termRange(1, unstableIndex + 1));
        RaftLog raftLog = RaftLog.newLog(storage, logger());
        raftLog.append(index(unstableIndex + 1).termRange(unstableIndex + 1, lastIndex + 1));

        assertTrue(raftLog.maybeCommit(raftLog.lastEntryID()));
        raftLog.appliedTo(raftLog.committed, 0);

        long offset = 500;
        storage.compact(offset);
        assertEquals(lastIndex, raftLog.lastIndex());

        for (long j = offset; j <= raftLog.lastIndex(); j++) {
            assertEquals(j, raftLog.term(j));
        }
        for (long j = offset; j <= raftLog.lastIndex(); j++) {
            assertTrue(raftLog.matchTerm(id(j, j)));
        }

        List<Entry> unstableEnts = raftLog.nextUnstableEnts();
        assertEquals(250, unstableEnts.size());
        assertEquals(751, unstableEnts.get(0).getIndex());

        long prev = raftLog.lastIndex();
        raftLog.append(EntryFactory.entry(raftLog.lastIndex() + 1, raftLog.lastIndex() + 1));
        assertEquals(prev + 1, raftLog.lastIndex());

        assertEquals(1, raftLog.entries(raftLog.lastIndex(), NO_LIMIT).size());
    }

    private record ApplyCase(
            long applied, long applying, boolean allowUnstable, boolean paused, boolean snap, List<Entry> wents) {}

    /**
     * Storage holds a snapshot at (index 3, term 1) and entry 4; the log has entries 4..6,
     * entry 4 stable, committed up to 5.
     */
    private static RaftLog committedLog(long maxSize) {
        List<Entry> ents = index(4).terms(1, 1, 1);
        MemoryStorage storage = new MemoryStorage();
        storage.applySnapshot(snap(3, 1));
        storage.append(ents.subList(0, 1));
        RaftLog raftLog = RaftLog.newLogWithSize(storage, logger(), maxSize);
        raftLog.append(ents);
        raftLog.stableTo(id(1, 4));
        raftLog.maybeCommit(id(1, 5));
        return raftLog;
    }

    private static List<ApplyCase> applyCases() {
        List<Entry> ents = index(4).terms(1, 1, 1);
        return List.of(
                new ApplyCase(3, 3, true, false, false, ents.subList(0, 2)),
                new ApplyCase(3, 4, true, false, false, ents.subList(1, 2)),
                new ApplyCase(3, 5, true, false, false, NO_ENTRIES),
                new ApplyCase(4, 4, true, false, false, ents.subList(1, 2)),
                new ApplyCase(4, 5, true, false, false, NO_ENTRIES),
                new ApplyCase(5, 5, true, false, false, NO_ENTRIES),
                // Don't allow unstable entries.
                new ApplyCase(3, 3, false, false, false, ents.subList(0, 1)),
                new ApplyCase(3, 4, false, false, false, NO_ENTRIES),
                new ApplyCase(3, 5, false, false, false, NO_ENTRIES),
                new ApplyCase(4, 4, false, false, false, NO_ENTRIES),
                new ApplyCase(4, 5, false, false, false, NO_ENTRIES),
                new ApplyCase(5, 5, false, false, false, NO_ENTRIES),
                // Paused.
                new ApplyCase(3, 3, true, true, false, NO_ENTRIES),
                // With snapshot.
                new ApplyCase(3, 3, true, false, true, NO_ENTRIES));
    }

    private static RaftLog applyingLog(ApplyCase tt) {
        RaftLog raftLog = committedLog(NO_LIMIT);
        raftLog.appliedTo(tt.applied(), 0);
        raftLog.acceptApplying(tt.applying(), 0, tt.allowUnstable());
        raftLog.applyingEntsPaused = tt.paused();
        if (tt.snap()) {
            raftLog.restore(snap(4, 1));
        }
        return raftLog;
    }

    @Test
    void hasNextCommittedEntsRespectsApplyingStabilityPauseAndSnapshot() {
        // Go's table gives whasNext; it is exactly "the entries are not empty" of the next test.
        boolean[] whasNext = {
            true, true, false, true, false, false, true, false, false, false, false, false, false, false
        };
        List<ApplyCase> cases = applyCases();
        for (int i = 0; i < cases.size(); i++) {
            ApplyCase tt = cases.get(i);
            assertEquals(whasNext[i], applyingLog(tt).hasNextCommittedEnts(tt.allowUnstable()), "#" + i);
        }
    }

    @Test
    void nextCommittedEntsRespectsApplyingStabilityPauseAndSnapshot() {
        List<ApplyCase> cases = applyCases();
        for (int i = 0; i < cases.size(); i++) {
            ApplyCase tt = cases.get(i);
            assertEquals(tt.wents(), applyingLog(tt).nextCommittedEnts(tt.allowUnstable()), "#" + i);
        }
    }

    @Test
    void acceptApplyingPausesAtTheSizeLimitOrWhenEntriesWereCut() {
        long maxSize = 100;
        // index, allowUnstable, size, wpaused
        Object[][] cases = {
            {3L, true, maxSize - 1, true},
            {3L, true, maxSize, true},
            {3L, true, maxSize + 1, true},
            {4L, true, maxSize - 1, true},
            {4L, true, maxSize, true},
            {4L, true, maxSize + 1, true},
            {5L, true, maxSize - 1, false},
            {5L, true, maxSize, true},
            {5L, true, maxSize + 1, true},
            // Don't allow unstable entries.
            {3L, false, maxSize - 1, true},
            {3L, false, maxSize, true},
            {3L, false, maxSize + 1, true},
            {4L, false, maxSize - 1, false},
            {4L, false, maxSize, true},
            {4L, false, maxSize + 1, true},
            {5L, false, maxSize - 1, false},
            {5L, false, maxSize, true},
            {5L, false, maxSize + 1, true},
        };
        for (int i = 0; i < cases.length; i++) {
            RaftLog raftLog = committedLog(maxSize);
            raftLog.appliedTo(3, 0);
            raftLog.acceptApplying((long) cases[i][0], (long) cases[i][2], (boolean) cases[i][1]);
            assertEquals((boolean) cases[i][3], raftLog.applyingEntsPaused, "#" + i);
        }
    }

    @Test
    void appliedToReleasesApplyingBytesWithoutUnderflow() {
        long maxSize = 100;
        long overshoot = 5;
        // index, size, wapplyingSize, wpaused
        long[][] cases = {
            // Apply some of in-progress entries (applying = 5 below).
            {4, overshoot - 1, maxSize + 1, 1},
            {4, overshoot, maxSize, 1},
            {4, overshoot + 1, maxSize - 1, 0},
            // Apply all of in-progress entries.
            {5, overshoot - 1, maxSize + 1, 1},
            {5, overshoot, maxSize, 1},
            {5, overshoot + 1, maxSize - 1, 0},
            // Apply all of outstanding bytes.
            {4, maxSize + overshoot, 0, 0},
            // Apply more than outstanding bytes: incorrect accounting doesn't underflow.
            {4, maxSize + overshoot + 1, 0, 0},
        };
        for (int i = 0; i < cases.length; i++) {
            long[] tt = cases[i];
            RaftLog raftLog = committedLog(maxSize);
            raftLog.appliedTo(3, 0);
            raftLog.acceptApplying(5, maxSize + overshoot, false);

            raftLog.appliedTo(tt[0], tt[1]);
            assertEquals(tt[0], raftLog.applied, "#" + i);
            assertEquals(5, raftLog.applying, "#" + i);
            assertEquals(tt[2], raftLog.applyingEntsSize, "#" + i);
            assertEquals(tt[3] == 1, raftLog.applyingEntsPaused, "#" + i);
        }
    }

    @Test
    void nextUnstableEntsReturnsTheUnstablePart() {
        List<Entry> previousEnts = index(1).terms(1, 2);
        long[] unstables = {3, 1};
        List<List<Entry>> wants = List.of(NO_ENTRIES, previousEnts);
        for (int i = 0; i < unstables.length; i++) {
            int u = (int) unstables[i];
            // stable entries in storage, the rest unstable in the log
            MemoryStorage storage = new MemoryStorage();
            storage.append(previousEnts.subList(0, u - 1));
            RaftLog raftLog = RaftLog.newLog(storage, logger());
            raftLog.append(previousEnts.subList(u - 1, previousEnts.size()));

            List<Entry> ents = raftLog.nextUnstableEnts();
            if (!ents.isEmpty()) {
                raftLog.stableTo(EntryID.of(ents.get(ents.size() - 1)));
            }
            assertEquals(wants.get(i), ents, "#" + i);
            assertEquals(previousEnts.get(previousEnts.size() - 1).getIndex() + 1, raftLog.unstable.offset, "#" + i);
        }
    }

    @Test
    void commitToNeverDecreasesAndPanicsPastTheLastIndex() {
        List<Entry> previousEnts = index(1).terms(1, 2, 3);
        long commit = 2;
        // commit, wcommit, wpanic
        long[][] cases = {{3, 3, 0}, {1, 2, 0}, {4, 0, 1}};
        for (int i = 0; i < cases.length; i++) {
            long[] tt = cases[i];
            RaftLog raftLog = logWith(previousEnts);
            raftLog.committed = commit;
            if (tt[2] == 1) {
                assertThrows(RaftPanicException.class, () -> raftLog.commitTo(tt[0]), "#" + i);
                continue;
            }
            raftLog.commitTo(tt[0]);
            assertEquals(tt[1], raftLog.committed, "#" + i);
        }
    }

    @Test
    void stableToMovesTheUnstableOffsetOnlyForAMatchingEntry() {
        // stablei, stablet, wunstable
        long[][] cases = {
            {1, 1, 2},
            {2, 2, 3},
            {2, 1, 1}, // bad term
            {3, 1, 1}, // bad index
        };
        for (int i = 0; i < cases.length; i++) {
            long[] tt = cases[i];
            RaftLog raftLog = logWith(index(1).terms(1, 2));
            raftLog.stableTo(id(tt[1], tt[0]));
            assertEquals(tt[2], raftLog.unstable.offset, "#" + i);
        }
    }

    private record StableSnapCase(long stablei, long stablet, List<Entry> newEnts, long wunstable) {}

    @Test
    void stableToAfterASnapshotIgnoresTheSnapshotIndex() {
        long snapi = 5;
        long snapt = 2;
        List<StableSnapCase> cases = List.of(
                new StableSnapCase(snapi + 1, snapt, NO_ENTRIES, snapi + 1),
                new StableSnapCase(snapi, snapt, NO_ENTRIES, snapi + 1),
                new StableSnapCase(snapi - 1, snapt, NO_ENTRIES, snapi + 1),
                new StableSnapCase(snapi + 1, snapt + 1, NO_ENTRIES, snapi + 1),
                new StableSnapCase(snapi, snapt + 1, NO_ENTRIES, snapi + 1),
                new StableSnapCase(snapi - 1, snapt + 1, NO_ENTRIES, snapi + 1),
                new StableSnapCase(snapi + 1, snapt, index(snapi + 1).terms(snapt), snapi + 2),
                new StableSnapCase(snapi, snapt, index(snapi + 1).terms(snapt), snapi + 1),
                new StableSnapCase(snapi - 1, snapt, index(snapi + 1).terms(snapt), snapi + 1),
                new StableSnapCase(snapi + 1, snapt + 1, index(snapi + 1).terms(snapt), snapi + 1),
                new StableSnapCase(snapi, snapt + 1, index(snapi + 1).terms(snapt), snapi + 1),
                new StableSnapCase(snapi - 1, snapt + 1, index(snapi + 1).terms(snapt), snapi + 1));
        for (int i = 0; i < cases.size(); i++) {
            StableSnapCase tt = cases.get(i);
            MemoryStorage s = new MemoryStorage();
            s.applySnapshot(snap(snapi, snapt));
            RaftLog raftLog = RaftLog.newLog(s, logger());
            raftLog.append(tt.newEnts());
            raftLog.stableTo(id(tt.stablet(), tt.stablei()));
            assertEquals(tt.wunstable(), raftLog.unstable.offset, "#" + i);
        }
    }

    private record CompactionCase(long lastIndex, long[] compact, int[] wleft, boolean wallow) {}

    /** The number of log entries is right after compactions. */
    @Test
    void compactionLeavesTheRightNumberOfEntries() {
        List<CompactionCase> cases = List.of(
                // out of upper bound
                new CompactionCase(1000, new long[] {1001}, new int[] {-1}, false),
                new CompactionCase(1000, new long[] {300, 500, 800, 900}, new int[] {700, 500, 200, 100}, true),
                // out of lower bound
                new CompactionCase(1000, new long[] {300, 299}, new int[] {700, -1}, false));
        for (int i = 0; i < cases.size(); i++) {
            CompactionCase tt = cases.get(i);
            MemoryStorage storage = new MemoryStorage();
            storage.append(index(1).termRange(1, tt.lastIndex() + 1));
            RaftLog raftLog = RaftLog.newLog(storage, logger());
            raftLog.maybeCommit(id(0, tt.lastIndex())); // a no-op, as in etcd's test
            raftLog.appliedTo(raftLog.committed, 0);
            try {
                for (int j = 0; j < tt.compact().length; j++) {
                    try {
                        storage.compact(tt.compact()[j]);
                    } catch (CompactedException e) {
                        assertFalse(tt.wallow(), "#" + i);
                        continue;
                    }
                    assertEquals(tt.wleft()[j], raftLog.allEntries().size(), "#" + i);
                }
            } catch (RaftPanicException e) {
                assertFalse(tt.wallow(), "#" + i);
            }
        }
    }

    @Test
    void newLogStartsAtTheStorageSnapshot() {
        long index = 1000;
        long term = 1000;
        MemoryStorage storage = new MemoryStorage();
        storage.applySnapshot(snap(index, term));
        RaftLog raftLog = RaftLog.newLog(storage, logger());

        assertEquals(0, raftLog.allEntries().size());
        assertEquals(index + 1, raftLog.firstIndex());
        assertEquals(index, raftLog.committed);
        assertEquals(index + 1, raftLog.unstable.offset);
        assertEquals(term, raftLog.term(index));
    }

    @Test
    void mustCheckOutOfBoundsPanicsOrReportsCompaction() {
        long offset = 100;
        long num = 100;
        MemoryStorage storage = new MemoryStorage();
        storage.applySnapshot(snapAt(offset));
        RaftLog l = RaftLog.newLog(storage, logger());
        l.append(index(offset + 1).termRange(offset + 1, offset + num + 1));

        long first = offset + 1;
        // lo, hi, wpanic, wErrCompacted
        long[][] cases = {
            {first - 2, first + 1, 0, 1},
            {first - 1, first + 1, 0, 1},
            {first, first, 0, 0},
            {first + num / 2, first + num / 2, 0, 0},
            {first + num - 1, first + num - 1, 0, 0},
            {first + num, first + num, 0, 0},
            {first + num, first + num + 1, 1, 0},
            {first + num + 1, first + num + 1, 1, 0},
        };
        for (int i = 0; i < cases.length; i++) {
            long[] tt = cases[i];
            if (tt[2] == 1) {
                assertThrows(RaftPanicException.class, () -> l.mustCheckOutOfBounds(tt[0], tt[1]), "#" + i);
            } else if (tt[3] == 1) {
                assertThrows(CompactedException.class, () -> l.mustCheckOutOfBounds(tt[0], tt[1]), "#" + i);
            } else {
                l.mustCheckOutOfBounds(tt[0], tt[1]);
            }
        }
    }

    /** A term lookup case: the term, or the exception expected instead. */
    private record TermCase(long idx, long term, Class<? extends StorageException> err) {}

    private static void checkTerms(RaftLog l, List<TermCase> cases) {
        for (int i = 0; i < cases.size(); i++) {
            TermCase tt = cases.get(i);
            if (tt.err() != null) {
                assertThrows(tt.err(), () -> l.term(tt.idx()), "#" + i);
            } else {
                assertEquals(tt.term(), l.term(tt.idx()), "#" + i);
            }
        }
    }

    @Test
    void termIsKnownFromTheSnapshotToTheLastEntry() {
        long offset = 100;
        long num = 100;
        MemoryStorage storage = new MemoryStorage();
        storage.applySnapshot(snap(offset, 1));
        RaftLog l = RaftLog.newLog(storage, logger());
        l.append(index(offset + 1).termRange(1, num));

        checkTerms(
                l,
                List.of(
                        new TermCase(offset - 1, 0, CompactedException.class),
                        new TermCase(offset, 1, null),
                        new TermCase(offset + num / 2, num / 2, null),
                        new TermCase(offset + num - 1, num - 1, null),
                        new TermCase(offset + num, 0, UnavailableException.class)));
    }

    @Test
    void termWithAnUnstableSnapshotIsKnownOnlyAtItsIndex() {
        long storagesnapi = 100;
        long unstablesnapi = storagesnapi + 5;
        MemoryStorage storage = new MemoryStorage();
        storage.applySnapshot(snap(storagesnapi, 1));
        RaftLog l = RaftLog.newLog(storage, logger());
        l.restore(snap(unstablesnapi, 1));

        checkTerms(
                l,
                List.of(
                        // cannot get term from storage
                        new TermCase(storagesnapi, 0, CompactedException.class),
                        // cannot get term from the gap between storage ents and unstable snapshot
                        new TermCase(storagesnapi + 1, 0, CompactedException.class),
                        new TermCase(unstablesnapi - 1, 0, CompactedException.class),
                        // get term from unstable snapshot index
                        new TermCase(unstablesnapi, 1, null),
                        // the log beyond the unstable snapshot is empty
                        new TermCase(unstablesnapi + 1, 0, UnavailableException.class)));
    }

    private static List<Entry> range(long from, long to) {
        return index(from).termRange(from, to);
    }

    private record SliceCase(long lo, long hi, long lim, List<Entry> w, boolean wpanic) {
        SliceCase(long lo, long hi, long lim, List<Entry> w) {
            this(lo, hi, lim, w, false);
        }
    }

    @Test
    void sliceSpansStorageAndUnstableWithinTheSizeLimit() {
        long offset = 100;
        long num = 100;
        long last = offset + num;
        long half = offset + num / 2;
        Entry halfe = Entry.newBuilder()
                .setIndex(half)
                .setTerm(half)
                .setType(EntryType.EntryNormal)
                .build();
        long size = halfe.getSerializedSize();

        MemoryStorage storage = new MemoryStorage();
        storage.applySnapshot(snapAt(offset));
        storage.append(range(offset + 1, half));
        RaftLog l = RaftLog.newLog(storage, logger());
        l.append(range(half, last));

        List<SliceCase> cases = List.of(
                // compacted
                new SliceCase(offset - 1, offset + 1, NO_LIMIT, NO_ENTRIES),
                new SliceCase(offset, offset + 1, NO_LIMIT, NO_ENTRIES),
                // panics
                new SliceCase(half, half - 1, NO_LIMIT, null, true), // lo and hi inversion
                new SliceCase(last, last + 1, NO_LIMIT, null, true), // hi is out of bounds

                // No limit.
                new SliceCase(offset + 1, offset + 1, NO_LIMIT, NO_ENTRIES),
                new SliceCase(offset + 1, half - 1, NO_LIMIT, range(offset + 1, half - 1)),
                new SliceCase(offset + 1, half, NO_LIMIT, range(offset + 1, half)),
                new SliceCase(offset + 1, half + 1, NO_LIMIT, range(offset + 1, half + 1)),
                new SliceCase(offset + 1, last, NO_LIMIT, range(offset + 1, last)),
                new SliceCase(half - 1, half, NO_LIMIT, range(half - 1, half)),
                new SliceCase(half - 1, half + 1, NO_LIMIT, range(half - 1, half + 1)),
                new SliceCase(half - 1, last, NO_LIMIT, range(half - 1, last)),
                new SliceCase(half, half + 1, NO_LIMIT, range(half, half + 1)),
                new SliceCase(half, last, NO_LIMIT, range(half, last)),
                new SliceCase(last - 1, last, NO_LIMIT, range(last - 1, last)),

                // At least one entry is always returned.
                new SliceCase(offset + 1, last, 0, range(offset + 1, offset + 2)),
                new SliceCase(half - 1, half + 1, 0, range(half - 1, half)),
                new SliceCase(half, last, 0, range(half, half + 1)),
                new SliceCase(half + 1, last, 0, range(half + 1, half + 2)),
                // Low limit.
                new SliceCase(offset + 1, last, size - 1, range(offset + 1, offset + 2)),
                new SliceCase(half - 1, half + 1, size - 1, range(half - 1, half)),
                new SliceCase(half, last, size - 1, range(half, half + 1)),
                // Just enough for one limit.
                new SliceCase(offset + 1, last, size, range(offset + 1, offset + 2)),
                new SliceCase(half - 1, half + 1, size, range(half - 1, half)),
                new SliceCase(half, last, size, range(half, half + 1)),
                // Not enough for two limit.
                new SliceCase(offset + 1, last, size + 1, range(offset + 1, offset + 2)),
                new SliceCase(half - 1, half + 1, size + 1, range(half - 1, half)),
                new SliceCase(half, last, size + 1, range(half, half + 1)),
                // Enough for two limit.
                new SliceCase(offset + 1, last, size * 2, range(offset + 1, offset + 3)),
                new SliceCase(half - 2, half + 1, size * 2, range(half - 2, half)),
                new SliceCase(half - 1, half + 1, size * 2, range(half - 1, half + 1)),
                new SliceCase(half, last, size * 2, range(half, half + 2)),
                // Not enough for three.
                new SliceCase(half - 2, half + 1, size * 3 - 1, range(half - 2, half)),
                // Enough for three.
                new SliceCase(half - 1, half + 2, size * 3, range(half - 1, half + 2)));

        for (int i = 0; i < cases.size(); i++) {
            SliceCase tt = cases.get(i);
            if (tt.wpanic()) {
                assertThrows(RaftPanicException.class, () -> l.slice(tt.lo(), tt.hi(), tt.lim()), "#" + i);
            } else if (tt.lo() <= offset) {
                assertThrows(CompactedException.class, () -> l.slice(tt.lo(), tt.hi(), tt.lim()), "#" + i);
            } else {
                assertEquals(tt.w(), l.slice(tt.lo(), tt.hi(), tt.lim()), "#" + i);
            }
        }
    }

    @Test
    void scanPagesThroughTheSameEntriesAsSlice() {
        long offset = 47;
        long num = 20;
        long last = offset + num;
        long half = offset + num / 2;
        long entrySize = EntrySizes.entsSize(range(half, half + 1));

        MemoryStorage storage = new MemoryStorage();
        storage.applySnapshot(snapAt(offset));
        storage.append(range(offset + 1, half));
        RaftLog l = RaftLog.newLog(storage, logger());
        l.append(range(half, last));

        // scan() returns the same entries as slice(), on all inputs.
        for (long pageSize : new long[] {0, 1, 10, 100, entrySize, entrySize + 1}) {
            for (long lo = offset + 1; lo < last; lo++) {
                for (long hi = lo; hi <= last; hi++) {
                    List<Entry> got = new ArrayList<>();
                    assertTrue(l.scan(lo, hi, pageSize, e -> {
                        got.addAll(e);
                        assertTrue(e.size() == 1 || EntrySizes.entsSize(e) <= pageSize);
                        return true;
                    }));
                    List<Entry> want = l.slice(lo, hi, NO_LIMIT);
                    assertEquals(
                            want, got, String.format("scan() and slice() mismatch on [%d, %d) @ %d", lo, hi, pageSize));
                }
            }
        }

        // The visitor can stop the scan.
        int[] iters = {0};
        assertFalse(l.scan(offset + 1, half, 0, e -> {
            iters[0]++;
            return iters[0] != 2;
        }));
        assertEquals(2, iters[0]);

        // The pages fill up to the limit, not just one entry each (the range length is even).
        assertTrue(l.scan(offset + 1, offset + 11, entrySize * 2, ents -> {
            assertEquals(2, ents.size());
            assertEquals(entrySize * 2, EntrySizes.entsSize(ents));
            return true;
        }));
    }

    // What follows checks what the Java port adds or relies on beyond etcd's tests.

    @Test
    void toStringPrintsAsEtcd() {
        RaftLog l = logWith(index(1).terms(1, 2));
        l.commitTo(1);
        assertEquals(
                "committed=1, applied=0, applying=0, unstable.offset=1, unstable.offsetInProgress=1, "
                        + "len(unstable.Entries)=2",
                l.toString());
    }

    @Test
    void scanReportsACompactedRange() {
        MemoryStorage storage = new MemoryStorage();
        storage.append(index(1).terms(1, 1, 1));
        RaftLog l = RaftLog.newLog(storage, logger());
        storage.compact(2);
        assertThrows(CompactedException.class, () -> l.scan(1, 3, NO_LIMIT, e -> fail("visited " + e)));
    }

    @Test
    void committedEntriesHandedOutStayIntactWhileTheLogGrows() {
        RaftLog l = logWith(index(1).terms(1, 1));
        l.commitTo(2);
        List<Entry> ready = l.nextCommittedEnts(true);
        l.append(index(3).terms(2, 2));
        l.append(index(4).terms(3));
        assertEquals(index(1).terms(1, 1), ready);
        assertNotEquals(ready, l.allEntries());
        assertEquals(index(1).terms(1, 1, 2, 3), l.allEntries());
    }
}
