package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.net.ServerSocket;
import java.net.URI;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.SnapshotStatus;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TransportTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private final List<Transport> transports = new ArrayList<>();

    @AfterEach
    void stopAll() {
        transports.forEach(Transport::stop);
    }

    private Transport node(long id, RecordingRaft raft) {
        Transport t = TestSupport.start(id, raft);
        transports.add(t);
        return t;
    }

    @Test
    void pipelineDeliversWhileNoStreamIsUp() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        Transport a = node(1, ra);
        Transport b = node(2, rb);
        // b knows a (a receiver refuses messages from non-members) but at a URL where nothing listens, so it
        // never reaches a to open a's streams: a can only use the pipeline.
        b.addPeer(1, List.of("http://127.0.0.1:1"));
        a.addPeer(2, List.of(b.listenUri().toString()));
        List<Message> sent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sent.add(TestSupport.heartbeat(1, 2, i));
        }
        a.send(sent);
        List<Message> got = TestSupport.drain(rb, 50, WAIT);
        assertEquals(new HashSet<>(sent), new HashSet<>(got));
        assertFalse(a.peer(2).streamsWorking());
    }

    @Test
    void streamsPreserveOrderPerStream() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        Transport a = node(1, ra);
        Transport b = node(2, rb);
        TestSupport.connectAll(List.of(a, b), List.of(1L, 2L));
        TestSupport.awaitStreams(a, 2);
        TestSupport.awaitStreams(b, 1);

        int n = 2000;
        for (int i = 0; i < n; i++) {
            a.send(List.of(TestSupport.app(1, 2, i, 2, 64), TestSupport.heartbeat(1, 2, i)));
        }
        List<Message> got = TestSupport.drain(rb, 2 * n, WAIT);
        long nextIndex = 0;
        long nextCommit = 0;
        for (Message m : got) {
            if (m.getType() == MessageType.MsgApp) {
                assertEquals(nextIndex++, m.getIndex(), "MsgApp out of order");
                assertEquals(2, m.getEntriesCount());
            } else {
                assertEquals(nextCommit++, m.getCommit(), "heartbeat out of order");
            }
        }
        assertEquals(n, nextIndex);
        assertEquals(n, nextCommit);
        assertTrue(a.activeSince(2).isPresent());
        assertTrue(ra.unreachable.isEmpty(), "nothing was reported unreachable");
    }

    @Test
    void threeNodesExchangeMessagesBothWays() throws Exception {
        List<RecordingRaft> rafts = List.of(new RecordingRaft(), new RecordingRaft(), new RecordingRaft());
        List<Transport> ts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ts.add(node(i + 1, rafts.get(i)));
        }
        TestSupport.connectAll(ts, List.of(1L, 2L, 3L));
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                if (i != j) {
                    TestSupport.awaitStreams(ts.get(i), j + 1);
                }
            }
        }
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                if (i != j) {
                    ts.get(i)
                            .send(List.of(
                                    TestSupport.app(i + 1, j + 1, 7, 1, 10), TestSupport.heartbeat(i + 1, j + 1, 7)));
                }
            }
        }
        for (int j = 0; j < 3; j++) {
            List<Message> got = TestSupport.drain(rafts.get(j), 4, WAIT);
            Set<Long> senders = new HashSet<>();
            for (Message m : got) {
                assertEquals(j + 1, m.getTo());
                senders.add(m.getFrom());
            }
            assertEquals(2, senders.size());
        }
    }

    @Test
    void streamReconnectsAfterRemoteRestarts() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        Transport a = node(1, ra);
        Transport b = node(2, rb);
        TestSupport.connectAll(List.of(a, b), List.of(1L, 2L));
        TestSupport.awaitStreams(a, 2);
        URI bUrl = b.listenUri();

        b.stop();
        // Until a's writers notice their connections died, messages would be written into them and lost
        // (raft would resend them); wait for that so the message below must travel on a new stream.
        TestSupport.await(() -> a.activeSince(2).isEmpty() && !a.peer(2).streamsWorking(), WAIT, "a notices b is gone");

        RecordingRaft rb2 = new RecordingRaft();
        Transport b2 = TestSupport.start(
                TransportConfig.of(2, TestSupport.CLUSTER, bUrl, rb2).withTimeouts(TestSupport.FAST));
        transports.add(b2);
        b2.addPeer(1, List.of(a.listenUri().toString()));
        TestSupport.awaitStreams(a, 2);
        TestSupport.awaitStreams(b2, 1);
        a.send(List.of(TestSupport.app(1, 2, 42, 1, 8)));
        Message m = TestSupport.drain(rb2, 1, WAIT).get(0);
        assertEquals(42, m.getIndex());
        assertTrue(a.activeSince(2).isPresent());
    }

    @Test
    void snapshotOf20MiBIsDeliveredAndReportedFinished() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        Transport a = node(1, ra);
        Transport b = node(2, rb);
        TestSupport.connectAll(List.of(a, b), List.of(1L, 2L));
        byte[] data = new byte[20 << 20];
        new Random(7).nextBytes(data);
        Message snap = snapshotMessage(1, 2, data);

        a.send(List.of(snap));

        Message got = rb.received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(got, "snapshot arrived");
        assertEquals(MessageType.MsgSnap, got.getType());
        assertEquals(snap.getSnapshot().getMetadata(), got.getSnapshot().getMetadata());
        assertEquals(data.length, got.getSnapshot().getData().size());
        assertArrayEquals(sha256(data), sha256(got.getSnapshot().getData().toByteArray()));
        RecordingRaft.SnapshotReport report = ra.snapshotReports.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(new RecordingRaft.SnapshotReport(2, SnapshotStatus.SnapshotFinish), report);
    }

    @Test
    void snapshotDroppedByTheReceivingNodeIsReportedFailedThenRetried() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        Transport a = node(1, ra);
        Transport b = node(2, rb);
        TestSupport.connectAll(List.of(a, b), List.of(1L, 2L));
        rb.dropNextProcess.set(1);

        a.send(List.of(snapshotMessage(1, 2, new byte[4096])));

        assertEquals(
                new RecordingRaft.SnapshotReport(2, SnapshotStatus.SnapshotFailure),
                ra.snapshotReports.poll(WAIT.toSeconds(), TimeUnit.SECONDS));
        assertNull(rb.received.poll(200, TimeUnit.MILLISECONDS), "the dropped snapshot was not delivered");
        // What raft does after a failed report: it sends the snapshot again, and this time it is taken.
        a.send(List.of(snapshotMessage(1, 2, new byte[4096])));
        assertEquals(
                MessageType.MsgSnap,
                rb.received.poll(WAIT.toSeconds(), TimeUnit.SECONDS).getType());
        assertEquals(
                new RecordingRaft.SnapshotReport(2, SnapshotStatus.SnapshotFinish),
                ra.snapshotReports.poll(WAIT.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void pipelineMessageDroppedByTheReceivingNodeReportsThePeerUnreachable() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        Transport a = node(1, ra);
        Transport b = node(2, rb);
        // b does not know a, so a's messages go through the pipeline, answered one by one.
        a.addPeer(2, List.of(b.listenUri().toString()));
        rb.dropNextProcess.set(1);

        a.send(List.of(TestSupport.heartbeat(1, 2, 1)));

        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!ra.unreachable.contains(2L) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(ra.unreachable.contains(2L), "the sender heard the message was not taken");
        assertTrue(rb.received.isEmpty());
    }

    @Test
    void snapshotToUnreachablePeerReportsFailure() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        Transport a = node(1, ra);
        a.addPeer(3, List.of("http://127.0.0.1:" + TestSupport.deadPort()));

        a.send(List.of(snapshotMessage(1, 3, new byte[1024])));

        RecordingRaft.SnapshotReport report = ra.snapshotReports.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(new RecordingRaft.SnapshotReport(3, SnapshotStatus.SnapshotFailure), report);
        assertTrue(ra.unreachable.contains(3L));
        assertTrue(a.activeSince(3).isEmpty());
    }

    @Test
    void fullBuffersDropAndReportUnreachableAndSnapshotFailure() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        // A peer that accepts connections but never answers keeps every pipeline sender busy.
        try (ServerSocket silent = new ServerSocket(0)) {
            Transport a = TestSupport.start(TransportConfig.of(1, TestSupport.CLUSTER, TestSupport.ANY_PORT, ra)
                    .withTimeouts(TestSupport.FAST)
                    .withLimits(TransportLimits.defaults().withPipelineBufferSize(2)));
            transports.add(a);
            a.addPeer(2, List.of("http://127.0.0.1:" + silent.getLocalPort()));
            List<Message> burst = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                burst.add(TestSupport.heartbeat(1, 2, i));
            }
            a.send(burst);
            assertTrue(ra.unreachable.contains(2L), "a dropped message reports the peer unreachable");

            // One snapshot in flight (the peer never answers), one waiting: the third is refused at once.
            byte[] data = new byte[1024];
            a.send(List.of(snapshotMessage(1, 2, data), snapshotMessage(1, 2, data), snapshotMessage(1, 2, data)));
            assertEquals(
                    new RecordingRaft.SnapshotReport(2, SnapshotStatus.SnapshotFailure),
                    ra.snapshotReports.poll(1, TimeUnit.SECONDS));
        }
    }

    @Test
    void messagesToRemovedPeerAreDropped() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        Transport a = node(1, ra);
        Transport b = node(2, rb);
        TestSupport.connectAll(List.of(a, b), List.of(1L, 2L));
        TestSupport.awaitStreams(a, 2);

        a.removePeer(2);
        assertNull(a.peer(2));
        assertTrue(a.activeSince(2).isEmpty());
        a.send(List.of(TestSupport.heartbeat(1, 2, 1))); // dropped

        a.addPeer(2, List.of(b.listenUri().toString()));
        TestSupport.awaitStreams(a, 2);
        a.send(List.of(TestSupport.heartbeat(1, 2, 2)));
        Message got = TestSupport.drain(rb, 1, WAIT).get(0);
        assertEquals(2, got.getCommit(), "the message sent while removed never arrives");
        assertTrue(rb.received.isEmpty());
    }

    @Test
    void removedMemberLearnsItWasRemoved() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        rb.removed.add(1L);
        Transport a = node(1, ra);
        Transport b = node(2, rb);
        a.addPeer(2, List.of(b.listenUri().toString()));

        TransportError error = a.pollError(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertNotNull(error);
        assertEquals(TransportError.Kind.MEMBER_REMOVED, error.kind());
        assertEquals(2, error.peerId());
    }

    @Test
    void handlerOnlyModeServesFromTheApplicationsServer() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        Transport a = node(1, ra);
        Transport b = TestSupport.start(
                TransportConfig.of(2, TestSupport.CLUSTER, null, rb).withTimeouts(TestSupport.FAST));
        transports.add(b);
        Server appServer = new Server();
        ServerConnector connector = new ServerConnector(appServer);
        connector.setHost("127.0.0.1");
        appServer.addConnector(connector);
        appServer.setHandler(b.handler());
        appServer.start();
        try {
            String bUrl = "http://127.0.0.1:" + connector.getLocalPort();
            a.addPeer(2, List.of(bUrl));
            b.addPeer(1, List.of(a.listenUri().toString()));
            TestSupport.awaitStreams(a, 2);
            a.send(List.of(TestSupport.heartbeat(1, 2, 5)));
            assertEquals(5, TestSupport.drain(rb, 1, WAIT).get(0).getCommit());
            b.send(List.of(TestSupport.heartbeat(2, 1, 6)));
            assertEquals(6, TestSupport.drain(ra, 1, WAIT).get(0).getCommit());
        } finally {
            b.stop();
            appServer.stop();
        }
    }

    @Test
    void stopClosesEveryThreadAndReleasesThePort() throws Exception {
        Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        Transport a = TestSupport.start(0xa1, ra);
        Transport b = TestSupport.start(0xb2, rb);
        TestSupport.connectAll(List.of(a, b), List.of(0xa1L, 0xb2L));
        TestSupport.awaitStreams(a, 0xb2);
        TestSupport.awaitStreams(b, 0xa1);
        a.send(List.of(TestSupport.heartbeat(0xa1, 0xb2, 1)));
        TestSupport.drain(rb, 1, WAIT);
        int port = a.listenUri().getPort();
        assertFalse(TestSupport.threadsNamed("raft-transport-a1-").isEmpty());

        a.stop();
        b.stop();

        TestSupport.await(
                () -> TestSupport.threadsNamed("raft-transport-a1-").isEmpty()
                        && TestSupport.threadsNamed("raft-transport-b2-").isEmpty(),
                WAIT,
                "all transport threads gone");
        TestSupport.await(
                () -> {
                    Set<Thread> extra = new HashSet<>(Thread.getAllStackTraces().keySet());
                    extra.removeAll(before);
                    // JVM-wide helpers (common pool, attach listener...) may start at any time; they are not ours.
                    extra.removeIf(t -> !t.isAlive()
                            || t.getName().startsWith("ForkJoinPool.commonPool")
                            || t.getThreadGroup() == null
                            || "system".equals(t.getThreadGroup().getName())
                            || "InnocuousThreadGroup".equals(t.getThreadGroup().getName()));
                    if (!extra.isEmpty()) {
                        System.out.println("threads left: " + extra);
                    }
                    return extra.isEmpty();
                },
                WAIT,
                "no thread of any name outlives stop()");
        try (ServerSocket again = new ServerSocket()) {
            again.setReuseAddress(true);
            again.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        }
    }

    @Test
    void listenerThatCannotBindFailsStartAndQueuesAnError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Transport t = new Transport(TransportConfig.of(
                    9,
                    TestSupport.CLUSTER,
                    URI.create("http://127.0.0.1:" + taken.getLocalPort()),
                    new RecordingRaft()));
            transports.add(t);
            org.junit.jupiter.api.Assertions.assertThrows(TransportException.class, t::start);
            TransportError error = t.pollError(1, TimeUnit.SECONDS);
            assertNotNull(error);
            assertEquals(TransportError.Kind.LISTENER_FAILED, error.kind());
            assertNull(t.pollError(0, TimeUnit.SECONDS), "reported once");
        }
        TestSupport.await(
                () -> TestSupport.threadsNamed("raft-transport-9-").isEmpty(),
                WAIT,
                "a failed start leaves no threads");
    }

    @Test
    void peerIsReachedThroughItsSecondUrlAndAfterUpdatePeer() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        RecordingRaft rc = new RecordingRaft();
        Transport a = node(1, ra);
        Transport b = node(2, rb);
        Transport c = node(3, rc);
        String dead = "http://127.0.0.1:" + TestSupport.deadPort();
        b.addPeer(1, List.of(a.listenUri().toString()));
        c.addPeer(1, List.of(a.listenUri().toString()));
        // b: the first URL is dead, the second works; c: only a dead URL until updatePeer.
        a.addPeer(2, List.of(dead, b.listenUri().toString()));
        a.addPeer(3, List.of(dead));
        TestSupport.awaitStreams(b, 1);
        TestSupport.await(
                () -> a.activeSince(2).isPresent() && a.peer(2).streamsWorking(),
                WAIT,
                "a reaches b through its second URL");
        a.send(List.of(TestSupport.heartbeat(1, 2, 1)));
        assertEquals(1, TestSupport.drain(rb, 1, WAIT).get(0).getCommit());

        a.updatePeer(3, List.of(c.listenUri().toString()));
        TestSupport.awaitStreams(c, 1);
        c.send(List.of(TestSupport.heartbeat(3, 1, 3)));
        assertEquals(3, TestSupport.drain(ra, 1, WAIT).get(0).getCommit(), "c's message reached a");
        TestSupport.await(() -> a.activeSince(3).isPresent(), WAIT, "a's readers reach c after the update");
    }

    static Message snapshotMessage(long from, long to, byte[] data) {
        Snapshot snapshot = Snapshot.newBuilder()
                .setData(ByteString.copyFrom(data))
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setIndex(100)
                        .setTerm(3)
                        .setConfState(ConfState.newBuilder().addVoters(1).addVoters(2)))
                .build();
        return Message.newBuilder()
                .setType(MessageType.MsgSnap)
                .setFrom(from)
                .setTo(to)
                .setTerm(3)
                .setSnapshot(snapshot)
                .build();
    }

    static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }
}
