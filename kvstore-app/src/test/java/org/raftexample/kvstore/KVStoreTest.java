package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.raftexample.kvstore.proto.KV;
import org.raftexample.server.StateMachine;

/**
 * The state-machine tests every store passes ({@link RocksKVStoreTest} runs them on RocksDB): the
 * memory store here.
 */
class KVStoreTest {

    private final List<Long> appliedIds = new ArrayList<>();
    private final List<KeyValueStore> opened = new ArrayList<>();

    /** A new, empty store of the kind under test. */
    KeyValueStore open(long nodeId, java.util.function.LongConsumer appliedRequest) throws Exception {
        return new KVStore();
    }

    final KeyValueStore newStore(long nodeId, java.util.function.LongConsumer appliedRequest) {
        try {
            KeyValueStore s = open(nodeId, appliedRequest);
            opened.add(s);
            return s;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @org.junit.jupiter.api.AfterEach
    void closeStores() {
        opened.forEach(KeyValueStore::close);
    }

    /** The exact number of keys, read from a snapshot of the store. */
    static long count(KeyValueStore s) {
        try {
            return SnapshotFormat.read(new java.io.ByteArrayInputStream(s.snapshot()), (k, v) -> {});
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Whether a failed restore leaves the store as it was (the memory store builds aside). */
    boolean failedRestoreKeepsState() {
        return true;
    }

    private void record(long requestId) {
        appliedIds.add(requestId);
    }

    static byte[] allByteValues() {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        return all;
    }

    @Test
    void snapshotRoundTripRestoresTheSameMap() {
        KeyValueStore s = newStore(1, this::record);
        s.apply(1, kv("foo", "bar", 0, 0));
        s.apply(2, kv("/with \"quotes\"\n", "ünïcödé ✓", 0, 0));
        s.apply(3, kv("empty", "", 0, 0));
        byte[] snap = s.snapshot();

        KeyValueStore t = newStore(2, this::record);
        t.apply(1, kv("stale", "gone", 0, 0));
        t.restore(snap);
        assertEquals(Optional.of("bar"), t.lookup("foo"));
        assertEquals(Optional.of("ünïcödé ✓"), t.lookup("/with \"quotes\"\n"));
        assertEquals(Optional.of(""), t.lookup("empty"));
        assertEquals(Optional.empty(), t.lookup("stale"));
        assertEquals(3, count(t));
    }

    @Test
    void anyBytesAreAValueThroughApplyAndSnapshot() {
        byte[] big = new byte[1 << 20];
        new java.util.Random(7).nextBytes(big);
        KeyValueStore s = newStore(1, this::record);
        s.apply(1, ByteString.copyFrom(KVStore.encode("/all", allByteValues())));
        s.apply(2, ByteString.copyFrom(KVStore.encode("/empty", new byte[0])));
        s.apply(3, ByteString.copyFrom(KVStore.encode("/big", big)));
        assertArrayEquals(allByteValues(), s.get("/all").orElseThrow());

        KeyValueStore t = newStore(2, this::record);
        t.restore(s.snapshot());
        assertArrayEquals(allByteValues(), t.get("/all").orElseThrow());
        assertArrayEquals(new byte[0], t.get("/empty").orElseThrow());
        assertArrayEquals(big, t.get("/big").orElseThrow());
        assertEquals(3, count(t));
    }

    @Test
    void snapshotIsFormatVersion2WithLengthPrefixedPairsCountAndCrc() {
        KeyValueStore s = newStore(1, this::record);
        s.apply(1, kv("foo", "bar", 0, 0));
        byte[] snap = s.snapshot();
        ByteBuffer want = ByteBuffer.allocate(8 + 4 + 4 + 3 + 4 + 3 + 4 + 8 + 4);
        want.put("RXKVSNAP".getBytes(StandardCharsets.US_ASCII))
                .putInt(2)
                .putInt(3)
                .put("foo".getBytes(StandardCharsets.US_ASCII))
                .putInt(3)
                .put("bar".getBytes(StandardCharsets.US_ASCII))
                .putInt(-1)
                .putLong(1);
        CRC32C crc = new CRC32C();
        crc.update(want.array(), 0, want.position());
        want.putInt((int) crc.getValue());
        assertArrayEquals(want.array(), snap);
    }

    @Test
    void aJsonSnapshotOfTheFirstFormatIsStillRead() {
        KeyValueStore s = newStore(1, this::record);
        s.restore("{\"foo\":\"bar\",\"/é\":\"✓\"}".getBytes(StandardCharsets.UTF_8));
        assertEquals(Optional.of("bar"), s.lookup("foo"));
        assertArrayEquals("✓".getBytes(StandardCharsets.UTF_8), s.get("/é").orElseThrow());
        assertEquals(2, count(s));
    }

    @Test
    void emptyOrNullSnapshotGivesEmptyMap() {
        KeyValueStore s = newStore(1, this::record);
        s.apply(1, kv("a", "b", 0, 0));
        s.restore(new byte[0]);
        assertEquals(0, count(s));
        s.apply(2, kv("a", "b", 0, 0));
        s.restore("null".getBytes(StandardCharsets.UTF_8));
        assertEquals(0, count(s));
    }

    @Test
    void malformedSnapshotIsRejectedAndStateKept() {
        KeyValueStore s = newStore(1, this::record);
        s.apply(1, kv("a", "b", 0, 0));
        for (String bad : List.of("[1]", "{\"a\":1}", "{\"a\":\"b\"", "{} x")) {
            assertThrows(IllegalStateException.class, () -> s.restore(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
        KeyValueStore other = newStore(2, this::record);
        other.apply(1, kv("x", "y", 0, 0));
        other.apply(2, kv("z", "w", 0, 0));
        byte[] good = other.snapshot();
        List<byte[]> broken = new ArrayList<>();
        broken.add(Arrays.copyOf(good, good.length - 1)); // truncated checksum
        broken.add(Arrays.copyOf(good, 20)); // truncated in a pair
        broken.add(Arrays.copyOf(good, good.length + 1)); // trailing byte
        byte[] flipped = good.clone();
        flipped[14] ^= 1; // a key byte: checksum mismatch
        broken.add(flipped);
        byte[] version = good.clone();
        version[11] = 3;
        broken.add(version);
        byte[] count = good.clone();
        count[good.length - 5] = 9; // count 9 (checksum then fails first or with it)
        broken.add(count);
        for (byte[] b : broken) {
            assertThrows(IllegalStateException.class, () -> s.restore(b));
        }
        if (failedRestoreKeepsState()) {
            assertEquals(Optional.of("b"), s.lookup("a"));
            assertEquals(1, count(s));
        }
    }

    @Test
    void aSnapshotWithAnyOneByteDamagedIsRefusedBeforeItIsUsed() {
        KeyValueStore other = newStore(2, this::record);
        other.apply(1, kv("x", "y", 0, 0));
        other.apply(2, kv("key", "value", 0, 0));
        byte[] good = other.snapshot();
        KeyValueStore s = newStore(1, this::record);
        s.apply(1, kv("a", "b", 0, 0));
        for (int i = 0; i < good.length; i++) {
            byte[] damaged = good.clone();
            damaged[i] ^= (byte) (1 << (i % 8));
            int at = i;
            assertThrows(IllegalStateException.class, () -> s.restore(damaged), "byte " + at + " damaged");
            if (failedRestoreKeepsState()) {
                assertEquals(Optional.of("b"), s.lookup("a"), "byte " + at + " damaged");
                assertEquals(1, count(s));
            }
        }
        s.restore(good);
        assertEquals(Optional.of("value"), s.lookup("key"));
    }

    @Test
    void aViewIsThePointInTimeItWasTakenAtWhileWritesGoOn() {
        KeyValueStore s = newStore(1, this::record);
        for (int i = 0; i < 1000; i++) {
            s.apply(i + 1, kv("k" + i, "v" + i, 0, 0));
        }
        StateMachine.View v = s.view();
        // After the view: overwrite some, add new ones.
        for (int i = 0; i < 1000; i += 3) {
            s.apply(2000 + i, kv("k" + i, "changed", 0, 0));
        }
        for (int i = 0; i < 500; i++) {
            s.apply(5000 + i, kv("new" + i, "x", 0, 0));
        }
        assertThrows(IllegalStateException.class, s::view, "one view at a time");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(1000, assertDoesNotThrowIo(() -> v.writeTo(out)));
        v.close();

        KeyValueStore t = newStore(2, this::record);
        t.restore(out.toByteArray());
        assertEquals(1000, count(t));
        for (int i = 0; i < 1000; i++) {
            assertEquals(Optional.of("v" + i), t.lookup("k" + i));
        }
        assertEquals(Optional.of("changed"), s.lookup("k0"));
        assertEquals(1500, count(s));
        s.view().close(); // the next view may be taken once the first is closed
    }

    @Test
    void aViewOutlivesARestoreOfItsStore() throws Exception {
        KeyValueStore s = newStore(1, this::record);
        s.apply(1, kv("old", "1", 0, 0));
        StateMachine.View v = s.view();
        KeyValueStore other = newStore(2, this::record);
        other.apply(1, kv("new", "2", 0, 0));
        s.restore(other.snapshot());
        s.apply(2, kv("newer", "3", 0, 0));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        v.writeTo(out);
        v.close();
        KeyValueStore t = newStore(3, this::record);
        t.restore(out.toByteArray());
        assertEquals(Optional.of("1"), t.lookup("old"));
        assertEquals(1, count(t));
        assertEquals(2, count(s));
    }

    @Test
    void recordsOfEarlierVersionsThatNameTheirProposerStillApplyAndAWriteReturnsNoResult() {
        KeyValueStore s = newStore(7, appliedIds::add);
        // Before the glue framed commands, a record carried its proposer and request id itself.
        assertNull(s.apply(1, kv("k", "other", 8, 42)));
        assertEquals(Optional.of("other"), s.lookup("k"));
        assertNull(s.apply(2, ByteString.copyFrom(KVStore.encode("k", "v"))));
        assertEquals(Optional.of("v"), s.lookup("k"));
        assertEquals(List.of(), appliedIds, "the store completes no request: the glue does");
        assertEquals(0, s.skippedEntries());
    }

    @Test
    void entriesWithoutAKeyValueRecordAreSkippedAndCounted() {
        KeyValueStore s = newStore(1, this::record);
        s.apply(1, kv("a", "1", 0, 0));
        s.apply(2, ByteString.copyFrom(new byte[] {(byte) 0xff})); // not protobuf
        s.apply(3, ByteString.copyFromUtf8("poison: not a key-value record")); // foreign bytes
        s.apply(4, KV.newBuilder().setKey("no value").build().toByteString()); // parses, but no value
        s.apply(
                5,
                KV.newBuilder()
                        .setValue(ByteString.copyFromUtf8("no key"))
                        .build()
                        .toByteString()); // parses, but no key
        s.apply(6, kv("b", "2", 0, 0));
        assertEquals(4, s.skippedEntries());
        assertEquals(Optional.of("1"), s.lookup("a"));
        assertEquals(Optional.of("2"), s.lookup("b"));
        assertEquals(2, count(s));
        KeyValueStore ref = newStore(2, this::record);
        ref.apply(1, kv("a", "1", 0, 0));
        ref.apply(2, kv("b", "2", 0, 0));
        assertArrayEquals(ref.snapshot(), s.snapshot(), "skips leave no trace in the map");
    }

    @Test
    void skippedEntriesAreTheSameOnEveryReplica() {
        List<ByteString> log = List.of(
                kv("k", "v1", 0, 0),
                ByteString.copyFrom(new byte[] {0x0a, (byte) 0x80}),
                ByteString.copyFromUtf8("hello"),
                kv("k", "v2", 2, 7));
        KeyValueStore one = newStore(1, this::record);
        KeyValueStore two = newStore(2, this::record);
        for (int i = 0; i < log.size(); i++) {
            one.apply(i + 1, log.get(i));
            two.apply(i + 1, log.get(i));
        }
        assertEquals(one.skippedEntries(), two.skippedEntries());
        assertArrayEquals(one.snapshot(), two.snapshot());
        assertEquals(Optional.of("v2"), two.lookup("k"));
    }

    @Test
    void hexPrefixShowsAtMost32Bytes() {
        assertEquals("", KVRecords.hexPrefix(ByteString.EMPTY));
        assertEquals("00ff10", KVRecords.hexPrefix(ByteString.copyFrom(new byte[] {0, (byte) 0xff, 0x10})));
        String prefix = KVRecords.hexPrefix(ByteString.copyFrom(new byte[40]));
        assertEquals("00".repeat(32) + "...", prefix);
    }

    interface IoCall<T> {
        T call() throws java.io.IOException;
    }

    static <T> T assertDoesNotThrowIo(IoCall<T> c) {
        try {
            return c.call();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    static ByteString kv(String k, String v, long proposer, long requestId) {
        KV.Builder b = KV.newBuilder().setKey(k).setValue(ByteString.copyFromUtf8(v));
        if (proposer != 0) {
            b.setProposer(proposer).setRequestId(requestId);
        }
        return b.build().toByteString();
    }
}
