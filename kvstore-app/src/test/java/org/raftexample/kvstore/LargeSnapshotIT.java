package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A snapshot larger than the heap streams to a joining node: a RocksDB node holding ~160 MB of values,
 * restarted with {@code -Xmx64m}, adds node 2 (POST, then {@code --join}, also {@code -Xmx64m}), which
 * can only catch up by that snapshot; node 2 then serves every value. Neither JVM could hold the
 * snapshot (both exit on {@code OutOfMemoryError}), and their live heap, sampled over and over (a full
 * collection, then the metrics endpoint's heap in use) while the snapshot is written, sent and
 * installed, stays under 40 MiB, a quarter of the snapshot.
 */
class LargeSnapshotIT {

    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int KEYS = 2500;
    private static final int VALUE = 64 * 1024;
    private static final long HEAP_BOUND = 40L << 20;

    private static byte[] value(int i) {
        byte[] v = new byte[VALUE];
        for (int j = 0; j < v.length; j++) {
            v[j] = (byte) (i * 31 + j);
        }
        return v;
    }

    @Test
    @Timeout(400)
    void aSnapshotLargerThanTheHeapStreamsToAJoiningNodeWithoutGrowingEitherHeap() throws Exception {
        try (NodeProcesses c =
                new NodeProcesses(1, "--store", "rocksdb", "--snapshot-catchup-entries", "5").named("large-snapshot")) {
            // Loaded with room for raft's in-memory log of large values (600 entries of 64 KiB).
            // Snapshots at fixed counts (not spaced out as the state grows): the test needs one past KEYS.
            c.start(1, 1, "--snapshot-count", "600", "--snapshot-log-percent", "0");
            c.awaitUp(1);
            c.putUntilAcknowledged(1, "/warm-up", "ok", WAIT);
            load(c);

            // From here on, both JVMs have a heap well below the snapshot and stop on OutOfMemoryError.
            c.setJvmFlags("-Xmx64m", "-XX:+ExitOnOutOfMemoryError");
            assertEquals(143, c.stop(1));
            c.start(1, 1, "--snapshot-count", "50", "--snapshot-log-percent", "0");
            c.awaitUp(1);
            c.putUntilAcknowledged(1, "/after-restart", "ok", WAIT);
            // Node 2 is to catch up by a snapshot past KEYS. Where node 1's last snapshot before the
            // restart fell depends on how its applies were batched; if it fell close to KEYS, the few
            // entries after the restart take no new one (a snapshot needs more than 50 entries since the
            // last), node 2 receives the old one and never takes its own. So write until node 1 has one.
            for (int i = 0;
                    OpsIT.json(c, 1, "/_raftexample/status")
                                    .path("snapshotIndex")
                                    .asLong()
                            <= KEYS;
                    i++) {
                assertTrue(i < 500, "node 1 took no snapshot past " + KEYS + " in 500 writes");
                c.putUntilAcknowledged(1, "/filler-" + i, "x", WAIT);
            }

            Map<Long, AtomicLong> peakHeap = Map.of(1L, new AtomicLong(), 2L, new AtomicLong());
            Map<Long, AtomicLong> samplesTaken = Map.of(1L, new AtomicLong(), 2L, new AtomicLong());
            AtomicBoolean sampling = new AtomicBoolean(true);
            ExecutorService sampler = Executors.newSingleThreadExecutor();
            Future<?> samples = sampler.submit(() -> {
                while (sampling.get()) {
                    for (long id : peakHeap.keySet()) {
                        liveHeap(c, id).ifPresent(h -> {
                            peakHeap.get(id).accumulateAndGet(h, Math::max);
                            samplesTaken.get(id).incrementAndGet();
                        });
                    }
                    Thread.sleep(50);
                }
                return null;
            });
            try {
                NodeProcesses.NodeAddr two = c.addAddr();
                assertEquals(204, c.request(1, "POST", "/2", two.peerUrl()).statusCode());
                c.start(2, 2, "--join", "--snapshot-count", "50", "--snapshot-log-percent", "0");
                c.awaitUp(2);
                c.await(
                        "node 2 caught up by snapshot",
                        WAIT,
                        () -> OpsIT.json(c, 2, "/_raftexample/status")
                                        .path("snapshotIndex")
                                        .asLong()
                                > KEYS);
                c.putUntilAcknowledged(1, "/after-join", "ok", WAIT);
                c.await("node 2 applied the write after the join", WAIT, () -> {
                    try {
                        return c.get(2, "/after-join?serializable=true").equals("200 ok");
                    } catch (InterruptedException e) {
                        return true;
                    }
                });
                // On a fast machine the catch-up can be over before three samples were taken (each is a
                // full collection through jcmd): a few more, after it, still see a heap that kept the
                // snapshot, and -Xmx64m with ExitOnOutOfMemoryError catches one that held it whole.
                c.await(
                        "three heap samples of each node",
                        WAIT,
                        () -> samplesTaken.values().stream().allMatch(n -> n.get() >= 3));
            } finally {
                sampling.set(false);
                samples.get();
                sampler.shutdown();
            }

            long snapshotBytes = newestSnapshotBytes(c.dataDir().resolve("raftexample-2-snap"));
            assertTrue(
                    snapshotBytes > 2 * HEAP_BOUND,
                    "the snapshot node 2 received (" + snapshotBytes + " bytes) is over twice the heap bound");
            for (long id = 1; id <= 2; id++) {
                assertTrue(c.process(id).isAlive(), "node " + id + " is running (no OutOfMemoryError)");
                long peak = peakHeap.get(id).get();
                assertTrue(samplesTaken.get(id).get() >= 3, "node " + id + "'s heap was sampled: " + samplesTaken);
                assertTrue(
                        peak < HEAP_BOUND,
                        "node " + id + "'s heap peaked at " + peak + " bytes, snapshot " + snapshotBytes + " bytes");
            }
            System.out.printf(
                    "LargeSnapshotIT: snapshot %d bytes; peak live heap: sender %d, receiver %d bytes (%s samples)%n",
                    snapshotBytes, peakHeap.get(1L).get(), peakHeap.get(2L).get(), samplesTaken);
            for (int i = 0; i < KEYS; i++) {
                HttpResponse<byte[]> r = c.http.send(
                        HttpRequest.newBuilder(URI.create(c.addr(2).httpUrl() + "/k" + i + "?serializable=true"))
                                .timeout(Duration.ofSeconds(15))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, r.statusCode(), "/k" + i + " on node 2");
                assertArrayEquals(value(i), r.body(), "/k" + i + " on node 2");
            }
        }
    }

    /** KEYS values of 64 KiB (~160 MB), eight writers at a time. */
    private static void load(NodeProcesses c) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int i = 0; i < KEYS; i++) {
                int k = i;
                done.add(pool.submit(() -> {
                    HttpRequest req = HttpRequest.newBuilder(
                                    URI.create(c.addr(1).httpUrl() + "/k" + k))
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(value(k)))
                            .timeout(Duration.ofSeconds(30))
                            .build();
                    int status = -1;
                    for (int attempt = 0; attempt < 20 && status != 204; attempt++) {
                        status = c.http.send(req, HttpResponse.BodyHandlers.discarding())
                                .statusCode();
                    }
                    return status;
                }));
            }
            for (Future<Integer> f : done) {
                assertEquals(204, f.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The heap a node holds live: a full collection ({@code jcmd <pid> GC.run}), then the heap in use as
     * its metrics endpoint reports it (the heap in use without a collection includes garbage, up to -Xmx).
     */
    private static java.util.Optional<Long> liveHeap(NodeProcesses c, long id) {
        try {
            Process node = c.process(id);
            if (node == null || !node.isAlive()) {
                return java.util.Optional.empty();
            }
            Process gc = new ProcessBuilder(
                            Path.of(System.getProperty("java.home"), "bin", "jcmd")
                                    .toString(),
                            Long.toString(node.pid()),
                            "GC.run")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!gc.waitFor(20, java.util.concurrent.TimeUnit.SECONDS) || gc.exitValue() != 0) {
                gc.destroyForcibly();
                return java.util.Optional.empty();
            }
            Double v = OpsIT.metrics(c, id).get("jvm_memory_used_bytes{area=\"heap\"}");
            return java.util.Optional.ofNullable(v).map(Double::longValue);
        } catch (Exception e) {
            return java.util.Optional.empty();
        }
    }

    private static long newestSnapshotBytes(Path snapDir) throws Exception {
        try (Stream<Path> s = Files.list(snapDir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".snap"))
                    .mapToLong(p -> p.toFile().length())
                    .max()
                    .orElse(0);
        }
    }
}
