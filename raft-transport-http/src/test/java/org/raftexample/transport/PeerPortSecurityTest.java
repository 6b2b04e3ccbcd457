package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * What the plain-HTTP peer port does with a sender that is not a member, and how it answers what it does not
 * serve: one line of plain text, never Jetty's HTML page.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PeerPortSecurityTest {
    private static final long LOCAL = 2;
    private static final long MEMBER = 1;
    private static final long STRANGER = 99;

    private RecordingRaft raft;
    private Transport transport;
    private HttpClient client;
    private URI base;

    @BeforeEach
    void startNode() throws Exception {
        raft = new RecordingRaft();
        transport = TestSupport.start(LOCAL, raft);
        transport.addPeer(MEMBER, List.of("http://127.0.0.1:1"));
        base = transport.listenUri();
        client = new HttpClient();
        client.start();
    }

    @AfterEach
    void stopNode() throws Exception {
        client.stop();
        transport.stop();
    }

    /** A forged leader's append: a term far ahead, an entry, and a commit index that would apply it. */
    private static Message forgedAppend(long from) {
        return Message.newBuilder()
                .setType(MessageType.MsgApp)
                .setFrom(from)
                .setTo(LOCAL)
                .setTerm(1_000_000)
                .setLogTerm(0)
                .setIndex(0)
                .setCommit(1)
                .addEntries(Entry.newBuilder()
                        .setTerm(1_000_000)
                        .setIndex(1)
                        .setData(com.google.protobuf.ByteString.copyFromUtf8("forged")))
                .build();
    }

    private ContentResponse post(String path, long headerFrom, byte[] body) throws Exception {
        return client.newRequest(base.resolve(path))
                .method(HttpMethod.POST)
                .headers(h -> Protocol.addRequestHeaders(h, TestSupport.CLUSTER, headerFrom, LOCAL))
                .body(new BytesRequestContent(body))
                .timeout(10, TimeUnit.SECONDS)
                .send();
    }

    @Test
    void pipelineMessageFromANonMemberWithAFarAheadTermIsRefusedAndNeverReachesRaft() throws Exception {
        ContentResponse r =
                post(Protocol.RAFT_PATH, STRANGER, forgedAppend(STRANGER).toByteArray());
        assertEquals(404, r.getStatus());
        assertEquals("error sender not found\n", r.getContentAsString());
        assertNull(raft.received.poll(200, TimeUnit.MILLISECONDS));
        // A member is still heard.
        assertEquals(
                204,
                post(
                                Protocol.RAFT_PATH,
                                MEMBER,
                                TestSupport.heartbeat(MEMBER, LOCAL, 4).toByteArray())
                        .getStatus());
        assertEquals(4, raft.received.poll(5, TimeUnit.SECONDS).getCommit());
    }

    @Test
    void memberHeaderDoesNotCarryAMessageWhoseSenderIsNotAMember() throws Exception {
        assertEquals(
                404,
                post(Protocol.RAFT_PATH, MEMBER, forgedAppend(STRANGER).toByteArray())
                        .getStatus());
        assertNull(raft.received.poll(200, TimeUnit.MILLISECONDS));
    }

    @Test
    void snapshotFromANonMemberIsRefusedBeforeItsDataIsRead() throws Exception {
        Message snap = TransportTest.snapshotMessage(STRANGER, LOCAL, new byte[4096]);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (java.nio.ByteBuffer part : SnapshotSender.encode(snap)) {
            byte[] bytes = new byte[part.remaining()];
            part.get(bytes);
            body.write(bytes);
        }
        assertEquals(
                404, post(Protocol.SNAPSHOT_PATH, STRANGER, body.toByteArray()).getStatus());
        assertNull(raft.received.poll(200, TimeUnit.MILLISECONDS));
        assertTrue(raft.snapshotReports.isEmpty());
    }

    @Test
    void aMemberDribblingAPipelineBodyIsCutOffAtTheRequestDeadline() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean dribbling = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream()
                    .write(("POST /raft HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                                    + Protocol.CLUSTER_ID + ": " + Protocol.formatId(TestSupport.CLUSTER) + "\r\n"
                                    + Protocol.SERVER_FROM + ": " + Protocol.formatId(MEMBER) + "\r\n"
                                    + Protocol.RAFT_TO + ": " + Protocol.formatId(LOCAL) + "\r\n"
                                    + Protocol.SERVER_VERSION + ": " + Protocol.VERSION + "\r\n\r\n")
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            Thread dribbler = new Thread(() -> {
                // A byte every 200 ms keeps the connection's idle timeout from ever firing.
                while (dribbling.get()) {
                    try {
                        s.getOutputStream().write(8);
                        s.getOutputStream().flush();
                        Thread.sleep(200);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            dribbler.start();
            long start = System.nanoTime();
            byte[] head = s.getInputStream().readNBytes(12);
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            dribbling.set(false);
            dribbler.join(5_000);
            assertEquals("HTTP/1.1 400", new String(head, java.nio.charset.StandardCharsets.US_ASCII));
            // The request deadline is TestSupport.FAST's 5 s; the dribble would have taken 200 s.
            assertTrue(waitedMs < 20_000, "answered after " + waitedMs + " ms");
        }
        assertNull(raft.received.poll(200, TimeUnit.MILLISECONDS));
    }

    @Test
    void strayPathsAndWrongMethodsGetOneLineOfPlainText() throws Exception {
        for (String path : List.of("/", "/favicon.ico", "/v2/keys/x", "/raft/nope")) {
            ContentResponse r = client.newRequest(base.resolve(path))
                    .timeout(10, TimeUnit.SECONDS)
                    .send();
            assertEquals(404, r.getStatus(), path);
            assertPlainOneLine(r);
        }
        ContentResponse get = client.newRequest(base.resolve(Protocol.RAFT_PATH))
                .timeout(10, TimeUnit.SECONDS)
                .send();
        assertEquals(405, get.getStatus());
        assertPlainOneLine(get);
        ContentResponse put = client.newRequest(base.resolve("/anything"))
                .method(HttpMethod.PUT)
                .body(new BytesRequestContent(new byte[10]))
                .timeout(10, TimeUnit.SECONDS)
                .send();
        assertEquals(404, put.getStatus());
        assertPlainOneLine(put);
    }

    @Test
    void oversizedHeadersGetAPlainTextRefusal() throws Exception {
        try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(10_000);
            String request = "POST /raft HTTP/1.1\r\nHost: x\r\nX-Padding: " + "x".repeat(16 << 10)
                    + "\r\nContent-Length: 0\r\n\r\n";
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 431 "), answer);
            assertTrue(answer.contains("Content-Type: text/plain"), answer);
            assertFalse(answer.contains("<"), answer);
        }
    }

    /**
     * Jetty refuses a path it cannot parse (such as "/..") with a 400 and then closes the connection: the
     * answer must say so ("Connection: close"), or a pooled client connection would fail its next request.
     */
    @Test
    void anUnparseablePathIsRefusedInPlainTextAndThePooledConnectionStaysUsable() throws Exception {
        for (String path : List.of("/..", "/raft/../..", "/%2e%2e", "/a/%00")) {
            try (java.net.Socket s = new java.net.Socket(base.getHost(), base.getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream()
                        .write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                String answer = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                String head = answer.substring(0, Math.max(0, answer.indexOf("\r\n\r\n")));
                assertTrue(answer.startsWith("HTTP/1.1 4"), path + ": " + answer);
                assertTrue(head.contains("Content-Type: text/plain"), path + ": " + answer);
                // The server closed the connection (readAllBytes returned), so it must have said it would.
                assertTrue(head.contains("Connection: close"), path + ": " + answer);
                assertFalse(answer.contains("<"), answer);
            }
        }
        // The same through a pooled client: the request after the refusal is served, not failed with an EOF.
        HttpClient pooled = new HttpClient();
        pooled.setMaxConnectionsPerDestination(1);
        pooled.start();
        try {
            for (int i = 0; i < 3; i++) {
                ContentResponse bad = pooled.newRequest(base.getHost(), base.getPort())
                        .path("/..")
                        .timeout(10, TimeUnit.SECONDS)
                        .send();
                assertEquals(400, bad.getStatus());
                assertPlainOneLine(bad);
                ContentResponse stray = pooled.newRequest(base.resolve("/stray"))
                        .timeout(10, TimeUnit.SECONDS)
                        .send();
                assertEquals(404, stray.getStatus());
            }
        } finally {
            pooled.stop();
        }
    }

    private static void assertPlainOneLine(ContentResponse r) {
        assertTrue(
                r.getMediaType() != null && r.getMediaType().equals("text/plain"),
                r.getHeaders().toString());
        String text = r.getContentAsString();
        assertTrue(text.endsWith("\n") && text.indexOf('\n') == text.length() - 1, text);
        assertFalse(text.contains("<"), text);
    }
}
