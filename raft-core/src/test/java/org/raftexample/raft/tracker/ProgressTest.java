package org.raftexample.raft.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.raftexample.raft.tracker.ProgressState.StateProbe;
import static org.raftexample.raft.tracker.ProgressState.StateReplicate;
import static org.raftexample.raft.tracker.ProgressState.StateSnapshot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Go: tracker/progress_test.go. */
class ProgressTest {

    private static Progress progress(ProgressState state, long match, long next, Inflights ins) {
        Progress p = new Progress();
        p.setState(state);
        p.setMatch(match);
        p.setNext(next);
        p.setInflights(ins);
        return p;
    }

    @Test
    void stringListsStateIndexesAndFlags() {
        Inflights ins = new Inflights(1, 0);
        ins.add(123, 1);
        Progress pr = progress(StateSnapshot, 1, 2, ins);
        pr.setPendingSnapshot(123);
        pr.setRecentActive(false);
        pr.setMsgAppFlowPaused(true);
        pr.setIsLearner(true);
        assertEquals(
                "StateSnapshot match=1 next=2 learner paused pendingSnap=123 inactive inflight=1[full]", pr.toString());
    }

    @ParameterizedTest(name = "{0} flowPaused={1} -> paused={2}")
    @CsvSource({
        "StateProbe, false, false",
        "StateProbe, true, true",
        "StateReplicate, false, false",
        "StateReplicate, true, true",
        "StateSnapshot, false, true",
        "StateSnapshot, true, true",
    })
    void isPausedInSnapshotOrWhenFlowIsPaused(ProgressState state, boolean flowPaused, boolean want) {
        Progress p = progress(state, 0, 0, new Inflights(256, 0));
        p.setMsgAppFlowPaused(flowPaused);
        assertEquals(want, p.isPaused());
    }

    @Test
    void maybeDecrToAndMaybeUpdateResumeTheFlow() {
        Progress p = new Progress();
        p.setNext(2);
        p.setMsgAppFlowPaused(true);
        p.maybeDecrTo(1, 1);
        assertFalse(p.msgAppFlowPaused());
        p.setMsgAppFlowPaused(true);
        p.maybeUpdate(2);
        assertFalse(p.msgAppFlowPaused());
    }

    @ParameterizedTest(name = "from {0} pendingSnapshot={1} -> next={2}")
    @CsvSource({
        "StateReplicate, 0, 2",
        "StateSnapshot, 10, 11", // snapshot finished: probe after it
        "StateSnapshot, 0, 2", // snapshot failed
    })
    void becomeProbeRestartsAfterMatchOrPendingSnapshot(ProgressState from, long pendingSnapshot, long wantNext) {
        Progress p = progress(from, 1, 5, new Inflights(256, 0));
        p.setPendingSnapshot(pendingSnapshot);
        p.becomeProbe();
        assertEquals(StateProbe, p.state());
        assertEquals(1, p.match());
        assertEquals(wantNext, p.next());
    }

    @Test
    void becomeReplicateSendsFromMatchPlusOne() {
        Progress p = progress(StateProbe, 1, 5, new Inflights(256, 0));
        p.becomeReplicate();
        assertEquals(StateReplicate, p.state());
        assertEquals(1, p.match());
        assertEquals(2, p.next());
    }

    @Test
    void becomeSnapshotRecordsThePendingSnapshot() {
        Progress p = progress(StateProbe, 1, 5, new Inflights(256, 0));
        p.becomeSnapshot(10);
        assertEquals(StateSnapshot, p.state());
        assertEquals(1, p.match());
        assertEquals(10, p.pendingSnapshot());
    }

    @ParameterizedTest(name = "update {0} -> match={1} next={2} ok={3}")
    @CsvSource({
        "2, 3, 5, false", // do not decrease match, next
        "3, 3, 5, false", // do not decrease next
        "4, 4, 5, true", // increase match, do not decrease next
        "5, 5, 6, true", // increase match, next
    })
    void maybeUpdateOnlyMovesForward(long update, long wantMatch, long wantNext, boolean wantOk) {
        Progress p = new Progress();
        p.setMatch(3);
        p.setNext(5);
        assertEquals(wantOk, p.maybeUpdate(update));
        assertEquals(wantMatch, p.match());
        assertEquals(wantNext, p.next());
    }

    @ParameterizedTest(name = "{0} match={1} next={2} rejected={3} hint={4} -> {5} next={6}")
    @CsvSource({
        "StateReplicate, 5, 10, 5, 5, false, 10", // rejected not above match: stale
        "StateReplicate, 5, 10, 4, 4, false, 10", // rejected not above match: stale
        "StateReplicate, 5, 10, 9, 9, true, 6", // rejected above match: back to match+1
        "StateProbe, 0, 0, 0, 0, false, 0", // next-1 != rejected: stale
        "StateProbe, 0, 10, 5, 5, false, 10", // next-1 != rejected: stale
        "StateProbe, 0, 10, 9, 9, true, 9", // next decremented by one
        "StateProbe, 0, 2, 1, 1, true, 1", // next decremented by one
        "StateProbe, 0, 1, 0, 0, true, 1", // next never below 1
        "StateProbe, 0, 10, 9, 2, true, 3", // down to min(rejected, hint+1)
        "StateProbe, 0, 10, 9, 0, true, 1", // hint 0: back to 1
    })
    void maybeDecrToIgnoresStaleRejectionsAndLowersNext(
            ProgressState state, long match, long next, long rejected, long hint, boolean want, long wantNext) {
        Progress p = new Progress();
        p.setState(state);
        p.setMatch(match);
        p.setNext(next);
        assertEquals(want, p.maybeDecrTo(rejected, hint));
        assertEquals(match, p.match());
        assertEquals(wantNext, p.next());
    }
}
