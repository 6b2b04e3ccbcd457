package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raftexample.fuzz.Fuzz;
import org.raftexample.fuzz.Mutations;

/**
 * The key-value HTTP API, fuzzed over raw sockets through a real Jetty server: random methods, raw paths, header
 * damage and bodies. Every request is answered with a status other than 500 (or the connection is closed)
 * within a bound, a 204 for a PUT means the value was stored, and a well-formed request is served after each.
 *
 * <p>Seeded: {@code -Dfuzz.seed=N} replays a run, {@code -Dfuzz.tries=N} sets the tries (default 1000); see
 * {@link Fuzz}.
 */
class HttpKVApiFuzzTest {
    private static final int TRIES = 1000;
    private static final AtomicLong TRIED = new AtomicLong();
    private static HttpKVApiTest.FakeService service;
    private static KVHttpServer server;

    /** One raw request. */
    record Shot(String method, String target, int headerDamage, byte[] body) {
        @Override
        public String toString() {
            return method + " " + target + ", header damage " + headerDamage + ", body " + Fuzz.hex(body);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        service = new HttpKVApiTest.FakeService();
        server = new KVHttpServer(new HttpKVApi(service, 64, Duration.ofMillis(300)), 0);
        server.start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        System.out.println("fuzz: key-value HTTP API, " + TRIED.get() + " requests");
    }

    static Shot shot(Random r) {
        String method = r.nextBoolean()
                ? Fuzz.oneOf(r, "PUT", "PUT", "GET", "GET", "POST", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH")
                : Fuzz.string(r, "ABCGPTXZ-_!", 1, 8);
        String target = r.nextBoolean()
                ? Fuzz.oneOf(
                        r,
                        "/k",
                        "/1",
                        "/4",
                        "/0",
                        "/18446744073709551615",
                        "/18446744073709551616",
                        "/",
                        "//x",
                        "/a%2Fb",
                        "/%zz",
                        "/k?serializable=true",
                        "/k?serializable=maybe",
                        "*")
                : "/" + Fuzz.string(r, "abk/%.-_?=&#0123456789", 0, 40);
        byte[] body = switch (r.nextInt(3)) {
            case 0 ->
                Fuzz.oneOf(r, "v", "http://127.0.0.1:42379", "https://127.0.0.1:1", "x".repeat(64), "x".repeat(65))
                        .getBytes(StandardCharsets.UTF_8);
            case 1 -> Mutations.randomBytes(r, 200);
            default ->
                Mutations.damage(
                                r,
                                Fuzz.oneOf(r, "value", "http://127.0.0.1:42379").getBytes(StandardCharsets.UTF_8))
                        .bytes();
        };
        return new Shot(method, target, r.nextInt(6), body);
    }

    @Test
    void everyRequestIsAnsweredCleanlyAndTheServerKeepsServing() {
        Fuzz.forAll(0xcb5e_0001L, TRIES, HttpKVApiFuzzTest::shot, Shot::toString, HttpKVApiFuzzTest::send);
    }

    private static void send(Shot shot) throws Exception {
        TRIED.incrementAndGet();
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.writeBytes((shot.method() + " " + shot.target() + " HTTP/1.1\r\nHost: x\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        String length = switch (shot.headerDamage()) {
            case 1 -> "Content-Length: " + (shot.body().length + 5) + "\r\n"; // promises more than comes
            case 2 -> "Content-Length: -3\r\n";
            case 3 -> "Transfer-Encoding: chunked\r\n"; // and a body that is not chunked
            case 4 -> "Content-Length: 99999999999999999999\r\n";
            default -> "Content-Length: " + shot.body().length + "\r\n";
        };
        req.writeBytes(length.getBytes(StandardCharsets.ISO_8859_1));
        if (shot.headerDamage() == 5) {
            req.writeBytes("X-Long: ".getBytes(StandardCharsets.ISO_8859_1));
            req.writeBytes("y".repeat(10_000).getBytes(StandardCharsets.ISO_8859_1));
            req.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        req.writeBytes("Connection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        req.writeBytes(shot.body());
        String answer = exchange(req.toByteArray());
        if (!answer.isEmpty()) {
            assertTrue(answer.startsWith("HTTP/1.1 "), answer);
            int status = Integer.parseInt(answer.substring(9, 12));
            assertNotEquals(500, status, answer);
            assertTrue(!answer.contains("<html") && !answer.contains("<HTML"), answer);
            if (status == 204 && shot.method().equals("PUT") && shot.headerDamage() == 0) {
                assertTrue(
                        service.map.values().stream().anyMatch(v -> java.util.Arrays.equals(v, shot.body())),
                        "204 for a PUT that stored nothing: " + shot);
            }
        }
        String ok = exchange(("GET /k?serializable=true HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(ok.startsWith("HTTP/1.1 200 ") || ok.startsWith("HTTP/1.1 404 "), ok);
    }

    /**
     * A path Jetty cannot parse is refused with one line of plain text, and since Jetty then closes the
     * connection the answer says so: a client that pools connections (here the JDK's, one connection) is not
     * failed on its next request by a connection it believed reusable.
     */
    @Test
    void anUnparseablePathIsRefusedWithConnectionCloseAndThePooledClientIsServedNext() throws Exception {
        for (String path : java.util.List.of("/..", "/%zz", "/a/%00", "/%2e%2e")) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                s.setSoTimeout(10_000);
                s.getOutputStream()
                        .write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                String head = answer.substring(0, Math.max(0, answer.indexOf("\r\n\r\n")));
                assertTrue(answer.startsWith("HTTP/1.1 400 "), path + ": " + answer);
                assertTrue(head.contains("Content-Type: text/plain"), path + ": " + answer);
                // readAllBytes returned: the server closed the connection, so it must have said it would.
                assertTrue(head.contains("Connection: close"), path + ": " + answer);
            }
        }
        // Then through the JDK's pooled client: the request after the refusal is served. (The JDK client
        // refuses to send "/.." or "/%zz" itself; it sends "/a/%00", which Jetty cannot decode.)
        java.net.http.HttpClient pooled = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1)
                .build();
        java.net.URI base = java.net.URI.create("http://127.0.0.1:" + server.port());
        for (int i = 0; i < 3; i++) {
            java.net.http.HttpResponse<String> bad = pooled.send(
                    java.net.http.HttpRequest.newBuilder(base.resolve("/a/%00"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertTrue(bad.statusCode() == 400, bad.statusCode() + " " + bad.body());
            assertTrue(
                    bad.headers().allValues("connection").contains("close"),
                    bad.headers().toString());
            java.net.http.HttpResponse<String> next = pooled.send(
                    java.net.http.HttpRequest.newBuilder(base.resolve("/k?serializable=true"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertTrue(next.statusCode() == 200 || next.statusCode() == 404, next.statusCode() + " " + next.body());
        }
    }

    /** Sends a request, closes the sending side, and returns whatever came back (empty: closed unanswered). */
    private static String exchange(byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            try {
                s.getOutputStream().write(request);
                s.shutdownOutput();
            } catch (IOException closedEarly) {
                // the server answered and closed before taking the whole request: read what it said
            }
            try {
                return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            } catch (java.net.SocketException reset) {
                return "";
            }
        }
    }
}
