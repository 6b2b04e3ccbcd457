package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The state-machine tests of {@link KVStoreTest} on the RocksDB store, plus its durable applied index. */
class RocksKVStoreTest extends KVStoreTest {

    @TempDir
    Path dir;

    private final AtomicInteger n = new AtomicInteger();

    @Override
    KeyValueStore open(long nodeId, LongConsumer appliedRequest) throws Exception {
        return new RocksKVStore(dir.resolve("db-" + n.incrementAndGet()));
    }

    @Override
    boolean failedRestoreKeepsState() {
        // The content is replaced as it streams in; a failed restore stops the node (see RocksKVStore).
        return false;
    }

    @Test
    void itsSizeCountsTheDataWrittenForTheQuotaAndTheMetrics() throws Exception {
        try (RocksKVStore s = new RocksKVStore(dir.resolve("size"))) {
            long before = s.sizeBytes();
            byte[] value = new byte[1000];
            for (int i = 0; i < 2000; i++) {
                value[0] = (byte) i;
                s.apply(i + 1, ByteString.copyFrom(KVStore.encode("/k" + i, value)));
            }
            // The estimate is asked of RocksDB at most every 100 ms: wait until it is asked again.
            long deadline = System.nanoTime() + 10_000_000_000L;
            long grown = s.sizeBytes() - before;
            while (grown < 2000 * 1000 && System.nanoTime() < deadline) {
                Thread.sleep(5); // poll, without taking a core from the rest of the suite
                grown = s.sizeBytes() - before;
            }
            assertTrue(grown >= 2000 * 1000, "grew by " + grown + " bytes for 2 MB of values");
        }
    }

    @Test
    void theAppliedIndexIsWrittenWithTheDataAndSurvivesAReopen() throws Exception {
        Path db = dir.resolve("reopen");
        try (RocksKVStore s = new RocksKVStore(db)) {
            assertEquals(0, s.durableAppliedIndex());
            s.apply(7, kv("k", "v", 0, 0));
            s.apply(8, ByteString.copyFrom(KVStore.encode("/all", allByteValues())));
        }
        try (RocksKVStore s = new RocksKVStore(db)) {
            assertEquals(8, s.durableAppliedIndex());
            assertEquals(Optional.of("v"), s.lookup("k"));
            assertArrayEquals(allByteValues(), s.get("/all").orElseThrow());
            KVStore other = new KVStore();
            other.apply(1, kv("x", "y", 0, 0));
            s.restore(other.snapshot());
            assertEquals(Optional.empty(), s.lookup("k"));
        }
        try (RocksKVStore s = new RocksKVStore(db)) {
            // After a restore the index is unknown until the next entry: restart from the snapshot file.
            assertEquals(0, s.durableAppliedIndex());
            assertEquals(Optional.of("y"), s.lookup("x"));
        }
    }

    @Test
    void aSnapshotOfEitherStoreRestoresIntoTheOther() throws Exception {
        KVStore mem = new KVStore();
        mem.apply(1, ByteString.copyFrom(KVStore.encode("/all", allByteValues())));
        mem.apply(2, kv("/e", "", 0, 0));
        KeyValueStore rocks = newStore(2, id -> {});
        rocks.restore(mem.snapshot());
        assertArrayEquals(allByteValues(), rocks.get("/all").orElseThrow());
        rocks.apply(3, kv("/r", "from rocks", 0, 0));
        KVStore back = new KVStore();
        back.restore(rocks.snapshot());
        assertArrayEquals(allByteValues(), back.get("/all").orElseThrow());
        assertEquals(Optional.of(""), back.lookup("/e"));
        assertEquals(Optional.of("from rocks"), back.lookup("/r"));
        assertEquals(3, count(back));
    }
}
