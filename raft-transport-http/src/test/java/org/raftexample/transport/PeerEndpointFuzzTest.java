package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raftexample.fuzz.Fuzz;
import org.raftexample.fuzz.Mutations;

/**
 * The peer port's endpoints, fuzzed through a real Jetty server: random methods, paths and header damage, with
 * damaged or random pipeline and snapshot bodies. Every request gets an answer other than 500 within the
 * client's timeout, and the node goes on accepting a member's well-formed message after each one.
 *
 * <p>Seeded: {@code -Dfuzz.seed=N} replays a run, {@code -Dfuzz.tries=N} sets the tries (default 1000); see
 * {@link Fuzz}.
 */
class PeerEndpointFuzzTest {
    private static final long LOCAL = 2;
    private static final long MEMBER = 1;
    private static final int TRIES = 1000;
    private static final AtomicLong TRIED = new AtomicLong();
    private static RecordingRaft raft;
    private static Transport transport;
    private static HttpClient client;
    private static byte[] pipelineBody;
    private static byte[] snapshotBody;

    /** One request: where, how, with which headers broken, and its body. */
    record Shot(
            String method,
            String path,
            int headerDamage,
            boolean snapshotBase,
            List<Mutations.Op> edits,
            byte[] garbage,
            boolean useGarbage) {
        @Override
        public String toString() {
            return method + " " + path + ", header damage " + headerDamage + ", "
                    + (useGarbage
                            ? "random body " + Fuzz.hex(garbage)
                            : (snapshotBase ? "snapshot" : "pipeline") + " body with edits " + edits);
        }
    }

    @BeforeAll
    static void startNode() throws Exception {
        raft = new RecordingRaft();
        transport = TestSupport.start(TransportConfig.of(LOCAL, TestSupport.CLUSTER, TestSupport.ANY_PORT, raft)
                .withTimeouts(TestSupport.FAST)
                .withLimits(
                        TransportLimits.defaults().withMaxMessageBytes(64 << 10).withMaxSnapshotBytes(1 << 20)));
        transport.addPeer(MEMBER, List.of("http://127.0.0.1:1"));
        client = new HttpClient();
        client.start();
        pipelineBody = TestSupport.app(MEMBER, LOCAL, 5, 3, 40).toByteArray();
        ByteArrayOutputStream snap = new ByteArrayOutputStream();
        for (ByteBuffer part : SnapshotSender.encode(TransportTest.snapshotMessage(MEMBER, LOCAL, new byte[300]))) {
            byte[] b = new byte[part.remaining()];
            part.get(b);
            snap.write(b);
        }
        snapshotBody = snap.toByteArray();
    }

    @AfterAll
    static void stopNode() throws Exception {
        client.stop();
        transport.stop();
        System.out.println("fuzz: peer port endpoints, " + TRIED.get() + " requests");
    }

    static Shot shot(Random r) {
        String method = Fuzz.oneOf(r, "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "GET");
        String path = r.nextBoolean()
                ? Fuzz.oneOf(
                        r,
                        "/raft",
                        "/raft/snapshot",
                        "/raft/stream/message/1",
                        "/raft/stream/msgappv2/1",
                        "/raft/stream/bogus/1",
                        "/raft/stream/message/zz",
                        "/raft/",
                        "/",
                        "/raft/probing")
                : "/" + Fuzz.string(r, "abz/.-_0123456789", 0, 30);
        return new Shot(
                method,
                path,
                r.nextInt(7),
                r.nextBoolean(),
                Mutations.ops(r),
                Mutations.randomBytes(r, 2048),
                r.nextBoolean());
    }

    @Test
    void everyRequestIsAnsweredWithoutAServerErrorAndTheNodeKeepsServing() {
        Fuzz.forAll(0x9ee7_0001L, TRIES, PeerEndpointFuzzTest::shot, Shot::toString, PeerEndpointFuzzTest::send);
    }

    private static void send(Shot shot) throws Exception {
        TRIED.incrementAndGet();
        String method = shot.method();
        if (method.equals("GET") && shot.path().startsWith(Protocol.STREAM_PREFIX) && shot.headerDamage() == 0) {
            // A well-formed stream request is answered with a stream that stays open: not this test's subject.
            method = "POST";
        }
        byte[] body = shot.useGarbage()
                ? shot.garbage()
                : Mutations.apply(shot.snapshotBase() ? snapshotBody : pipelineBody, shot.edits());
        ContentResponse r = client.newRequest(transport.listenUri() + shot.path())
                .method(method)
                // Pooled connections: an answer after which the node closes the connection (a path such
                // as "/.." that Jetty cannot parse) must say "Connection: close", or the member's next
                // message would fail with an EOF on the reused connection.
                .headers(h -> damage(h, shot.headerDamage()))
                .body(new BytesRequestContent(body))
                .timeout(10, TimeUnit.SECONDS)
                .send();
        assertNotEquals(500, r.getStatus(), method + " " + shot.path() + ": " + r.getContentAsString());
        ContentResponse ok = client.newRequest(transport.listenUri().resolve(Protocol.RAFT_PATH))
                .method("POST")
                .headers(h -> Protocol.addRequestHeaders(h, TestSupport.CLUSTER, MEMBER, LOCAL))
                .body(new BytesRequestContent(
                        TestSupport.heartbeat(MEMBER, LOCAL, 1).toByteArray()))
                .timeout(10, TimeUnit.SECONDS)
                .send();
        assertEquals(204, ok.getStatus());
    }

    private static void damage(HttpFields.Mutable h, int how) {
        Protocol.addRequestHeaders(h, TestSupport.CLUSTER, MEMBER, LOCAL);
        switch (how) {
            case 1 -> h.put(Protocol.CLUSTER_ID, "zz");
            case 2 -> h.put(Protocol.SERVER_FROM, "99");
            case 3 -> h.remove(Protocol.RAFT_TO);
            case 4 -> h.put(Protocol.SERVER_VERSION, "0.0.1");
            case 5 -> h.put(Protocol.SERVER_FROM, "ffffffffffffffffff");
            case 6 -> h.put(Protocol.RAFT_TO, "-1");
            default -> {}
        }
    }
}
