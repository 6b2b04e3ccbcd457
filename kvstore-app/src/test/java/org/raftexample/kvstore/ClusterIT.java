package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Three real processes: replication, the original's fault-tolerance walk-through, and no false 204. */
class ClusterIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    @Timeout(120)
    void writeOnOneNodeReadOnTheOthersThroughAStopAndRestart() throws Exception {
        try (NodeProcesses c =
                new NodeProcesses(3, "--tick-ms", "50", "--max-value-bytes", "10485760").named("stop-restart")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/my-key", "foo", WAIT);
            // Linearizable reads on the other nodes see the acknowledged write at once.
            assertEquals("200 foo", c.get(2, "/my-key"));
            assertEquals("200 foo", c.get(3, "/my-key"));

            // Fault tolerance: stop one node, the other two still accept writes. If the stopped node
            // was the leader, a write sent before the others notice may be lost with it and answered
            // 503 (outcome unknown): a client retries, as this one does.
            assertEquals(143, c.stop(2), "SIGTERM ends the JVM through its shutdown hook");
            c.putUntilAcknowledged(1, "/my-key", "bar", WAIT);
            assertEquals("200 bar", c.get(3, "/my-key"));

            // Bring it back: it recovers from its WAL and catches up with "bar".
            c.start(2, 3);
            c.await(
                    "node 2 back with the new value",
                    WAIT,
                    () -> get(c, 2, "/my-key").equals("200 bar"));
            assertEquals("404 Failed to GET\n", c.get(2, "/absent"));

            // A value larger than the transport's default message limit (8 MiB) still replicates.
            String big = "b".repeat(9 << 20);
            assertEquals(204, c.put(1, "/big", big));
            assertEquals("200 " + big, c.get(3, "/big"));
        }
    }

    @Test
    @Timeout(120)
    void withoutAQuorumAWriteIsRefusedNeverAcknowledged() throws Exception {
        try (NodeProcesses c = new NodeProcesses(3, "--request-timeout-ms", "1500").named("no-quorum")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/k", "1", WAIT);
            c.stop(2);
            c.stop(3);
            assertEquals(503, c.put(1, "/k", "2"));
            String read = c.get(1, "/k");
            assertTrue(read.startsWith("503 "), read);
            // A local (serializable) read still answers from this node's state.
            assertEquals("200 1", c.get(1, "/k?serializable=true"));
        }
    }

    static String get(NodeProcesses c, long id, String path) {
        try {
            return c.get(id, path);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
