package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpMethod;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.Message;

/** What the receiving side answers to requests a well-behaved peer would not send, and that it survives them. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RequestChecksTest {
    private static final long LOCAL = 2;
    private static final long REMOTE = 1;
    private static final int MAX_MESSAGE = 64 * 1024;

    private RecordingRaft raft;
    private Transport transport;
    private HttpClient client;
    private URI base;

    @BeforeEach
    void startNode() throws Exception {
        raft = new RecordingRaft();
        transport = TestSupport.start(TransportConfig.of(LOCAL, TestSupport.CLUSTER, TestSupport.ANY_PORT, raft)
                .withTimeouts(TestSupport.FAST)
                .withLimits(TransportLimits.defaults()
                        .withMaxMessageBytes(MAX_MESSAGE)
                        .withMaxSnapshotBytes(1 << 20)));
        base = transport.listenUri();
        // The sender must be a member; nothing listens on its URL, which only the outgoing side would use.
        transport.addPeer(REMOTE, List.of("http://127.0.0.1:1"));
        client = new HttpClient();
        client.start();
    }

    @AfterEach
    void stopNode() throws Exception {
        client.stop();
        transport.stop();
    }

    private ContentResponse post(String path, byte[] body, Consumer<HttpFields.Mutable> headers) throws Exception {
        Request r = client.newRequest(base.resolve(path))
                .method(HttpMethod.POST)
                .headers(headers)
                .body(new BytesRequestContent(body))
                .timeout(10, TimeUnit.SECONDS);
        return r.send();
    }

    private static Consumer<HttpFields.Mutable> valid() {
        return h -> Protocol.addRequestHeaders(h, TestSupport.CLUSTER, REMOTE, LOCAL);
    }

    private byte[] heartbeat(long to) {
        return TestSupport.heartbeat(REMOTE, to, 9).toByteArray();
    }

    /** The node still accepts a well-formed message after whatever the test threw at it. */
    private void assertStillServing() throws Exception {
        raft.received.clear();
        assertEquals(204, post("/raft", heartbeat(LOCAL), valid()).getStatus());
        Message m = raft.received.poll(5, TimeUnit.SECONDS);
        assertEquals(9, m.getCommit());
    }

    @Test
    void validPipelineMessageIsProcessedAndAnswered204() throws Exception {
        assertStillServing();
    }

    @Test
    void wrongClusterIdIsRefusedWith412AndDropped() throws Exception {
        ContentResponse r = post(
                "/raft", heartbeat(LOCAL), h -> Protocol.addRequestHeaders(h, TestSupport.CLUSTER + 1, REMOTE, LOCAL));
        assertEquals(412, r.getStatus());
        assertTrue(raft.received.isEmpty());
        assertStillServing();
    }

    @Test
    void requestAddressedToAnotherNodeIsRefusedWith412() throws Exception {
        assertEquals(
                412,
                post("/raft", heartbeat(LOCAL), h -> Protocol.addRequestHeaders(h, TestSupport.CLUSTER, REMOTE, 3))
                        .getStatus());
        // Header right, message addressed elsewhere.
        assertEquals(412, post("/raft", heartbeat(3), valid()).getStatus());
        assertTrue(raft.received.isEmpty());
        assertStillServing();
    }

    @Test
    void incompatibleOrMissingVersionIsRefusedWith412() throws Exception {
        assertEquals(
                412,
                post("/raft", heartbeat(LOCAL), valid().andThen(h -> h.put(Protocol.SERVER_VERSION, "2.0.0")))
                        .getStatus());
        assertEquals(
                412,
                post("/raft", heartbeat(LOCAL), valid().andThen(h -> h.remove(Protocol.SERVER_VERSION)))
                        .getStatus());
        assertTrue(raft.received.isEmpty());
    }

    @Test
    void missingSenderIsRefusedWith400() throws Exception {
        assertEquals(
                400,
                post("/raft", heartbeat(LOCAL), valid().andThen(h -> h.remove(Protocol.SERVER_FROM)))
                        .getStatus());
        assertEquals(
                400,
                post("/raft", heartbeat(LOCAL), valid().andThen(h -> h.put(Protocol.RAFT_TO, "not-hex")))
                        .getStatus());
    }

    @Test
    void garbageBodiesAreRefusedWith400() throws Exception {
        byte[][] bodies = {
            {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff},
            "hello, raft".getBytes(StandardCharsets.UTF_8),
            new byte[0],
            java.util.Arrays.copyOf(TestSupport.app(REMOTE, LOCAL, 1, 3, 100).toByteArray(), 50),
        };
        for (byte[] body : bodies) {
            assertEquals(400, post("/raft", body, valid()).getStatus());
        }
        assertTrue(raft.received.isEmpty());
        assertStillServing();
    }

    @Test
    void oversizedBodiesAreRefusedWith413() throws Exception {
        byte[] big = TestSupport.app(REMOTE, LOCAL, 1, 1, MAX_MESSAGE + 1).toByteArray();
        // Declared length over the limit: refused before the body is read.
        assertEquals(413, rawStatus("/raft", big.length, new byte[100], false));
        // Chunked body that grows past the limit: refused once the limit is crossed.
        assertEquals(413, rawStatus("/raft", -1, big, true));
        assertTrue(raft.received.isEmpty());
        assertStillServing();
    }

    @Test
    void messageFromRemovedMemberIsRefusedWith410() throws Exception {
        raft.removed.add(REMOTE);
        assertEquals(410, post("/raft", heartbeat(LOCAL), valid()).getStatus());
        assertTrue(raft.received.isEmpty());
    }

    @Test
    void raftFailureIsAnswered500AndTheNextMessageIsServed() throws Exception {
        raft.failNextProcess.set(1);
        assertEquals(500, post("/raft", heartbeat(LOCAL), valid()).getStatus());
        assertStillServing();
    }

    @Test
    void unknownPathsAndWrongMethodsAreRefused() throws Exception {
        assertEquals(404, post("/raft/nope", heartbeat(LOCAL), valid()).getStatus());
        assertEquals(404, post("/elsewhere", heartbeat(LOCAL), valid()).getStatus());
        ContentResponse get =
                client.newRequest(base.resolve("/raft")).headers(valid()).send();
        assertEquals(405, get.getStatus());
        assertEquals("POST", get.getHeaders().get("Allow"));
        assertEquals(405, post("/raft/stream/message/1", new byte[0], valid()).getStatus());
        assertEquals(
                404,
                client.newRequest(base.resolve("/raft/stream/bogus/1"))
                        .headers(valid())
                        .send()
                        .getStatus());
        assertEquals(
                404,
                client.newRequest(base.resolve("/raft/stream/message/zz"))
                        .headers(valid())
                        .send()
                        .getStatus());
        // A well-formed stream request from a member this node has not added.
        assertEquals(
                404,
                client.newRequest(base.resolve("/raft/stream/message/3"))
                        .headers(h -> Protocol.addRequestHeaders(h, TestSupport.CLUSTER, 3, LOCAL))
                        .send()
                        .getStatus());
        assertStillServing();
    }

    @Test
    void badSnapshotBodiesAreRefused() throws Exception {
        Message snap = TransportTest.snapshotMessage(REMOTE, LOCAL, new byte[1000]);
        byte[] whole = concat(SnapshotSender.encode(snap));
        // Truncated data.
        assertEquals(
                400,
                post("/raft/snapshot", java.util.Arrays.copyOf(whole, whole.length - 10), valid())
                        .getStatus());
        // Garbage header.
        assertEquals(
                400,
                post("/raft/snapshot", new byte[] {0, 0, 0, 3, 1, 2, 3}, valid())
                        .getStatus());
        // A non-snapshot message on the snapshot endpoint.
        byte[] hb = heartbeat(LOCAL);
        ByteArrayOutputStream wrongType = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(wrongType);
        out.writeInt(hb.length);
        out.write(hb);
        out.writeLong(0);
        assertEquals(
                400, post("/raft/snapshot", wrongType.toByteArray(), valid()).getStatus());
        // Data larger than the snapshot limit.
        byte[] bigHeader = concat(SnapshotSender.encode(TransportTest.snapshotMessage(REMOTE, LOCAL, new byte[0])));
        ByteBuffer.wrap(bigHeader).putLong(bigHeader.length - 8, 2L << 20);
        assertEquals(
                413, post("/raft/snapshot", bigHeader, valid().andThen(h -> {})).getStatus());
        assertTrue(raft.received.isEmpty());
        // The intact body goes through.
        assertEquals(204, post("/raft/snapshot", whole, valid()).getStatus());
        assertEquals(
                1000,
                raft.received.poll(5, TimeUnit.SECONDS).getSnapshot().getData().size());
    }

    @Test
    void garbageOnARawConnectionDoesNotHurtTheNode() throws Exception {
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            s.getOutputStream().write("\u0000\u0001garbage\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            s.getInputStream().readAllBytes(); // the server answers 400 and closes, or just closes
        }
        assertStillServing();
    }

    /** Sends a request by hand so the test controls the framing, and returns the status line's code. */
    private int rawStatus(String path, long declaredLength, byte[] body, boolean chunked) throws Exception {
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(10_000);
            StringBuilder head = new StringBuilder("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n");
            head.append(Protocol.CLUSTER_ID)
                    .append(": ")
                    .append(Protocol.formatId(TestSupport.CLUSTER))
                    .append("\r\n");
            head.append(Protocol.SERVER_FROM)
                    .append(": ")
                    .append(Protocol.formatId(REMOTE))
                    .append("\r\n");
            head.append(Protocol.RAFT_TO)
                    .append(": ")
                    .append(Protocol.formatId(LOCAL))
                    .append("\r\n");
            head.append(Protocol.SERVER_VERSION)
                    .append(": ")
                    .append(Protocol.VERSION)
                    .append("\r\n");
            head.append(chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + declaredLength + "\r\n");
            head.append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            try {
                if (chunked) {
                    for (int off = 0; off < body.length; off += 8192) {
                        int n = Math.min(8192, body.length - off);
                        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(body, off, n);
                        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                } else {
                    out.write(body);
                }
                out.flush();
            } catch (java.io.IOException e) {
                // The server may answer and close before it has read everything; its answer is still there.
            }
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                line.append((char) c);
            }
            String[] parts = line.toString().split(" ");
            return Integer.parseInt(parts[1]);
        }
    }

    private static byte[] concat(List<ByteBuffer> buffers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer b : buffers) {
            byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            out.writeBytes(bytes);
        }
        return out.toByteArray();
    }
}
