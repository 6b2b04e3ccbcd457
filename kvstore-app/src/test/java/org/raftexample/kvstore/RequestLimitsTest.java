package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Pending proposals and waiting reads are bounded: past the bound a request gets 429 at once. */
@Timeout(60)
class RequestLimitsTest {

    /** A store whose operations, while {@code hang} is set, wait until the test completes them (or time out). */
    static final class HeldService implements KVService {
        final Map<String, byte[]> map = new ConcurrentHashMap<>();
        final List<CompletableFuture<Void>> hanging = new CopyOnWriteArrayList<>();
        volatile boolean hang;
        volatile long timeoutMillis;

        private CompletableFuture<Void> outcome(Runnable effect) {
            if (!hang) {
                effect.run();
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            hanging.add(f);
            if (timeoutMillis > 0) {
                // as the request registry fails a request at its deadline
                CompletableFuture.delayedExecutor(timeoutMillis, TimeUnit.MILLISECONDS)
                        .execute(() -> f.completeExceptionally(new TimeoutException()));
            }
            f.thenRun(effect);
            return f;
        }

        @Override
        public Optional<byte[]> lookup(String key) {
            return Optional.ofNullable(map.get(key));
        }

        @Override
        public CompletableFuture<Void> put(String key, byte[] value) {
            return outcome(() -> map.put(key, value));
        }

        @Override
        public CompletableFuture<Void> readBarrier() {
            return outcome(() -> {});
        }

        @Override
        public CompletableFuture<Void> addNode(long id, URI peerUrl) {
            return outcome(() -> {});
        }

        @Override
        public CompletableFuture<Void> removeNode(long id) {
            return outcome(() -> {});
        }
    }

    private final HeldService service = new HeldService();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private AdmissionGate proposals;
    private AdmissionGate reads;
    private KVHttpServer server;
    private String base;

    private void start(int maxProposals, long maxBytes, int maxReads, Duration timeout) throws Exception {
        proposals = new AdmissionGate("proposals", maxProposals, maxBytes);
        reads = AdmissionGate.ofRequests("reads", maxReads);
        server = new KVHttpServer(new HttpKVApi(service, 1000, timeout, "http", proposals, reads), 0);
        server.start();
        base = "http://127.0.0.1:" + server.port();
    }

    @AfterEach
    void stop() throws Exception {
        service.hanging.forEach(f -> f.complete(null));
        if (server != null) {
            server.close();
        }
    }

    private HttpRequest request(String method, String path, String body) {
        HttpRequest.BodyPublisher p =
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        return HttpRequest.newBuilder(URI.create(base + path))
                .method(method, p)
                .timeout(Duration.ofSeconds(20))
                .build();
    }

