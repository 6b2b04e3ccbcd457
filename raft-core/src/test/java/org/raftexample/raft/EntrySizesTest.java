package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.EntryFactory.entry;
import static org.raftexample.raft.EntryFactory.index;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;

/** Entry size helpers, ported from the size tests of etcd's util_test.go. */
class EntrySizesTest {

    @Test
    void limitSizeKeepsTheLongestPrefixWithinTheLimitButAtLeastOneEntry() {
        List<Entry> ents = List.of(entry(4, 4), entry(5, 5), entry(6, 6));
        long s0 = ents.get(0).getSerializedSize();
        long s1 = ents.get(1).getSerializedSize();
        long s2 = ents.get(2).getSerializedSize();
        long[] maxSizes = {Long.MAX_VALUE, 0, s0 + s1, s0 + s1 + s2 / 2, s0 + s1 + s2 - 1, s0 + s1 + s2};
        int[] wantLen = {3, 1, 2, 2, 2, 3};
        for (int i = 0; i < maxSizes.length; i++) {
            List<Entry> got = EntrySizes.limitSize(ents, maxSizes[i]);
            assertEquals(ents.subList(0, wantLen[i]), got, "#" + i);
            assertTrue(got.size() == 1 || EntrySizes.entsSize(got) <= maxSizes[i], "#" + i);
        }
    }

    /** New leaders append an empty entry, which must not count towards the uncommitted quota. */
    @Test
    void payloadSizeOfAnEmptyEntryIsZero() {
        assertEquals(0, EntrySizes.payloadSize(Entry.getDefaultInstance()));
    }

    @Test
    void sizesAreGoProtoSizes() {
        // Go: proto.Size(&pb.Entry{Term: 1, Index: 1}) == 4 (two one-byte tags, two one-byte varints).
        assertEquals(4, entry(1, 1).getSerializedSize());
        // An explicitly set type counts even when it is the default, as in Go with presence.
        assertEquals(
                6,
                entry(1, 1).toBuilder().setType(EntryType.EntryNormal).build().getSerializedSize());
        // Go: proto.Size(&pb.Entry{Term: 300, Index: 1, Data: []byte("abc")}) == 10.
        Entry e = entry(1, 300).toBuilder()
                .setData(ByteString.copyFromUtf8("abc"))
                .build();
        assertEquals(10, e.getSerializedSize());
        assertEquals(14, EntrySizes.entsSize(List.of(e, entry(1, 1))));
        assertEquals(3, EntrySizes.payloadSize(e));
        assertEquals(6, EntrySizes.payloadsSize(List.of(e, entry(1, 1), e)));
    }

    @Test
    void extendConcatenatesWithoutTouchingItsInputs() {
        List<Entry> a = index(1).terms(1, 1);
        List<Entry> b = index(3).terms(2);
        assertEquals(index(1).terms(1, 1, 2), EntrySizes.extend(a, b));
        assertSame(a, EntrySizes.extend(a, List.of()));
        assertEquals(index(1).terms(1, 1), a);
        assertEquals(index(3).terms(2), b);
    }
}
