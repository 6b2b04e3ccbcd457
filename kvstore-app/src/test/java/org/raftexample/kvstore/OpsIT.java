package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The operational endpoints of three real processes: JSON and metrics that agree with what the
 * cluster does, keys named like the endpoints, Prometheus' own tools on the exposition, and a leader
 * cut off from its followers (SIGSTOP) stepping down, going unhealthy and answering 503 at once.
 */
class OpsIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode json(NodeProcesses c, long id, String path) {
        try {
            HttpResponse<String> r = c.request(id, "GET", path, null);
            return JSON.readTree(r.body());
        } catch (IOException e) {
            return JSON.createObjectNode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return JSON.createObjectNode();
        }
    }

    static int status(NodeProcesses c, long id, String path) {
        try {
            return c.request(id, "GET", path, null).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Waits until every given node answers its health check with 200. */
    static void awaitHealthy(NodeProcesses c, long... ids) throws InterruptedException {
        for (long id : ids) {
            c.await("node " + id + " healthy", WAIT, () -> status(c, id, "/_raftexample/health") == 200);
        }
    }

    /** The metric samples of a node's scrape, by series (name and labels as written), no comments. */
    static Map<String, Double> metrics(NodeProcesses c, long id) throws Exception {
        return parse(c.request(id, "GET", "/_raftexample/metrics", null).body());
    }

    static Map<String, Double> parse(String exposition) {
        Map<String, Double> m = new TreeMap<>();
        for (String line : exposition.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int sp = line.lastIndexOf(' ');
            m.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
        }
        return m;
    }

    static void signal(Process p, String sig) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid()))
                .inheritIO()
                .start();
        assertEquals(0, k.waitFor(), "kill -" + sig);
    }

    @Test
    @Timeout(150)
    void endpointsAndMetricsFollowTheClusterAndACutOffLeaderStepsDownAndAnswers503AtOnce() throws Exception {
        try (NodeProcesses c = new NodeProcesses(3).named("ops-endpoints")) {
            c.startAll();
            awaitHealthy(c, 1, 2, 3);

            // status: every node names the same leader at the same term; only the leader has progress.
            long leader = json(c, 1, "/_raftexample/status").get("leader").asLong();
            assertTrue(leader >= 1 && leader <= 3, "a leader is known");
            for (long id = 1; id <= 3; id++) {
                JsonNode st = json(c, id, "/_raftexample/status");
                assertEquals(id, st.get("id").asLong());
                assertEquals("1000", st.get("clusterId").asText());
                assertEquals(leader, st.get("leader").asLong(), st.toString());
                assertEquals(
                        id == leader ? "StateLeader" : "StateFollower",
                        st.get("state").asText());
                assertTrue(st.get("walBytes").asLong() > 0, st.toString());
                assertEquals(id == leader, st.has("progress"), st.toString());
            }
            JsonNode members = json(c, leader, "/_raftexample/members");
            assertEquals("[1,2,3]", members.get("voters").toString());
            assertEquals(
                    c.addr(2).peerUrl(),
                    members.get("members").get(1).get("peerURLs").get(0).asText());
            assertTrue(json(c, 1, "/_raftexample/version")
                    .get("raftexample")
                    .asText()
                    .matches("\\d+\\.\\d+.*"));

            // Writes move the counters, on the leader and on a follower.
            long follower = leader % 3 + 1;
            Map<String, Double> before = metrics(c, follower);
            for (int i = 0; i < 30; i++) {
                c.putUntilAcknowledged(1 + i % 3, "/k" + i, "v" + i, WAIT);
            }
            // A key named like each operational path is ordinary data.
            for (String key : List.of("/health", "/status", "/members", "/metrics", "/version")) {
                assertEquals(204, c.put(leader, key, "data" + key));
                assertEquals("200 data" + key, c.get(follower, key));
            }
            c.await(
                    "follower applied every write",
                    WAIT,
                    () -> json(c, follower, "/_raftexample/status").path("keys").asLong() == 35);
            JsonNode lst = json(c, leader, "/_raftexample/status");
            for (JsonNode pr : lst.get("progress")) {
                assertEquals("StateReplicate", pr.get("state").asText());
                assertTrue(pr.get("recentActive").asBoolean(), lst.toString());
            }
            Map<String, Double> after = metrics(c, follower);
            assertEquals(1.0, after.get("etcd_server_has_leader"));
            assertEquals(0.0, after.get("etcd_server_is_leader"));
            assertEquals(1.0, metrics(c, leader).get("etcd_server_is_leader"));
            assertTrue(
                    after.get("etcd_server_proposals_committed_total")
                            >= before.get("etcd_server_proposals_committed_total") + 35,
                    after.toString());
            assertTrue(
                    after.get("etcd_server_proposals_applied_total")
                            >= before.get("etcd_server_proposals_applied_total") + 35,
                    after.toString());
            assertEquals(35.0, after.get("raftexample_keys"));
            assertTrue(after.get("etcd_disk_wal_fsync_duration_seconds_count")
                    > before.get("etcd_disk_wal_fsync_duration_seconds_count"));
            assertTrue(after.get("raftexample_http_requests_total{code=\"204\",method=\"PUT\"}") >= 10);
            String fromLeader = "{From=\"" + Long.toHexString(leader) + "\"}";
            assertTrue(after.get("etcd_network_peer_received_bytes_total" + fromLeader)
                    > before.getOrDefault("etcd_network_peer_received_bytes_total" + fromLeader, 0.0));
            Map<String, Double> lm = metrics(c, leader);
            assertTrue(lm.get("etcd_network_peer_sent_bytes_total{To=\"" + Long.toHexString(follower) + "\"}") > 0);
            c.await("a round trip to each follower measured", WAIT, () -> {
                try {
                    Map<String, Double> m = metrics(c, leader);
                    return m.keySet().stream()
                                    .filter(k -> k.startsWith("etcd_network_peer_round_trip_time_seconds_count"))
                                    .count()
                            == 2;
                } catch (Exception e) {
                    return false;
                }
            });
            assertTrue(lm.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes")), "JVM metrics");

            // Cut the leader off: stop both followers. CheckQuorum makes it step down; it then
            // knows no leader, says so, and refuses requests at once rather than after the timeout.
            List<Long> followers = new ArrayList<>();
            for (long id = 1; id <= 3; id++) {
                if (id != leader) {
                    followers.add(id);
                }
            }
            long cut = System.nanoTime();
            for (long id : followers) {
                signal(c.process(id), "STOP");
            }
            try {
                c.await("the cut-off leader steps down", WAIT, () -> {
                    try {
                        return metrics(c, leader).get("etcd_server_has_leader") == 0.0;
                    } catch (Exception e) {
                        return false;
                    }
                });
                long stepDownMillis = (System.nanoTime() - cut) / 1_000_000;
                System.out.println("OpsIT: cut-off leader stepped down after " + stepDownMillis + " ms");
                // CheckQuorum looks at the followers' activity once per election timeout (1 s), so a leader
                // cut off just after a check steps down at the second: within two election timeouts, as
                // etcd's. The slack is for this test's polling on a loaded machine.
                assertTrue(stepDownMillis < 2 * 1000 + 1000, "stepped down after " + stepDownMillis + " ms");
                assertEquals(0.0, metrics(c, leader).get("etcd_server_is_leader"));
                HttpResponse<String> health = c.request(leader, "GET", "/_raftexample/health", null);
                assertEquals(503, health.statusCode());
                JsonNode h = JSON.readTree(health.body());
                assertEquals("false", h.get("health").asText());
                assertEquals(Health.NO_LEADER, h.get("reason").asText());
                long t0 = System.nanoTime();
                HttpResponse<String> put = c.request(leader, "PUT", "/during-cut", "x");
                long putMillis = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(503, put.statusCode(), put.body());
                // At once: the node knows it lost its quorum; not after the 5 s request timeout.
                assertTrue(putMillis < 1000, "503 at once, not after the 5 s request timeout: " + putMillis + " ms");
                assertTrue(put.body().contains(LeaderWatch.LOST_QUORUM), put.body());
                System.out.println("OpsIT: PUT on the cut-off node answered in " + putMillis + " ms: "
                        + put.body().strip());
            } finally {
                for (long id : followers) {
                    signal(c.process(id), "CONT");
                }
            }
            awaitHealthy(c, 1, 2, 3);
            c.putUntilAcknowledged(leader, "/after-cut", "ok", WAIT);
        }
    }

    @Test
    @Timeout(150)
    void promtoolAcceptsTheExpositionAndAPrometheusServerSeesOneLeaderAndEveryNodeWithOne() throws Exception {
        PrometheusTools.assumeInstalled();
        try (NodeProcesses c = new NodeProcesses(3).named("ops-prometheus")) {
            c.startAll();
            awaitHealthy(c, 1, 2, 3);
            c.putUntilAcknowledged(1, "/k", "v", WAIT);
            c.get(2, "/missing");
            for (long id = 1; id <= 3; id++) {
                PrometheusTools.checkMetrics(
                        c.request(id, "GET", "/_raftexample/metrics", null).body());
            }
            List<String> targets = new ArrayList<>();
            for (long id = 1; id <= 3; id++) {
                targets.add("127.0.0.1:" + c.addr(id).httpPort());
            }
            try (PrometheusTools.Server prom = new PrometheusTools.Server(targets)) {
                Duration promWait = Duration.ofSeconds(60);
                try {
                    c.await("Prometheus: sum(etcd_server_is_leader) = 1", promWait, () -> {
                        JsonNode r = query(prom, "sum(etcd_server_is_leader)");
                        return r != null
                                && r.size() == 1
                                && r.get(0).get("value").get(1).asText().equals("1");
                    });
                    c.await("Prometheus: etcd_server_has_leader = 1 on each of the three nodes", promWait, () -> {
                        JsonNode r = query(prom, "etcd_server_has_leader == 1");
                        if (r == null || r.size() != 3) {
                            return false;
                        }
                        Set<String> instances = new HashSet<>();
                        r.forEach(s ->
                                instances.add(s.get("metric").get("instance").asText()));
                        return instances.equals(new HashSet<>(targets));
                    });
                    JsonNode writes = query(prom, "sum(raftexample_http_requests_total{method=\"PUT\",code=\"204\"})");
                    assertTrue(
                            writes != null
                                    && writes.size() == 1
                                    && Double.parseDouble(writes.get(0)
                                                    .get("value")
                                                    .get(1)
                                                    .asText())
                                            >= 1,
                            String.valueOf(writes));
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\n--- prometheus log ---\n" + prom.log(), e);
                }
            }
        }
    }

    private static JsonNode query(PrometheusTools.Server prom, String q) {
        try {
            return prom.query(q);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
