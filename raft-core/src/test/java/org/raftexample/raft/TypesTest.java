package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.raftexample.raft.EntryFactory.entry;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.Entry;

/** EntryID and LogSlice, ported from etcd's types_test.go. */
class TypesTest {

    @Test
    void entryIdIsTheTermAndIndexOfAnEntry() {
        assertEquals(new EntryID(5, 10), new EntryID(5, 10));
        assertNotEquals(new EntryID(4, 10), new EntryID(5, 10));
        assertNotEquals(new EntryID(5, 9), new EntryID(5, 10));

        assertEquals(new EntryID(0, 0), EntryID.of(Entry.getDefaultInstance()));
        assertEquals(
                new EntryID(1, 2),
                EntryID.of(Entry.newBuilder()
                        .setTerm(1)
                        .setIndex(2)
                        .setData(ByteString.copyFromUtf8("data"))
                        .build()));
        assertEquals(new EntryID(10, 123), EntryID.of(entry(123, 10)));
        assertEquals("{term:10 index:123}", new EntryID(10, 123).toString());
    }

    /** id(index, term), as in etcd's test. */
    private static EntryID id(long index, long term) {
        return new EntryID(term, index);
    }

    private static Entry e(long index, long term) {
        return entry(index, term);
    }

    private record Case(long term, EntryID prev, List<Entry> entries, boolean notOk, EntryID last) {
        static Case ok(long term, EntryID prev, List<Entry> entries, EntryID last) {
            return new Case(term, prev, entries, false, last);
        }

        static Case bad(long term, EntryID prev, List<Entry> entries) {
            return new Case(term, prev, entries, true, null);
        }
    }

    @Test
    void logSliceIsValidOnlyWhenContiguousWithNonDecreasingTerms() {
        EntryID zero = id(0, 0);
        List<Entry> none = List.of();
        List<Case> cases = List.of(
                // Empty "dummy" slice, starting at (0, 0) origin of the log.
                Case.ok(0, zero, none, id(0, 0)),
                // Empty slice with a given prev ID. Valid only if term >= prev.term.
                Case.bad(0, id(123, 10), none),
                Case.bad(9, id(123, 10), none),
                Case.ok(10, id(123, 10), none, id(123, 10)),
                Case.ok(11, id(123, 10), none, id(123, 10)),
                // A single entry.
                Case.bad(0, zero, List.of(e(1, 1))),
                Case.ok(1, zero, List.of(e(1, 1)), id(1, 1)),
                Case.ok(2, zero, List.of(e(1, 1)), id(1, 1)),
                // Multiple entries.
                Case.bad(2, zero, List.of(e(2, 1), e(3, 1), e(4, 2))),
                Case.bad(1, id(1, 1), List.of(e(2, 1), e(3, 1), e(4, 2))),
                Case.ok(2, id(1, 1), List.of(e(2, 1), e(3, 1), e(4, 2)), id(4, 2)),
                // First entry inconsistent with prev.
                Case.bad(10, id(123, 5), List.of(e(111, 5))),
                Case.bad(10, id(123, 5), List.of(e(124, 4))),
                Case.bad(10, id(123, 5), List.of(e(234, 6))),
                Case.ok(10, id(123, 5), List.of(e(124, 6)), id(124, 6)),
                // Inconsistent entries.
                Case.bad(10, id(12, 2), List.of(e(13, 2), e(12, 2))),
                Case.bad(10, id(12, 2), List.of(e(13, 2), e(15, 2))),
                Case.bad(10, id(12, 2), List.of(e(13, 2), e(14, 1))),
                Case.ok(10, id(12, 2), List.of(e(13, 2), e(14, 3)), id(14, 3)));
        for (int i = 0; i < cases.size(); i++) {
            Case tt = cases.get(i);
            LogSlice s = new LogSlice(tt.term(), tt.prev(), tt.entries());
            assertEquals(tt.notOk(), s.valid().isPresent(), "#" + i);
            if (!tt.notOk()) {
                EntryID last = s.lastEntryID();
                assertEquals(tt.last(), last, "#" + i);
                assertEquals(last.index(), s.lastIndex(), "#" + i);
            }
        }
    }

    @Test
    void invalidLogSliceExplainsItselfAsEtcd() {
        assertEquals(
                "leader term 10: entries {term:2 index:13} and {term:1 index:14} not consistent",
                new LogSlice(10, id(12, 2), List.of(e(13, 2), e(14, 1))).valid().orElseThrow());
        assertEquals(
                "leader term 9: entry {term:10 index:123} has a newer term",
                new LogSlice(9, id(123, 10), List.of()).valid().orElseThrow());
    }
}
