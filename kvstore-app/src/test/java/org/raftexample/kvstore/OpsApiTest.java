package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The operational endpoints, over HTTP, against a node view the test controls. */
@Timeout(30)
class OpsApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpKVApiTest.FakeService service = new HttpKVApiTest.FakeService();
    private final FakeNodeView view = new FakeNodeView();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private ServerMetrics metrics;
    private KVHttpServer server;
    private String base;

    @BeforeEach
    void start() throws Exception {
        metrics = new ServerMetrics(view, () -> 7, "9.9.9-test");
        server = new KVHttpServer(
                new HttpMetricsHandler(
                        metrics,
                        new OpsApi(view, metrics, "9.9.9-test", new HttpKVApi(service, 1024, Duration.ofMillis(300)))),
                0);
        server.start();
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.BodyPublisher p =
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        return client.send(
                HttpRequest.newBuilder(URI.create(base + path))
                        .method(method, p)
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode getJson(String path, int wantStatus) throws Exception {
        HttpResponse<String> r = send("GET", path, null);
        assertEquals(wantStatus, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        return JSON.readTree(r.body());
    }

    @Test
    void healthIsTrueOnlyWithALeaderInContactWithAQuorumAndApplyCaughtUp() throws Exception {
        view.follower(2);
        assertEquals(
                "{\"health\":\"true\"}", getJson("/_raftexample/health", 200).toString());

        view.follower(0);
        JsonNode noLeader = getJson("/_raftexample/health", 503);
        assertEquals("false", noLeader.get("health").asText());
        assertEquals(Health.NO_LEADER, noLeader.get("reason").asText());

        view.leader(3);
        assertEquals(200, send("GET", "/_raftexample/health", null).statusCode());
        // Raft's flag alone is reset at each quorum check; the transport's contact counts too.
        view.raftActive = Set.of();
        assertEquals(200, send("GET", "/_raftexample/health", null).statusCode());
        view.connected = Set.of();
        JsonNode alone = getJson("/_raftexample/health", 503);
        assertTrue(alone.get("reason").asText().startsWith(Health.NO_QUORUM), alone.toString());
        view.connected = Set.of(3L);
        assertEquals(200, send("GET", "/_raftexample/health", null).statusCode(), "2 of 3 is a quorum");

        view.follower(2);
        view.commit = 500;
        view.applied = 399;
        JsonNode behind = getJson("/_raftexample/health", 503);
        assertTrue(behind.get("reason").asText().startsWith(Health.APPLY_BEHIND), behind.toString());
        view.applied = 400;
        assertEquals(200, send("GET", "/_raftexample/health", null).statusCode(), "a lag of exactly the bound is fine");

        // A raft loop that has not published its status for over an election timeout is held up; that
        // comes first, since the rest of the status is then as old.
        view.leader(3);
        view.statusAge = Duration.ofMillis(1500);
        JsonNode stalled = getJson("/_raftexample/health", 503);
        assertTrue(
                stalled.get("reason")
                        .asText()
                        .matches(Health.LOOP_STALLED
                                + ": raft's status was last published 1[5-9][0-9][0-9] ms ago \\(bound 1000 ms\\)"),
                stalled.toString());
        view.statusAge = Duration.ofMillis(900);
        assertEquals(200, send("GET", "/_raftexample/health", null).statusCode(), "an age under the bound is fine");
    }

    @Test
    void statusGivesRaftStateIndexesSizesAndOnTheLeaderEachFollowersProgress() throws Exception {
        view.follower(2);
        JsonNode f = getJson("/_raftexample/status", 200);
        assertEquals(1, f.get("id").asLong());
        assertEquals("1000", f.get("clusterId").asText());
        assertEquals("StateFollower", f.get("state").asText());
        assertEquals(2, f.get("leader").asLong());
        assertEquals(2, f.get("term").asLong());
        assertEquals(10, f.get("commit").asLong());
        long age = f.get("raftStatusAgeMs").asLong();
        assertTrue(age >= 20 && age < 5000, "raftStatusAgeMs " + age);
        assertEquals(10, f.get("applied").asLong());
        assertEquals(4, f.get("snapshotIndex").asLong());
        assertEquals(4096, f.get("walBytes").asLong());
        assertEquals(3, f.get("keys").asLong());
        assertEquals("9.9.9-test", f.get("version").asText());
        assertFalse(f.has("progress"), "only a leader knows its followers' progress");

        view.leader(5);
        view.match = new java.util.LinkedHashMap<>(java.util.Map.of(1L, 10L, 2L, 10L, 3L, 6L));
        view.raftActive = Set.of(2L);
        view.connected = Set.of(2L);
        JsonNode l = getJson("/_raftexample/status", 200);
        assertEquals("StateLeader", l.get("state").asText());
        assertEquals(1, l.get("leader").asLong());
        JsonNode p3 = l.get("progress").get("3");
        assertEquals(6, p3.get("match").asLong());
        assertEquals("StateReplicate", p3.get("state").asText());
        assertFalse(p3.get("recentActive").asBoolean());
        assertTrue(l.get("progress").get("2").get("recentActive").asBoolean());
    }

    @Test
    void membersListVotersAndLearnersWithTheirPeerUrls() throws Exception {
        view.voters = Set.of(1L, 2L, 3L);
        view.learners = Set.of(4L);
        view.urls.put(4L, "http://127.0.0.1:42379");
        view.connected = Set.of(2L, 4L);
        JsonNode m = getJson("/_raftexample/members", 200);
        assertEquals("[1,2,3]", m.get("voters").toString());
        assertEquals("[4]", m.get("learners").toString());
        List<JsonNode> members = List.copyOf(m.get("members").findParents("id"));
        assertEquals(4, m.get("members").size(), m.toString());
        JsonNode four = m.get("members").get(3);
        assertEquals(4, four.get("id").asLong());
        assertTrue(four.get("isLearner").asBoolean());
        assertEquals("http://127.0.0.1:42379", four.get("peerURLs").get(0).asText());
        assertTrue(four.get("active").asBoolean());
        assertFalse(m.get("members").get(2).get("active").asBoolean(), members.toString());
    }

    @Test
    void versionGivesTheProjectAndPeerProtocolVersions() throws Exception {
        JsonNode v = getJson("/_raftexample/version", 200);
        assertEquals("9.9.9-test", v.get("raftexample").asText());
        assertEquals(
                org.raftexample.transport.Transport.PROTOCOL_VERSION,
                v.get("peerProtocol").asText());
    }

    @Test
    void keysNamedLikeTheOperationalPathsAreOrdinaryData() throws Exception {
        for (String key : List.of("/health", "/status", "/members", "/metrics", "/version", "/_raftexample")) {
            assertEquals(204, send("PUT", key, "v" + key).statusCode(), key);
            HttpResponse<String> r = send("GET", key, null);
            assertEquals(200, r.statusCode(), key);
            assertEquals("v" + key, r.body());
        }
    }

    @Test
    void operationalPathsAreReadOnlyAndUnknownOnesAre404() throws Exception {
        HttpResponse<String> put = send("PUT", "/_raftexample/health", "x");
        assertEquals(405, put.statusCode());
        assertEquals("GET, HEAD", put.headers().firstValue("Allow").orElse(""));
        assertFalse(service.calls.contains("put /_raftexample/health"), "never stored as a key");
        assertEquals(404, send("GET", "/_raftexample/nope", null).statusCode());
    }

    @Test
    void peerAndRequestCountsAddUpPerLabelWhateverTheIdOrCode() throws Exception {
        // The data points are looked up once and kept: every later count must land on the same series.
        long big = 0xabcdef0123456789L;
        for (int i = 0; i < 3; i++) {
            metrics.sent(big, 7);
            metrics.sent(2, 100);
            metrics.received(big, 1);
            metrics.roundTrip(big, 2_000_000);
            metrics.httpRequest("DELETE", 204, 1_000_000);
            metrics.httpRequest("OTHER", 1000, 1_000_000); // outside the kept range: counted all the same
        }
        metrics.sent(3, 5);
        String text = send("GET", "/_raftexample/metrics", null).body();
        for (String line : List.of(
                "etcd_network_peer_sent_bytes_total{To=\"abcdef0123456789\"} 21.0",
                "etcd_network_peer_sent_bytes_total{To=\"2\"} 300.0",
                "etcd_network_peer_sent_bytes_total{To=\"3\"} 5.0",
                "etcd_network_peer_received_bytes_total{From=\"abcdef0123456789\"} 3.0",
                "etcd_network_peer_round_trip_time_seconds_count{To=\"abcdef0123456789\"} 3",
                "raftexample_http_requests_total{code=\"204\",method=\"DELETE\"} 3.0",
                "raftexample_http_request_duration_seconds_count{code=\"204\",method=\"DELETE\"} 3",
                "raftexample_http_requests_total{code=\"1000\",method=\"OTHER\"} 3.0")) {
            assertTrue(text.lines().anyMatch(l -> l.equals(line)), line + " in\n" + text);
        }
    }

    @Test
    void metricsCarryEtcdNamesAndCountRequestsByMethodAndCode() throws Exception {
        view.leader(2);
        view.entriesSkipped = 2;
        view.proposalsFiltered = 5;
        view.readIndexRounds = 9;
        send("PUT", "/k", "v");
        send("GET", "/missing", null);
        metrics.leaderChanged();
        metrics.walSynced(3_000_000);
        metrics.sent(2, 100);
        metrics.received(3, 50);
        metrics.sendFailed(2);
        metrics.roundTrip(2, 1_000_000);
        HttpResponse<String> r = send("GET", "/_raftexample/metrics", null);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        String text = r.body();
        for (String line : List.of(
                "etcd_server_has_leader 1.0",
                "etcd_server_is_leader 1.0",
                "etcd_server_leader_changes_seen_total 1.0",
                "etcd_server_proposals_committed_total 10.0",
                "etcd_server_proposals_applied_total 10.0",
                "etcd_server_proposals_pending 7.0",
                "etcd_server_proposals_failed_total 0.0",
                "etcd_disk_wal_fsync_duration_seconds_count 1",
                "etcd_network_peer_sent_bytes_total{To=\"2\"} 100.0",
                "etcd_network_peer_received_bytes_total{From=\"3\"} 50.0",
                "etcd_network_peer_sent_failures_total{To=\"2\"} 1.0",
                "etcd_network_peer_round_trip_time_seconds_count{To=\"2\"} 1",
                "raftexample_http_requests_total{code=\"204\",method=\"PUT\"} 1.0",
                "raftexample_http_requests_total{code=\"404\",method=\"GET\"} 1.0",
                "raftexample_keys 3.0",
                "raftexample_store_size_bytes 1000.0",
                "raftexample_store_quota_bytes 0.0",
                "raftexample_server_entries_skipped_total 2.0",
                "raftexample_server_proposals_filtered_total 5.0",
                "raftexample_server_read_index_rounds_total 9.0")) {
            assertTrue(text.lines().anyMatch(l -> l.equals(line)), line + " in\n" + text);
        }
        assertTrue(text.contains("jvm_memory_used_bytes"), "JVM metrics are exported");
        double age = text.lines()
                .filter(l -> l.startsWith("raftexample_raft_status_age_seconds "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
                .findFirst()
                .orElseThrow();
        assertTrue(age >= 0.02 && age < 5, "raftexample_raft_status_age_seconds " + age);
        view.follower(0);
        assertTrue(send("GET", "/_raftexample/metrics", null)
                .body()
                .lines()
                .anyMatch(l -> l.equals("etcd_server_has_leader 0.0")));
    }

    @Test
    void anEndpointHeldUpHoldsUpNoKeyValueRequest() throws Exception {
        // An answer may wait (/status lists the WAL directory, which a stalled disk holds up; the fake
        // holds its status call instead); it is made on Jetty's pool, so the selector goes on reading
        // other connections.
        view.statusGate = new java.util.concurrent.CountDownLatch(1);
        service.map.put("/k", "v".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try {
            java.util.concurrent.CompletableFuture<HttpResponse<String>> status = client.sendAsync(
                    HttpRequest.newBuilder(URI.create(base + OpsApi.PREFIX + "status"))
                            .timeout(Duration.ofSeconds(20))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(view.statusWaiting.await(10, java.util.concurrent.TimeUnit.SECONDS), "status never asked");
            for (int i = 0; i < 3; i++) { // each on a fresh connection, which the selector must read
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
                    s.setSoTimeout(10_000);
                    s.getOutputStream()
                            .write("GET /k?serializable=true HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    String r =
                            new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
                    assertTrue(r.startsWith("HTTP/1.1 200") && r.endsWith("\r\n\r\nv"), "GET " + i + ": " + r);
                }
            }
            assertFalse(status.isDone(), "status answered while raft's status was still awaited");
            view.statusGate.countDown();
            HttpResponse<String> answer = status.get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(200, answer.statusCode(), answer.body());
        } finally {
            view.statusGate.countDown();
        }
    }
}
