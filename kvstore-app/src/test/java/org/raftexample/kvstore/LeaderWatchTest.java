package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.SoftState;
import org.raftexample.raft.StateType;
import org.raftexample.raftpb.HardState;

@Timeout(30)
class LeaderWatchTest {
    private static final Duration ELECTION = Duration.ofMillis(200);

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final AtomicInteger changes = new AtomicInteger();
    private final List<String> failed = new CopyOnWriteArrayList<>();
    private final LeaderWatch watch = new LeaderWatch(ELECTION, timer, changes::incrementAndGet, failed::add, now::get);

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    private static HardState term(long t) {
        return HardState.newBuilder().setTerm(t).build();
    }

    @Test
    void countsEveryNewLeaderButNotTheLossOfOne() {
        watch.stateChanged(new SoftState(2, StateType.StateFollower), term(1));
        watch.stateChanged(null, term(1).toBuilder().setCommit(5).build());
        watch.stateChanged(new SoftState(0, StateType.StatePreCandidate), null);
        watch.stateChanged(new SoftState(3, StateType.StateFollower), term(2));
        watch.stateChanged(new SoftState(3, StateType.StateFollower), null);
        assertEquals(2, changes.get());
        assertEquals(3, watch.lead());
    }

    @Test
    void newRequestsAreRefusedOnlyOnceLeaderlessForTwoElectionTimeouts() {
        watch.stateChanged(new SoftState(2, StateType.StateFollower), term(1));
        assertEquals(Optional.empty(), watch.refuseNow());
        watch.stateChanged(new SoftState(0, StateType.StatePreCandidate), null);
        assertEquals(Optional.empty(), watch.refuseNow(), "an election may be about to end");
        now.addAndGet(ELECTION.toNanos());
        assertEquals(Optional.empty(), watch.refuseNow(), "raft's randomized timeout may still be running");
        now.addAndGet(ELECTION.toNanos());
        assertEquals(Optional.of(LeaderWatch.NO_LEADER), watch.refuseNow());
        assertTrue(watch.whyTimedOut().startsWith("no leader known"));
        watch.stateChanged(new SoftState(2, StateType.StateFollower), null);
        assertEquals(Optional.empty(), watch.refuseNow());
        assertTrue(watch.whyTimedOut().startsWith("timed out waiting for commit"), watch.whyTimedOut());
    }

    @Test
    void aLeaderSteppingDownInItsOwnTermFailsWhatIsInFlightAndRefusesNewRequestsAtOnce() {
        watch.stateChanged(new SoftState(1, StateType.StateLeader), term(4));
        watch.stateChanged(new SoftState(0, StateType.StateFollower), null);
        assertEquals(LeaderWatch.LOST_QUORUM, failed.get(failed.size() - 1));
        assertEquals(Optional.of(LeaderWatch.LOST_QUORUM), watch.refuseNow(), "no need to wait: no quorum");
        watch.stateChanged(new SoftState(0, StateType.StatePreCandidate), null);
        assertEquals(Optional.of(LeaderWatch.LOST_QUORUM), watch.refuseNow(), "campaigning changes nothing");
        watch.stateChanged(new SoftState(2, StateType.StateFollower), term(5));
        assertEquals(Optional.empty(), watch.refuseNow(), "back in contact with a leader");
    }

    @Test
    void aLeaderChangeFailsWhatIsInFlightAsOfUnknownOutcomeButNotAsLostQuorum() throws Exception {
        watch.stateChanged(new SoftState(1, StateType.StateLeader), term(4));
        watch.stateChanged(new SoftState(0, StateType.StateFollower), term(5));
        assertEquals(List.of(LeaderWatch.LEADER_CHANGED), failed);
        watch.stateChanged(new SoftState(2, StateType.StateFollower), null);
        Thread.sleep(ELECTION.toMillis() * 3);
        assertEquals(List.of(LeaderWatch.LEADER_CHANGED), failed, "a leader appeared before the deadline");
    }

    @Test
    void aNodeThatNeverSawALeaderLetsRequestsWaitForTheFirst() {
        now.addAndGet(ELECTION.toNanos() * 10);
        assertEquals(Optional.empty(), watch.refuseNow());
        assertEquals(LeaderWatch.NO_LEADER_YET, watch.whyTimedOut());
    }

    @Test
    void learningTheFirstLeaderFailsNothing() {
        watch.stateChanged(new SoftState(3, StateType.StateFollower), term(1));
        assertEquals(List.of(), failed);
    }

    @Test
    void requestsInFlightFailOnceLeaderlessForTwoElectionTimeouts() throws Exception {
        watch.stateChanged(new SoftState(2, StateType.StateFollower), term(1));
        watch.stateChanged(new SoftState(0, StateType.StateCandidate), term(2));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (failed.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(List.of(LeaderWatch.LEADER_CHANGED, LeaderWatch.NO_LEADER), failed);
        assertFalse(watch.refuseNow().isPresent(), "the fake clock has not moved");
    }
}
