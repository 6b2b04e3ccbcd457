package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.kvstore.KVStoreTest.kv;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.server.StateMachine;

/** What only the memory store does: its heap estimate, and views written while its map resizes. */
@Timeout(120)
class KVStoreMemoryTest {

    @Test
    void sizeBytesIsTheMapsHeapEstimateAndFollowsWritesAndRestores() {
        KVStore s = new KVStore();
        long empty = s.sizeBytes();
        // The empty table: its object, and a reference array and a hash array of 16 slots.
        assertEquals(24 + 2 * (16 + 4 * 16), empty);
        s.apply(1, kv("/k", "v".repeat(100), 0, 0));
        assertEquals(empty + CompactMap.arrayBytes(1 + 2 + 100), s.sizeBytes());
        s.apply(2, kv("/k", "", 0, 0));
        assertEquals(empty + CompactMap.arrayBytes(1 + 2), s.sizeBytes(), "an overwrite replaces the entry");
        long before = s.sizeBytes();
        assertThrows(IllegalStateException.class, () -> s.restore("{".getBytes(StandardCharsets.UTF_8)));
        assertEquals(before, s.sizeBytes(), "a failed restore keeps the map");
        s.restore(new byte[0]);
        assertEquals(empty, s.sizeBytes());
        assertEquals(0, s.size());
    }

    @Test
    void getReturnsAValueTheCallerCannotChangeTheMapThrough() {
        KVStore s = new KVStore();
        s.apply(1, kv("/k", "value", 0, 0));
        s.get("/k").orElseThrow()[0] = 'X';
        assertEquals(Optional.of("value"), s.lookup("/k"));
    }

    @Test
    void aViewWrittenOnAnotherThreadIsItsPointInTimeWhileTheMapResizesUnderIt() throws Exception {
        KVStore s = new KVStore();
        int n = 20_000;
        Map<String, String> atView = new HashMap<>();
        long index = 0;
        for (int i = 0; i < n; i++) {
            s.apply(++index, kv("/k" + i, "v" + i, 0, 0));
            atView.put("/k" + i, "v" + i);
        }
        StateMachine.View v = s.view();
        // The view's first bytes out wait until the first half of the changes (a resize among them) is
        // applied; the rest is applied while the view goes on being written.
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<byte[]> written = pool.submit(() -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream() {
                    @Override
                    public synchronized void write(byte[] b, int off, int len) {
                        if (writing.getCount() > 0) {
                            writing.countDown();
                            try {
                                assertTrue(resume.await(30, TimeUnit.SECONDS));
                            } catch (InterruptedException e) {
                                throw new AssertionError(e);
                            }
                        }
                        super.write(b, off, len);
                    }
                };
                assertEquals(n, v.writeTo(out));
                return out.toByteArray();
            });
            assertTrue(writing.await(30, TimeUnit.SECONDS));
            int capacity = s.mapCapacity();
            // While it is written: overwrite every key (some twice) and add enough keys for resizes.
            for (int i = 0; i < n; i++) {
                if (i == n / 2) {
                    assertTrue(s.mapCapacity() > capacity, "a resize while the view is open");
                    resume.countDown();
                }
                s.apply(++index, kv("/k" + i, "changed" + i, 0, 0));
                s.apply(++index, kv("/new" + i, "x", 0, 0));
                s.apply(++index, kv("/more" + i, "y", 0, 0));
                if (i % 3 == 0) {
                    s.apply(++index, kv("/k" + i, "again" + i, 0, 0));
                }
            }
            byte[] snapshot = written.get(60, TimeUnit.SECONDS);
            v.close();
            Map<String, String> got = new HashMap<>();
            SnapshotFormat.read(
                    new java.io.ByteArrayInputStream(snapshot),
                    (k, val) -> assertEquals(
                            null,
                            got.put(new String(k, StandardCharsets.UTF_8), new String(val, StandardCharsets.UTF_8)),
                            "a key twice"));
            assertEquals(atView, got);
        } finally {
            resume.countDown();
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
        assertEquals(3L * n, s.size());
        assertEquals(Optional.of("again0"), s.lookup("/k0"));
        assertArrayEquals(
                "changed1".getBytes(StandardCharsets.UTF_8), s.get("/k1").orElseThrow());
        s.view().close();
    }
}
