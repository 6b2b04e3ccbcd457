package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.Message;

/** The traffic listener hears every delivered byte, every loss and the probes' round trips. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PeerTrafficTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private final List<Transport> transports = new ArrayList<>();

    /** Sums per peer, as a metrics registry would keep them. */
    static final class Counting implements PeerTrafficListener {
        final Map<Long, AtomicLong> sent = new ConcurrentHashMap<>();
        final Map<Long, AtomicLong> received = new ConcurrentHashMap<>();
        final Map<Long, AtomicLong> failures = new ConcurrentHashMap<>();
        final Map<Long, AtomicLong> roundTrips = new ConcurrentHashMap<>();

        private static long get(Map<Long, AtomicLong> m, long id) {
            AtomicLong v = m.get(id);
            return v == null ? 0 : v.get();
        }

        @Override
        public void sent(long to, long bytes) {
            sent.computeIfAbsent(to, k -> new AtomicLong()).addAndGet(bytes);
        }

        @Override
        public void received(long from, long bytes) {
            received.computeIfAbsent(from, k -> new AtomicLong()).addAndGet(bytes);
        }

        @Override
        public void sendFailed(long to) {
            failures.computeIfAbsent(to, k -> new AtomicLong()).incrementAndGet();
        }

        @Override
        public void roundTrip(long to, long nanos) {
            assertTrue(nanos > 0);
            roundTrips.computeIfAbsent(to, k -> new AtomicLong()).incrementAndGet();
        }
    }

    @AfterEach
    void stopAll() {
        transports.forEach(Transport::stop);
    }

    private Transport node(long id, RecordingRaft raft, Counting traffic) {
        Transport t = TestSupport.start(TransportConfig.of(id, TestSupport.CLUSTER, TestSupport.ANY_PORT, raft)
                .withTimeouts(TestSupport.FAST)
                .withTraffic(traffic));
        transports.add(t);
        return t;
    }

    @Test
    void bytesSentOverPipelineAndStreamsAreCountedOnBothSidesAndProbesMeasureRoundTrips() throws Exception {
        Counting ta = new Counting();
        Counting tb = new Counting();
        RecordingRaft rb = new RecordingRaft();
        Transport a = node(1, new RecordingRaft(), ta);
        Transport b = node(2, rb, tb);
        // Pipeline only: b knows a (receivers refuse non-members) at a URL where nothing listens, so it
        // cannot open a's streams yet.
        b.addPeer(1, List.of("http://127.0.0.1:1"));
        a.addPeer(2, List.of(b.listenUri().toString()));
        Message first = TestSupport.app(1, 2, 1, 3, 100);
        a.send(List.of(first));
        TestSupport.drain(rb, 1, WAIT);
        TestSupport.await(() -> Counting.get(ta.sent, 2) == first.getSerializedSize(), WAIT, "pipeline bytes counted");
        assertEquals(first.getSerializedSize(), Counting.get(tb.received, 1));

        b.updatePeer(1, List.of(a.listenUri().toString()));
        TestSupport.awaitStreams(a, 2);
        Message second = TestSupport.app(1, 2, 4, 5, 200);
        a.send(List.of(second));
        TestSupport.drain(rb, 1, WAIT);
        long total = (long) first.getSerializedSize() + second.getSerializedSize();
        TestSupport.await(() -> Counting.get(tb.received, 1) == total, WAIT, "stream bytes counted by the reader");
        assertEquals(total, Counting.get(ta.sent, 2));
        assertEquals(0, Counting.get(ta.failures, 2));

        TestSupport.await(
                () -> Counting.get(ta.roundTrips, 2) > 0 && Counting.get(tb.roundTrips, 1) > 0,
                WAIT,
                "a round trip measured each way");
    }

    @Test
    void lostMessagesToAnUnreachablePeerAreCountedAsFailures() throws Exception {
        Counting ta = new Counting();
        int deadPort;
        try (ServerSocket s = new ServerSocket(0)) {
            deadPort = s.getLocalPort();
        }
        Transport a = node(1, new RecordingRaft(), ta);
        a.addPeer(2, List.of("http://127.0.0.1:" + deadPort));
        a.send(List.of(TestSupport.heartbeat(1, 2, 1), TestSupport.heartbeat(1, 2, 2)));
        TestSupport.await(() -> Counting.get(ta.failures, 2) == 2, WAIT, "both failures counted");
        assertEquals(0, Counting.get(ta.sent, 2));
        assertFalse(ta.roundTrips.containsKey(2L));
    }

    @Test
    void repeatedDeliveryFailuresAreLoggedOnceThenOncePerInterval() throws Exception {
        PeerStatus status = new PeerStatus(1, 2, Duration.ofMillis(300));
        assertTrue(status.warnThrottled("cannot send"), "the first failure is said");
        for (int i = 0; i < 50; i++) {
            assertFalse(status.warnThrottled("cannot send"), "repeats within the interval are not");
        }
        Thread.sleep(350);
        assertTrue(status.warnThrottled("cannot send"), "said again once the interval has passed");
        status.activate();
        assertTrue(status.warnThrottled("cannot send"), "a new outage after contact is said at once");
        status.activate();
        status.deactivate("stream broke");
        assertFalse(status.warnThrottled("cannot send"), "going inactive was the warning of this outage");
    }
}
