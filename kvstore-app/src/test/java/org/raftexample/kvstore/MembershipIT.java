package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The original's dynamic reconfiguration walk-through, and a node that joins after the log was compacted. */
class MembershipIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static void postUntilAcknowledged(NodeProcesses c, long via, String path, String body) throws Exception {
        c.await("POST " + path + " acknowledged", WAIT, () -> {
            try {
                int status = c.request(via, "POST", path, body).statusCode();
                // 409: an earlier attempt answered 503 (outcome unknown) did take effect after all.
                return status == 204 || status == 409;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    @Timeout(120)
    void addNodeFourWithJoinThenRemoveNodeThreeWhichExitsZero() throws Exception {
        try (NodeProcesses c = new NodeProcesses(3, "--tick-ms", "50").named("add-remove")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/my-key", "before", WAIT);

            NodeProcesses.NodeAddr four = c.addAddr();
            postUntilAcknowledged(c, 1, "/4", four.peerUrl());
            c.start(4, 4, "--join");
            c.await(
                    "node 4 serves the existing data",
                    WAIT,
                    () -> ClusterIT.get(c, 4, "/my-key").equals("200 before"));
            assertEquals(204, c.put(4, "/from-four", "hello"));
            assertEquals("200 hello", c.get(1, "/from-four"));

            assertEquals(204, c.request(1, "DELETE", "/3", null).statusCode());
            assertEquals(0, c.awaitExit(3, WAIT), "a removed node shuts itself down with exit code 0");
            // Three voters left (1, 2, 4): writes still commit. Node 3 may have been the leader, in
            // which case a write may race with the election that follows and be answered 503.
            c.putUntilAcknowledged(2, "/after-removal", "yes", WAIT);
            assertEquals("200 yes", c.get(4, "/after-removal"));
        }
    }

    @Test
    @Timeout(120)
    void aNodeJoiningAfterCompactionCatchesUpThroughASnapshot() throws Exception {
        try (NodeProcesses c = new NodeProcesses(3, "--snapshot-count", "20", "--snapshot-catchup-entries", "5")
                .named("join-after-compaction")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/k0", "v0", WAIT);
            for (int i = 1; i < 120; i++) {
                assertEquals(204, c.put(1 + i % 3, "/k" + i, "v" + i));
            }
            Path leaderSnaps = c.dataDir().resolve("raftexample-1-snap");
            assertTrue(countSnaps(leaderSnaps) > 0, "node 1 took snapshots");

            NodeProcesses.NodeAddr four = c.addAddr();
            postUntilAcknowledged(c, 1, "/4", four.peerUrl());
            c.start(4, 4, "--join");
            c.await(
                    "node 4 has every key",
                    WAIT,
                    () -> ClusterIT.get(c, 4, "/k119").equals("200 v119"));
            for (int i = 0; i < 120; i++) {
                assertEquals("200 v" + i, c.get(4, "/k" + i + "?serializable=true"));
            }
            // Entries up to (applied - 5) were compacted away on every node, so node 4 can only have
            // been brought up to date by a snapshot, which it saved before anything else.
            assertTrue(countSnaps(c.dataDir().resolve("raftexample-4-snap")) > 0, "node 4 saved a snapshot");
        }
    }

    private static long countSnaps(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".snap"))
                    .count();
        }
    }
}
