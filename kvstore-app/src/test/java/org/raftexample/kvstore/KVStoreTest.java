package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.raftexample.kvstore.proto.KV;

class KVStoreTest {

    private final List<Long> appliedIds = new ArrayList<>();

    private void record(long requestId) {
        appliedIds.add(requestId);
    }

    @Test
    void snapshotRoundTripRestoresTheSameMap() {
        KVStore s = new KVStore(1, this::record);
        s.apply(1, kv("foo", "bar", 0, 0));
        s.apply(2, kv("/with \"quotes\"\n", "ünïcödé ✓", 0, 0));
        s.apply(3, kv("empty", "", 0, 0));
        byte[] snap = s.snapshot();

        KVStore t = new KVStore(2, this::record);
        t.apply(1, kv("stale", "gone", 0, 0));
        t.restore(snap);
        assertEquals(Optional.of("bar"), t.lookup("foo"));
        assertEquals(Optional.of("ünïcödé ✓"), t.lookup("/with \"quotes\"\n"));
        assertEquals(Optional.of(""), t.lookup("empty"));
        assertEquals(Optional.empty(), t.lookup("stale"));
        assertEquals(3, t.size());
    }

    @Test
    void snapshotIsAJsonObjectOfStrings() {
        KVStore s = new KVStore(1, this::record);
        s.apply(1, kv("foo", "bar", 0, 0));
        assertEquals("{\"foo\":\"bar\"}", new String(s.snapshot(), StandardCharsets.UTF_8));
    }

    @Test
    void emptyOrNullSnapshotGivesEmptyMap() {
        KVStore s = new KVStore(1, this::record);
        s.apply(1, kv("a", "b", 0, 0));
        s.restore(new byte[0]);
        assertEquals(0, s.size());
        s.apply(2, kv("a", "b", 0, 0));
        s.restore("null".getBytes(StandardCharsets.UTF_8));
        assertEquals(0, s.size());
    }

    @Test
    void malformedSnapshotIsRejectedAndStateKept() {
        KVStore s = new KVStore(1, this::record);
        s.apply(1, kv("a", "b", 0, 0));
        for (String bad : List.of("[1]", "{\"a\":1}", "{\"a\":\"b\"", "{} x")) {
            assertThrows(IllegalStateException.class, () -> s.restore(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
        assertEquals(Optional.of("b"), s.lookup("a"));
    }

    @Test
    void onlyEntriesThisNodeProposedReportTheirRequestId() {
        KVStore s = new KVStore(7, appliedIds::add);
        s.apply(1, kv("k", "other", 8, 42));
        s.apply(2, kv("k", "plain", 0, 0));
        assertEquals(List.of(), appliedIds);
        assertEquals(Optional.of("plain"), s.lookup("k"));
        s.apply(3, ByteString.copyFrom(KVStore.encode("k", "v", 7, 42)));
        assertEquals(List.of(42L), appliedIds);
        assertEquals(Optional.of("v"), s.lookup("k"));
    }

    @Test
    void entriesWithoutAKeyValueRecordAreSkippedAndCounted() {
        KVStore s = new KVStore(1, this::record);
        s.apply(1, kv("a", "1", 0, 0));
        s.apply(2, ByteString.copyFrom(new byte[] {(byte) 0xff}));              // not protobuf
        s.apply(3, ByteString.copyFromUtf8("poison: not a key-value record")); // foreign bytes
        s.apply(4, KV.newBuilder().setKey("no value").build().toByteString());  // parses, but no value
        s.apply(5, KV.newBuilder().setValue("no key").build().toByteString());  // parses, but no key
        s.apply(6, kv("b", "2", 0, 0));
        assertEquals(4, s.skippedEntries());
        assertEquals(Optional.of("1"), s.lookup("a"));
        assertEquals(Optional.of("2"), s.lookup("b"));
        assertEquals(2, s.size());
        assertEquals("{\"a\":\"1\",\"b\":\"2\"}".length(), s.snapshot().length, "skips leave no trace in the map");
    }

    @Test
    void skippedEntriesAreTheSameOnEveryReplica() {
        List<ByteString> log = List.of(kv("k", "v1", 0, 0), ByteString.copyFrom(new byte[] {0x0a, (byte) 0x80}),
                ByteString.copyFromUtf8("hello"), kv("k", "v2", 2, 7));
        KVStore one = new KVStore(1, this::record);
        KVStore two = new KVStore(2, this::record);
        for (int i = 0; i < log.size(); i++) {
            one.apply(i + 1, log.get(i));
            two.apply(i + 1, log.get(i));
        }
        assertEquals(one.skippedEntries(), two.skippedEntries());
        assertEquals(new String(one.snapshot(), StandardCharsets.UTF_8), new String(two.snapshot(), StandardCharsets.UTF_8));
        assertEquals(Optional.of("v2"), two.lookup("k"));
    }

    @Test
    void hexPrefixShowsAtMost32Bytes() {
        assertEquals("", KVRecords.hexPrefix(ByteString.EMPTY));
        assertEquals("00ff10", KVRecords.hexPrefix(ByteString.copyFrom(new byte[] {0, (byte) 0xff, 0x10})));
        String prefix = KVRecords.hexPrefix(ByteString.copyFrom(new byte[40]));
        assertEquals("00".repeat(32) + "...", prefix);
    }

    static ByteString kv(String k, String v, long proposer, long requestId) {
        KV.Builder b = KV.newBuilder().setKey(k).setValue(v);
        if (proposer != 0) {
            b.setProposer(proposer).setRequestId(requestId);
        }
        return b.build().toByteString();
    }
}
