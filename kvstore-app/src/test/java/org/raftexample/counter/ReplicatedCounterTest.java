package org.raftexample.counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.raftexample.server.ServerConfig;

/** The README's second service: three counter replicas in this JVM, on loopback ports of their own. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ReplicatedCounterTest {

    @TempDir
    Path dir;

    private final List<ReplicatedCounter> running = new ArrayList<>();
    private final List<URI> peers = new ArrayList<>();

    @AfterEach
    void stopAll() {
        running.forEach(ReplicatedCounter::close);
    }

    private ServerConfig config(long id) {
        return ServerConfig.builder()
                .id(id)
                .cluster(peers)
                .dataDir(dir)
                .tickInterval(Duration.ofMillis(10))
                .snapshotCount(20) // snapshots and compaction happen during the test
                // Followers a little behind get entries, not a snapshot: a proposal whose entry reaches its
                // proposer inside a snapshot could only time out (its result is not known there).
                .snapshotCatchupEntries(200)
                .build();
    }

    private ReplicatedCounter start(long id) throws IOException {
        ReplicatedCounter c = new ReplicatedCounter(config(id));
        c.start();
        running.add(c);
        return c;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Retries a read while the member knows no leader yet (a fresh start); returns its result. */
    private static long whenLed(java.util.concurrent.Callable<CompletableFuture<Long>> op) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return op.call().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    @Test
    void addsFromEveryMemberAreAppliedOnceEachInOneOrderAndSurviveARestart() throws Exception {
        for (int i = 0; i < 3; i++) {
            peers.add(URI.create("http://127.0.0.1:" + freePort()));
        }
        List<ReplicatedCounter> members = new ArrayList<>();
        for (long id = 1; id <= 3; id++) {
            members.add(start(id));
        }
        Set<Long> seen = new TreeSet<>();
        // Held until a leader is elected, then proposed: no retry, which could add twice.
        seen.add(members.get(0).add(1).get(30, TimeUnit.SECONDS));

        // 3 x 40 concurrent adds of 1, through all three members (followers forward to the leader).
        List<CompletableFuture<Long>> adds = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            for (ReplicatedCounter m : members) {
                adds.add(m.add(1));
            }
        }
        for (CompletableFuture<Long> f : adds) {
            assertTrue(seen.add(f.get(30, TimeUnit.SECONDS)), "each add sees its own value: " + seen);
        }
        // One total order: the 121 adds produced exactly the values 1..121.
        assertEquals(121, seen.size());
        assertEquals(1L, seen.iterator().next());
        assertEquals(121L, ((TreeSet<Long>) seen).last());
        for (ReplicatedCounter m : members) {
            assertEquals(121L, m.get().get(30, TimeUnit.SECONDS), "a linearizable read on every member");
        }

        // Member 3 stops; the others go on; it restarts from its WAL and snapshot and catches up.
        members.get(2).close();
        running.remove(members.get(2));
        for (int i = 0; i < 30; i++) {
            members.get(i % 2).add(-2).get(30, TimeUnit.SECONDS);
        }
        ReplicatedCounter again = start(3);
        assertEquals(61L, whenLed(again::get));
        assertEquals(66L, again.add(5).get(30, TimeUnit.SECONDS));
        try (var files = Files.list(dir.resolve("raftexample-3-snap"))) {
            assertTrue(files.anyMatch(p -> p.toString().endsWith(".snap")), "member 3 took or received a snapshot");
        }
    }
}
