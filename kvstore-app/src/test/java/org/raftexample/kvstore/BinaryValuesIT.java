package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Values are bytes: all 256 byte values, the empty value and a value at the default size limit (1 MiB)
 * come back exactly through raft, a snapshot a lagging follower can only catch up with (node 3 restarted
 * on the other store, so the snapshot crosses stores: the build runs this once per store, so both
 * directions), and a restart of every node (the memory store restores its snapshot, RocksDB reopens).
 */
class BinaryValuesIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** The default --max-value-bytes: a value at the limit is 1 MiB. */
    private static final int LIMIT = 1 << 20;

    private static String store() {
        return NodeProcesses.store();
    }

    private static String otherStore() {
        return NodeProcesses.otherStore();
    }

    @Test
    @Timeout(180)
    void binaryValuesRoundTripThroughRaftSnapshotsCatchUpAndRestarts() throws Exception {
        Map<String, byte[]> values = new LinkedHashMap<>();
        values.put("/all", KVStoreTest.allByteValues());
        values.put("/empty", new byte[0]);
        byte[] limit = new byte[LIMIT];
        new Random(42).nextBytes(limit);
        values.put("/limit", limit);
        try (NodeProcesses c = new NodeProcesses(
                        3, "--tick-ms", "50", "--snapshot-count", "20", "--snapshot-catchup-entries", "5")
                .named("binary-" + store())) {
            c.startAll();
            c.putUntilAcknowledged(1, "/warm-up", "x", WAIT);
            c.await("node 3 applied the warm-up", WAIT, () -> getOrNull(c, 3, "/warm-up?serializable=true") != null);
            long node3Index =
                    OpsIT.json(c, 3, "/_raftexample/status").path("applied").asLong();
            assertEquals(143, c.stop(3));
            for (Map.Entry<String, byte[]> e : values.entrySet()) {
                assertEquals(204, putUntilAcknowledged(c, 1, e.getKey(), e.getValue()), e.getKey());
            }
            assertEquals(413, put(c, 1, "/over", new byte[LIMIT + 1]));
            // Enough entries for snapshots and compaction past what node 3 holds: it needs a snapshot.
            for (int i = 0; i < 60; i++) {
                assertEquals(204, putUntilAcknowledged(c, 1 + i % 2, "/fill" + i, new byte[] {(byte) i, 0, -1}));
            }
            for (long id = 1; id <= 2; id++) {
                assertAll(c, id, values);
            }
            // Both logs are compacted past everything node 3 holds: it can only catch up by a snapshot.
            for (long id = 1; id <= 2; id++) {
                long node = id;
                c.await(
                        "node " + id + "'s log compacted past node 3's",
                        WAIT,
                        () -> OpsIT.json(c, node, "/_raftexample/status")
                                        .path("snapshotIndex")
                                        .asLong()
                                > node3Index + 5 + 1);
            }

            // Node 3 comes back on the other store: the snapshot format is the same for both.
            c.start(3, 3, "--store", otherStore());
            c.awaitUp(3);
            c.await("node 3 caught up", WAIT, () -> Arrays.equals(getOrNull(c, 3, "/limit"), limit));
            assertAll(c, 3, values);
            assertTrue(
                    OpsIT.json(c, 3, "/_raftexample/status")
                                    .path("snapshotIndex")
                                    .asLong()
                            > node3Index,
                    "node 3 holds a snapshot");

            for (long id = 1; id <= 3; id++) {
                assertEquals(143, c.stop(id));
            }
            c.start(1, 3);
            c.start(2, 3);
            c.start(3, 3, "--store", otherStore());
            for (long id = 1; id <= 3; id++) {
                c.awaitUp(id);
            }
            for (long id = 1; id <= 3; id++) {
                assertAll(c, id, values);
            }
        }
    }

    private static void assertAll(NodeProcesses c, long id, Map<String, byte[]> values) throws Exception {
        for (Map.Entry<String, byte[]> e : values.entrySet()) {
            HttpResponse<byte[]> r = get(c, id, e.getKey());
            assertEquals(200, r.statusCode(), "node " + id + " " + e.getKey());
            assertArrayEquals(e.getValue(), r.body(), "node " + id + " " + e.getKey());
        }
        assertEquals(
                "application/octet-stream",
                get(c, id, "/all").headers().firstValue("Content-Type").orElse(null));
    }

    private static int putUntilAcknowledged(NodeProcesses c, long id, String key, byte[] value) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        int last = -1;
        while (System.nanoTime() < deadline) {
            last = put(c, id, key, value);
            if (last == 204) {
                return last;
            }
            Thread.sleep(100);
        }
        return last;
    }

    private static int put(NodeProcesses c, long id, String key, byte[] value) throws InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(c.addr(id).httpUrl() + key))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(value))
                .timeout(Duration.ofSeconds(15))
                .build();
        try {
            return c.http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private static HttpResponse<byte[]> get(NodeProcesses c, long id, String key) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(c.addr(id).httpUrl() + key))
                .timeout(Duration.ofSeconds(15))
                .build();
        return c.http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] getOrNull(NodeProcesses c, long id, String key) {
        try {
            HttpResponse<byte[]> r = get(c, id, key);
            return r.statusCode() == 200 ? r.body() : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (Exception e) {
            return null;
        }
    }
}
