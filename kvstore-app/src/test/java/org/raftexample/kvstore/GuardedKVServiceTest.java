package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftexample.raft.ProposalDroppedException;
import org.raftexample.raft.SoftState;
import org.raftexample.raft.StateType;
import org.raftexample.raftpb.HardState;

class GuardedKVServiceTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong now = new AtomicLong();
    private final FakeNodeView view = new FakeNodeView().follower(2);
    private final HttpKVApiTest.FakeService inner = new HttpKVApiTest.FakeService();
    private final ServerMetrics metrics = new ServerMetrics(view, () -> 0, "test");
    private final LeaderWatch watch = new LeaderWatch(Duration.ofSeconds(1), timer, () -> {}, r -> {}, now::get);
    private final GuardedKVService service = new GuardedKVService(inner, view, watch, metrics);

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    private static Throwable failure(CompletableFuture<Void> f) {
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        return e.getCause();
    }

    @Test
    void addingAMemberOrItsUrlTwiceAndRemovingANonMemberAreRefusedWithoutAProposal() {
        RequestRefused dup =
                assertInstanceOf(RequestRefused.class, failure(service.addNode(2, URI.create("http://127.0.0.1:9"))));
        assertEquals(409, dup.status());
        assertEquals("node 2 is already a member", dup.getMessage());
        RequestRefused url = assertInstanceOf(
                RequestRefused.class, failure(service.addNode(4, URI.create("http://127.0.0.1:32379"))));
        assertEquals(409, url.status());
        RequestRefused missing = assertInstanceOf(RequestRefused.class, failure(service.removeNode(7)));
        assertEquals(404, missing.status());
        assertEquals("node 7 is not a member", missing.getMessage());
        assertEquals(List.of(), inner.calls);

        service.addNode(4, URI.create("http://127.0.0.1:42379")).join();
        service.removeNode(3).join();
        assertEquals(List.of("add 4 http://127.0.0.1:42379", "remove 3"), inner.calls);
    }

    @Test
    void aStoreAtItsQuotaRefusesWritesWith507WithoutProposingAndStillServesReadsAndMembership() {
        byte[] v = "v".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        view.quotaBytes = 1000;
        view.storeBytes = 999;
        service.put("/below", v).join();

        view.storeBytes = 1000;
        RequestRefused full = assertInstanceOf(RequestRefused.class, failure(service.put("/at", v)));
        assertEquals(507, full.status());
        assertTrue(full.getMessage().contains("holds 1000 bytes and its quota is 1000"), full.getMessage());
        view.storeBytes = 5000;
        assertInstanceOf(RequestRefused.class, failure(service.put("/above", v)));
        service.readBarrier().join();
        service.removeNode(3).join();
        assertEquals(List.of("put /below", "readBarrier", "remove 3"), inner.calls);
        assertEquals(0, service.pendingWrites());

        view.quotaBytes = 0; // no quota: any size is accepted
        service.put("/unbounded", v).join();
        view.quotaBytes = 1000;
        view.storeBytes = 10; // back below (a restore from a smaller snapshot): accepted again
        service.put("/again", v).join();
        assertEquals(List.of("put /below", "readBarrier", "remove 3", "put /unbounded", "put /again"), inner.calls);
    }

    @Test
    void aNodeLongWithoutALeaderRefusesAtOnceAndSaysWhy() {
        watch.stateChanged(
                new SoftState(2, StateType.StateFollower),
                HardState.newBuilder().setTerm(1).build());
        watch.stateChanged(new SoftState(0, StateType.StatePreCandidate), null);
        now.addAndGet(Duration.ofSeconds(2).toNanos());
        ServiceUnavailable e = assertInstanceOf(
                ServiceUnavailable.class,
                failure(service.put("/k", "v".getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        assertEquals(LeaderWatch.NO_LEADER, e.getMessage());
        assertInstanceOf(ServiceUnavailable.class, failure(service.readBarrier()));
        assertEquals(List.of(), inner.calls);
    }

    @Test
    void requestsInFlightFailWhenTheNodeLearnsTheyCannotCommitAndCountAsFailedProposals() {
        inner.hang = true;
        CompletableFuture<Void> put = service.put("/k", "v".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        CompletableFuture<Void> read = service.readBarrier();
        assertEquals(1, service.pendingWrites());
        service.failInFlight(LeaderWatch.LOST_QUORUM);
        assertEquals(LeaderWatch.LOST_QUORUM, failure(put).getMessage());
        assertEquals(LeaderWatch.LOST_QUORUM, failure(read).getMessage());
        assertEquals(0, service.pendingWrites());
        assertTrue(inner.hanging.stream().allMatch(CompletableFuture::isCancelled), "withdrawn from raft");
    }

    @Test
    void aProposalDroppedByRaftIsExplained() {
        watch.stateChanged(
                new SoftState(2, StateType.StateFollower),
                HardState.newBuilder().setTerm(1).build());
        inner.failure = new ProposalDroppedException();
        ServiceUnavailable e = assertInstanceOf(
                ServiceUnavailable.class,
                failure(service.put("/k", "v".getBytes(java.nio.charset.StandardCharsets.UTF_8))));
        assertTrue(e.getMessage().contains("dropped"), e.getMessage());
    }
}