    private CompletableFuture<HttpResponse<String>> async(String method, String path, String body) {
        return client.sendAsync(request(method, path, body), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return client.send(request(method, path, body), HttpResponse.BodyHandlers.ofString());
    }

    private void awaitInFlight(AdmissionGate gate, long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (gate.inFlight() != n) {
            assertTrue(System.nanoTime() < deadline, "in flight: " + gate.inFlight() + ", want " + n);
            Thread.sleep(5);
        }
    }

    private static void assertTooMany(HttpResponse<String> r) {
        assertEquals(429, r.statusCode(), r.body());
        assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
        assertTrue(r.body().startsWith("Failed on ") && r.body().endsWith("retry later\n"), r.body());
    }

    @Test
    void proposalsPastTheBoundGet429AtOnceAndPlacesComeBackWhenTheyComplete() throws Exception {
        start(3, 1 << 20, 100, Duration.ofSeconds(30));
        service.hang = true;
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        pending.add(async("PUT", "/a", "1"));
        pending.add(async("POST", "/4", "http://127.0.0.1:4"));
        pending.add(async("DELETE", "/5", null));
        awaitInFlight(proposals, 3);
        assertTooMany(send("PUT", "/b", "2"));
        assertTooMany(send("POST", "/6", "http://127.0.0.1:6"));
        assertTooMany(send("DELETE", "/7", null));
        // Reads have their own bound and are still served.
        service.hang = false;
        assertEquals(404, send("GET", "/a", null).statusCode());
        service.hanging.forEach(f -> f.complete(null));
        for (CompletableFuture<HttpResponse<String>> p : pending) {
            assertEquals(204, p.get().statusCode());
        }
        awaitInFlight(proposals, 0);
        assertEquals(0, proposals.bytesHeld());
        assertEquals(204, send("PUT", "/b", "2").statusCode());
    }

    @Test
    void bodyBytesInFlightAreBoundedToo() throws Exception {
        start(100, 100, 100, Duration.ofSeconds(30));
        service.hang = true;
        CompletableFuture<HttpResponse<String>> big = async("PUT", "/big", "x".repeat(60));
        awaitInFlight(proposals, 1);
        assertTooMany(send("PUT", "/big2", "y".repeat(60)));
        CompletableFuture<HttpResponse<String>> small = async("PUT", "/small", "z".repeat(30));
        awaitInFlight(proposals, 2);
        // A place is taken when the request arrives, its bytes as they are read: wait for the body too.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (proposals.bytesHeld() != 90 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(90, proposals.bytesHeld());
        service.hanging.forEach(f -> f.complete(null));
        assertEquals(204, big.get().statusCode());
        assertEquals(204, small.get().statusCode());
        awaitInFlight(proposals, 0);
        assertEquals(0, proposals.bytesHeld());
    }

    @Test
    void clientsDribblingLargeBodiesDoNotUseUpTheByteBoundForOthers() throws Exception {
        start(100, 100, 100, Duration.ofSeconds(30));
        List<java.net.Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                java.net.Socket s = new java.net.Socket("127.0.0.1", server.port());
                s.getOutputStream()
                        .write(("PUT /slow" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: 90\r\n\r\nab")
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                slow.add(s);
            }
            awaitInFlight(proposals, 5);
            // Each holds what it sent (2 bytes), not the 90 it announced: there is room for a real write.
            assertEquals(204, send("PUT", "/fast", "z".repeat(80)).statusCode());
            assertEquals("z".repeat(80), new String(service.map.get("/fast"), java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(10, proposals.bytesHeld());
        } finally {
            for (java.net.Socket s : slow) {
                s.close();
            }
        }
        awaitInFlight(proposals, 0);
        assertEquals(0, proposals.bytesHeld());
    }

    @Test
    void waitingReadsPastTheBoundGet429ButSerializableReadsAreServed() throws Exception {
        start(100, 1 << 20, 2, Duration.ofSeconds(30));
        service.map.put("/k", "v".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        service.hang = true;
        CompletableFuture<HttpResponse<String>> r1 = async("GET", "/k", null);
        CompletableFuture<HttpResponse<String>> r2 = async("GET", "/k", null);
        awaitInFlight(reads, 2);
        assertTooMany(send("GET", "/k", null));
        assertEquals("v", send("GET", "/k?serializable=true", null).body());
        service.hanging.forEach(f -> f.complete(null));
        assertEquals("v", r1.get().body());
        assertEquals("v", r2.get().body());
        awaitInFlight(reads, 0);
    }

    @Test
    void requestsThatTimeOutGiveTheirPlaceBack() throws Exception {
        start(2, 1 << 20, 2, Duration.ofMillis(200));
        service.hang = true;
        service.timeoutMillis = 200;
        for (int round = 0; round < 5; round++) {
            CompletableFuture<HttpResponse<String>> a = async("PUT", "/a", "1");
            CompletableFuture<HttpResponse<String>> b = async("GET", "/a", null);
            assertEquals(503, a.get().statusCode());
            assertEquals(503, b.get().statusCode());
        }
        awaitInFlight(proposals, 0);
        awaitInFlight(reads, 0);
        assertEquals(0, proposals.bytesHeld());
    }

    @Test
    void refusedBodiesAndBadRequestsGiveTheirPlaceBack() throws Exception {
        start(1, 1 << 20, 1, Duration.ofSeconds(30));
        assertEquals(413, send("PUT", "/big", "x".repeat(1001)).statusCode());
        HttpRequest binary = HttpRequest.newBuilder(URI.create(base + "/bin"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {(byte) 0xff, (byte) 0xfe}))
                .timeout(Duration.ofSeconds(20))
                .build();
        assertEquals(
                204, client.send(binary, HttpResponse.BodyHandlers.ofString()).statusCode());
        assertEquals(400, send("POST", "/4", "not a url").statusCode());
        awaitInFlight(proposals, 0);
        assertEquals(204, send("PUT", "/ok", "fine").statusCode());
        assertEquals(0, proposals.bytesHeld());
    }
}
