package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A memory store that reaches its quota ({@code --quota-bytes}) refuses writes with 507 on every member,
 * with the reason, and goes on serving reads and health; the quota shows in the metrics; a member
 * restarted with a larger quota takes writes again with everything it held. (The memory store's quota is
 * what keeps a growing store from running the JVM out of heap; RocksDB has none by default.)
 */
class QuotaIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int QUOTA = 64 * 1024;
    private static final String VALUE = "q".repeat(1000);

    @Test
    @Timeout(180)
    void aFullStoreRefusesWritesWith507KeepsServingAndTakesWritesAgainUnderALargerQuota() throws Exception {
        try (NodeProcesses c = new NodeProcesses(
                        3, "--tick-ms", "50", "--store", "memory", "--quota-bytes", Integer.toString(QUOTA))
                .named("quota")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/warm-up", "x", WAIT);

            int written = 0;
            HttpResponse<String> refused = null;
            for (int i = 0; i < 500 && refused == null; i++) {
                HttpResponse<String> r = c.request(1, "PUT", "/q" + i, VALUE);
                if (r.statusCode() == 204) {
                    written++;
                } else {
                    assertEquals(507, r.statusCode(), r.body());
                    refused = r;
                }
            }
            assertTrue(refused != null, "never refused after 500 writes of 1000 bytes under a 64 KiB quota");
            // About 1 KiB of heap per key: the estimate is neither far below nor far above the data.
            assertTrue(written >= 30 && written < QUOTA / VALUE.length(), "written before the quota: " + written);
            assertTrue(refused.body().contains("the store is full"), refused.body());
            assertTrue(refused.body().contains("quota is " + QUOTA), refused.body());
            assertEquals(
                    HttpKVApi.NOT_APPLIED,
                    refused.headers().firstValue(HttpKVApi.OUTCOME).orElse(""),
                    "a refusal is never proposed");

            for (long id = 1; id <= 3; id++) {
                long node = id;
                int last = written - 1;
                c.await(
                        "node " + id + " applied every acknowledged write",
                        WAIT,
                        () -> get(c, node, "/q" + last).equals("200 " + VALUE));
                assertEquals("200 " + VALUE, c.get(id, "/q0"), "linearizable read on node " + id);
                assertEquals(507, c.put(id, "/more", "x"), "node " + id + " refuses writes too");
                assertEquals(200, OpsIT.status(c, id, "/_raftexample/health"));
                Map<String, Double> m = OpsIT.metrics(c, id);
                assertEquals(QUOTA, m.get("raftexample_store_quota_bytes"));
                assertTrue(m.get("raftexample_store_size_bytes") >= QUOTA, m.toString());
            }
            assertTrue(c.get(2, "/more").startsWith("404"), "no refused write took effect");

            // A larger quota (here none) after a restart: writes go on, nothing was lost.
            assertEquals(143, c.stop(1));
            c.start(1, 3, "--quota-bytes", "0");
            c.awaitUp(1);
            c.putUntilAcknowledged(1, "/more", "x", WAIT);
            assertEquals("200 " + VALUE, c.get(1, "/q0"));
            assertEquals("200 x", c.get(1, "/more"));
        }
    }

    private static String get(NodeProcesses c, long id, String key) {
        try {
            return c.get(id, key + "?serializable=true");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "-1";
        }
    }
}
