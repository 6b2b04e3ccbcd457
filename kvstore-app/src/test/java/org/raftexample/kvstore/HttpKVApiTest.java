package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.server.CompleterThread;
import org.raftexample.server.Overloaded;

@Timeout(30)
class HttpKVApiTest {

    /**
     * A KVService whose writes apply immediately unless told to hang or fail; a hanging request fails
     * with a timeout after 300 ms, as the request registry fails it at its deadline.
     */
    static final class FakeService implements KVService {
        final Map<String, byte[]> map = new ConcurrentHashMap<>();

        /** The stored value of a key as UTF-8 text, or null. */
        String text(String key) {
            byte[] v = map.get(key);
            return v == null ? null : new String(v, StandardCharsets.UTF_8);
        }

        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile boolean hang;
        /** Complete writes from another thread (as the glue's completer threads do), right after applying. */
        volatile java.util.concurrent.Executor completer;
        /**
         * With {@link #completer}: complete only once the caller has attached what runs on completion
         * (bounded by 5 s), so that what runs does so on the completer and never on the caller.
         */
        volatile boolean completeWhenAwaited;

        volatile RuntimeException failure;
        final List<CompletableFuture<Void>> hanging = new CopyOnWriteArrayList<>();

        private CompletableFuture<Void> outcome(Runnable effect) {
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            if (hang) {
                CompletableFuture<Void> f = new CompletableFuture<>();
                hanging.add(f);
                CompletableFuture.delayedExecutor(300, java.util.concurrent.TimeUnit.MILLISECONDS)
                        .execute(() -> f.completeExceptionally(new java.util.concurrent.TimeoutException()));
                return f;
            }
            effect.run();
            java.util.concurrent.Executor other = completer;
            if (other != null && completeWhenAwaited) {
                CompletableFuture<Void> f = new CompletableFuture<>();
                other.execute(() -> {
                    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
                    while (f.getNumberOfDependents() == 0 && System.nanoTime() < deadline) {
                        Thread.yield();
                    }
                    f.complete(null);
                });
                return f;
            }
            if (other != null) {
                return CompletableFuture.runAsync(() -> {}, other);
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public Optional<byte[]> lookup(String key) {
            return Optional.ofNullable(map.get(key));
        }

        /** Whether some PUT was handled on a completer thread (one that went on with its connection). */
        volatile boolean putOnCompleter;
        /** When set, membership changes wait for it (as a real one may, e.g. on its peer directory's disk). */
        volatile java.util.concurrent.CountDownLatch membershipGate;

        private void waitAtGate() {
            java.util.concurrent.CountDownLatch gate = membershipGate;
            if (gate != null) {
                try {
                    gate.await(20, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public CompletableFuture<Void> put(String key, byte[] value) {
            if (CompleterThread.isCurrent()) {
                putOnCompleter = true;
            }
            calls.add("put " + key);
            return outcome(() -> map.put(key, value));
        }

        @Override
        public CompletableFuture<Void> readBarrier() {
            calls.add("readBarrier");
            return outcome(() -> {});
        }

        @Override
        public CompletableFuture<Void> addNode(long id, URI peerUrl) {
            calls.add("add " + id + " " + peerUrl);
            waitAtGate();
            return outcome(() -> {});
        }

        @Override
        public CompletableFuture<Void> removeNode(long id) {
            calls.add("remove " + id);
            waitAtGate();
            return outcome(() -> {});
        }
    }

    private final FakeService service = new FakeService();
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private KVHttpServer server;
    private String base;

    @BeforeEach
    void start() throws Exception {
        server = new KVHttpServer(new HttpKVApi(service, 16, Duration.ofMillis(300)), 0);
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
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, p)
                .timeout(Duration.ofSeconds(10))
                .build();
        return client.send(req, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void putThenGetUsesTheWholePathAsKey() throws Exception {
        assertEquals(204, send("PUT", "/my-key", "hello").statusCode());
        assertEquals("hello", service.text("/my-key"));
        HttpResponse<String> get = send("GET", "/my-key", null);
        assertEquals(200, get.statusCode());
        assertEquals("hello", get.body());
        assertEquals(List.of("put /my-key", "readBarrier"), service.calls);

        assertEquals(204, send("PUT", "/a/b%20c", "x").statusCode());
        assertTrue(service.map.containsKey("/a/b%20c"), service.map.keySet().toString());
    }

    /** Sends one request line as given (no client-side normalisation) and returns status and body. */
    private String raw(String method, String target, String body) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            s.getOutputStream()
                    .write((method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + "Content-Length: "
                                    + b.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().write(b);
            String r = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return r.substring(9, 12) + " " + r.substring(r.indexOf("\r\n\r\n") + 4);
        }
    }

    @Test
    @Timeout(120) // 50,000 round trips: a few seconds alone, more on a loaded machine
    void everyWriteCompletedFromAnotherThreadIsAnsweredOnAKeptAliveConnection() throws Exception {
        // Jetty 12.1 could lose the answer (and hang the connection) when a request's callback was
        // completed from another thread without a write, racing the end of handle(): 1 in a few
        // thousand writes on a fast disk (the symptom of jetty/jetty.project#14745, completeStream run
        // twice; reproduced on 12.1.14). The 204 is now written as an empty last write.
        writesCompletedElsewhereAreAllAnswered(java.util.concurrent.Executors.newFixedThreadPool(2));
    }

    @Test
    @Timeout(120) // 50,000 round trips, as above
    void everyWriteCompletedOnACompleterThreadIsAnsweredOnAKeptAliveConnection() throws Exception {
        // The same from the glue's completer threads, which go on with the connection themselves
        // (KVHttpServer.AnsweringThreadPool) instead of handing it back to Jetty's threads.
        writesCompletedElsewhereAreAllAnswered(
                java.util.concurrent.Executors.newFixedThreadPool(2, CompleterThread.factory("test-completer")));
        // A PUT that arrives while its connection is with a completer is handled there; of 50,000, some
        // always do (the completer that answers the one before reads it).
        assertTrue(service.putOnCompleter, "no PUT was handled on a completer thread");
    }

    private void writesCompletedElsewhereAreAllAnswered(java.util.concurrent.ExecutorService completer)
            throws Exception {
        service.completer = completer;
        int answered = 0;
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(5_000);
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            java.io.InputStream in = new java.io.BufferedInputStream(s.getInputStream());
            for (int i = 0; i < 50_000; i++) {
                out.write(("PUT /k" + i + " HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nv")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String head;
                try {
                    head = readHead(in);
                } catch (java.net.SocketTimeoutException e) {
                    break;
                }
                assertTrue(head.startsWith("HTTP/1.1 204"), head);
                answered++;
            }
        } finally {
            completer.shutdownNow();
        }
        assertEquals(50_000, answered, "writes answered before one was not");
        assertEquals(50_000, service.map.size());
    }

    @Test
    void requestsSentAheadOfACompleterAnswerAreAnsweredInOrder() throws Exception {
        // A client may send its next requests before its write is answered (HTTP/1.1 pipelining). The
        // completer thread that answers the write goes on to read them and handles those it finds.
        // Each write is completed only once the handler waits for it: a completer that finishes first
        // leaves the answer to the handler's thread, which goes on with the connection (as it should),
        // and that would leave nothing for this test to see if it happened to all 20.
        java.util.concurrent.ExecutorService pool =
                java.util.concurrent.Executors.newFixedThreadPool(1, CompleterThread.factory("test-completer"));
        service.completer = pool;
        service.completeWhenAwaited = true;
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < 20; i++) {
                burst.append("PUT /p")
                        .append(i)
                        .append(" HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nv")
                        .append(i % 10);
                burst.append("GET /p").append(i).append("?serializable=true HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            s.getOutputStream().write(burst.toString().getBytes(StandardCharsets.US_ASCII));
            java.io.InputStream in = new java.io.BufferedInputStream(s.getInputStream());
            for (int i = 0; i < 20; i++) {
                String put = readHead(in);
                assertTrue(put.startsWith("HTTP/1.1 204"), i + ": " + put);
                String get = readHead(in);
                assertTrue(get.startsWith("HTTP/1.1 200"), i + ": " + get);
                int length = Integer.parseInt(get.replaceAll("(?s).*Content-Length: (\\d+).*", "$1"));
                byte[] body = in.readNBytes(length);
                assertEquals("v" + (i % 10), new String(body, StandardCharsets.US_ASCII), "GET " + i);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(20, service.map.size());
        assertTrue(service.putOnCompleter, "no PUT sent ahead was read and handled by a completer thread");
    }

    @Test
    void aMembershipChangeHeldUpHoldsUpNoOtherRequest() throws Exception {
        // A membership change does more than a key's request before it is proposed and may wait; it
        // runs on Jetty's pool, so the selector (and a completer) go on serving other connections.
        java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(1);
        service.membershipGate = gate;
        service.map.put("/k", "v".getBytes(StandardCharsets.UTF_8));
        try {
            CompletableFuture<HttpResponse<String>> remove = client.sendAsync(
                    HttpRequest.newBuilder(URI.create(base + "/7"))
                            .DELETE()
                            .timeout(Duration.ofSeconds(20))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (!service.calls.contains("remove 7")) {
                assertTrue(System.nanoTime() < deadline, "the DELETE never reached the service");
                Thread.sleep(1);
            }
            for (int i = 0; i < 3; i++) { // on fresh connections: Jetty's selector must be free to read them
                assertEquals("200 v", raw("GET", "/k?serializable=true", ""), "GET " + i);
            }
            assertFalse(remove.isDone(), "the DELETE was answered while it was held up");
            gate.countDown();
            assertEquals(
                    204, remove.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode());
        } finally {
            gate.countDown();
        }
    }

    /** Reads one response's status line and headers (the answers here have no body). */
    private static String readHead(java.io.InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new java.io.EOFException("connection closed after " + sb);
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    @Test
    void keysWithOddCharactersAreStoredUnderTheirRawPath() throws Exception {
        // The original takes the request path as it comes; Jetty must not refuse or rewrite any of these.
        List<String> keys = List.of(
                "//x", "/a//b/", "/a%2Fb", "/a;b", "/a%3Bb", "/a%20b", "/%C3%A9", "/a?", "/.x", "/a/./b", "/a/../b");
        for (String key : keys) {
            String path = key.endsWith("?") ? key.substring(0, key.length() - 1) : key;
            assertEquals("204 ", raw("PUT", key, "v" + key), key);
            assertEquals("v" + key, service.text(path), key + " stored as " + service.map.keySet());
            assertEquals(
                    "200 v" + key, raw("GET", key + (key.endsWith("?") ? "" : "?") + "serializable=true", ""), key);
        }
        assertEquals(keys.size(), service.map.size(), service.map.keySet().toString());
    }

    @Test
    void anyBytesAreAValueAndComeBackExactlyAsOctetStream() throws Exception {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/bin"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {'a', (byte) 0xff, 'b'}))
                .timeout(Duration.ofSeconds(10))
                .build();
        assertEquals(204, client.send(req, HttpResponse.BodyHandlers.ofString()).statusCode());
        assertArrayEquals(new byte[] {'a', (byte) 0xff, 'b'}, service.map.get("/bin"));
        HttpResponse<byte[]> get = client.send(
                HttpRequest.newBuilder(URI.create(base + "/bin?serializable=true"))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, get.statusCode());
        assertArrayEquals(new byte[] {'a', (byte) 0xff, 'b'}, get.body());
        assertEquals(
                "application/octet-stream",
                get.headers().firstValue("Content-Type").orElse(null));

        assertEquals(204, send("PUT", "/text", "é✓").statusCode());
        assertEquals("é✓", service.text("/text"));
        HttpResponse<String> text = send("GET", "/text", null);
        assertEquals("é✓", text.body());
        assertTrue(text.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));

        assertEquals(204, send("PUT", "/empty", "").statusCode());
        assertArrayEquals(new byte[0], service.map.get("/empty"));
        assertEquals(200, send("GET", "/empty", null).statusCode());
    }

    @Test
    void requestsJettyRefusesGetAOneLinePlainTextError() throws Exception {
        for (String target : List.of("/%zz", "/a%00b")) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream()
                        .write(("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                String r = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(r.startsWith("HTTP/1.1 400"), target + ": " + r);
                assertTrue(r.toLowerCase().contains("content-type: text/plain"), target + ": " + r);
                String body = r.substring(r.indexOf("\r\n\r\n") + 4);
                assertTrue(
                        body.startsWith("Bad Request") && body.strip().lines().count() == 1, target + ": " + body);
            }
        }
    }

    @Test
    void getOfAMissingKeyIs404() throws Exception {
        assertEquals(404, send("GET", "/absent", null).statusCode());
    }

    @Test
    void serializableGetSkipsTheReadBarrier() throws Exception {
        service.map.put("/k", "v".getBytes(StandardCharsets.UTF_8));
        service.hang = true;
        HttpResponse<String> r = send("GET", "/k?serializable=true", null);
        assertEquals(200, r.statusCode());
        assertEquals("v", r.body());
        assertFalse(service.calls.contains("readBarrier"));
    }

    @Test
    void noCommitInTimeIs503NeverA204() throws Exception {
        service.hang = true;
        HttpResponse<String> put = send("PUT", "/k", "v");
        assertEquals(503, put.statusCode());
        assertTrue(put.body().contains("no leader or no quorum"), put.body());
        assertEquals(HttpKVApi.UNKNOWN, outcome(put), "proposed, then timed out: it may still apply");
        HttpResponse<String> get = send("GET", "/k", null);
        assertEquals(503, get.statusCode());
        assertEquals(Optional.empty(), get.headers().firstValue(HttpKVApi.OUTCOME), "a read changes nothing");
        HttpResponse<String> post = send("POST", "/4", "http://127.0.0.1:42379");
        assertEquals(503, post.statusCode());
        assertEquals(HttpKVApi.UNKNOWN, outcome(post));
        assertEquals(503, send("DELETE", "/3", null).statusCode());
        assertTrue(service.hanging.stream().allMatch(CompletableFuture::isCompletedExceptionally));
    }

    @Test
    void tooFarBehindIs429WithRetryAfter() throws Exception {
        service.failure = new Overloaded("too many requests: 6000 committed entries wait to be applied");
        HttpResponse<String> put = send("PUT", "/k", "v");
        assertEquals(429, put.statusCode());
        assertEquals("1", put.headers().firstValue("Retry-After").orElse(null));
        assertEquals(HttpKVApi.NOT_APPLIED, outcome(put), "refused before it was proposed");
        assertTrue(put.body().contains("too many requests"), put.body());
    }

    private static String outcome(HttpResponse<String> r) {
        return r.headers().firstValue(HttpKVApi.OUTCOME).orElse(null);
    }

    @Test
    void aWriteRefusedBeforeItWasProposedSaysItWasNotApplied() throws Exception {
        service.failure = new ServiceUnavailable("no leader known for 2000 ms", true);
        HttpResponse<String> put = send("PUT", "/k", "v");
        assertEquals(503, put.statusCode());
        assertEquals(HttpKVApi.NOT_APPLIED, outcome(put));
        service.failure = null;
        HttpResponse<String> big = send("PUT", "/k", "x".repeat(17));
        assertEquals(413, big.statusCode());
        assertEquals(HttpKVApi.NOT_APPLIED, outcome(big));
        HttpResponse<String> ok = send("PUT", "/k", "v");
        assertEquals(204, ok.statusCode());
        assertEquals(null, outcome(ok), "a success needs no outcome header");
    }

    @Test
    void refusedProposalIs503WithItsReason() throws Exception {
        service.failure = new IllegalStateException("raft proposal dropped");
        HttpResponse<String> put = send("PUT", "/k", "v");
        assertEquals(503, put.statusCode());
        assertTrue(put.body().contains("raft proposal dropped"), put.body());
        assertTrue(put.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    }

    @Test
    void valueOverTheLimitIs413() throws Exception {
        assertEquals(204, send("PUT", "/k", "x".repeat(16)).statusCode());
        assertEquals(413, send("PUT", "/k", "x".repeat(17)).statusCode());
        assertEquals(413, send("PUT", "/k", "x".repeat(100_000)).statusCode());
        assertEquals("x".repeat(16), service.text("/k"));
    }

    @Test
    void theConnectionStaysUsableAfterRefusingAnUnreadBody() throws Exception {
        // The same client (and so, where possible, the same connection) keeps working after answers
        // given without reading the body.
        for (int i = 0; i < 20; i++) {
            assertEquals(413, send("PUT", "/big", "x".repeat(17 + i)).statusCode());
            assertEquals(405, send("PATCH", "/k", "body").statusCode());
            assertEquals(400, send("POST", "/zero", "http://127.0.0.1:1").statusCode());
            assertEquals(204, send("PUT", "/k", "v" + i).statusCode());
        }
        assertEquals("v19", service.text("/k"));
    }

    @Test
    void chunkedValueOverTheLimitIs413() throws Exception {
        // No Content-Length: the limit must hold while reading.
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            String chunk = "x".repeat(20);
            out.write(("PUT /k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                            + Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n0\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 413", status);
        }
        assertFalse(service.map.containsKey("/k"));
    }

    @Test
    void otherMethodsAre405WithAllow() throws Exception {
        for (String m : List.of("PATCH", "HEAD", "OPTIONS")) {
            HttpResponse<String> r = send(m, "/k", null);
            assertEquals(405, r.statusCode(), m);
            assertEquals(HttpKVApi.ALLOW, r.headers().firstValue("Allow").orElse(""), m);
        }
    }

    @Test
    void addNodeNeedsANumericIdAndAPeerUrl() throws Exception {
        assertEquals(204, send("POST", "/4", "http://127.0.0.1:42379").statusCode());
        assertEquals(204, send("POST", "/5", " http://host.example:1234\n").statusCode());
        assertEquals(List.of("add 4 http://127.0.0.1:42379", "add 5 http://host.example:1234"), service.calls);
        List<String[]> bad = new ArrayList<>();
        bad.add(new String[] {"/x", "http://127.0.0.1:42379"});
        bad.add(new String[] {"/0", "http://127.0.0.1:42379"});
        bad.add(new String[] {"/-1", "http://127.0.0.1:42379"});
        bad.add(new String[] {"/", "http://127.0.0.1:42379"});
        bad.add(new String[] {"/4", "127.0.0.1:42379"});
        bad.add(new String[] {"/4", "ftp://127.0.0.1:42379"});
        // The peer transport speaks plain http: an https URL, once committed, could never be dialled.
        bad.add(new String[] {"/4", "https://127.0.0.1:42379"});
        bad.add(new String[] {"/4", "http://127.0.0.1"});
        bad.add(new String[] {"/4", ""});
        for (String[] b : bad) {
            assertEquals(400, send("POST", b[0], b[1]).statusCode(), b[0] + " " + b[1]);
        }
        assertEquals(2, service.calls.size());
    }

    @Test
    void removeNodeNeedsANumericId() throws Exception {
        assertEquals(204, send("DELETE", "/3", null).statusCode());
        assertEquals(400, send("DELETE", "/three", null).statusCode());
        assertEquals(400, send("DELETE", "/0", null).statusCode());
        assertEquals(List.of("remove 3"), service.calls);
    }

    @Test
    void parseNodeIdAcceptsOnlyPositiveDecimals() {
        assertEquals(4, HttpKVApi.parseNodeId("/4"));
        assertEquals(-1L, HttpKVApi.parseNodeId("/18446744073709551615"));
        assertEquals(0, HttpKVApi.parseNodeId("/18446744073709551616"));
        assertEquals(0, HttpKVApi.parseNodeId("/0x4"));
        assertEquals(0, HttpKVApi.parseNodeId("/4/5"));
    }
}
