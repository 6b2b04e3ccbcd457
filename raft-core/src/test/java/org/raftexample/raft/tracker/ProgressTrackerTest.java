package org.raftexample.raft.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.raftexample.raft.quorum.Index;
import org.raftexample.raft.quorum.VoteResult;
import org.raftexample.raftpb.ConfState;

/** ProgressTracker and TrackerConfig (etcd has no tracker_test.go; these cover what raft relies on). */
class ProgressTrackerTest {

    private static ProgressTracker tracker(long[] voters, long[] outgoing, long[] learners) {
        ProgressTracker t = new ProgressTracker(4, 0);
        for (long id : voters) {
            t.config().voters().incoming().add(id);
        }
        for (long id : outgoing) {
            t.config().voters().outgoing().add(id);
        }
        for (long id : learners) {
            t.config().learners().add(id);
        }
        for (long id : t.config().voters().ids()) {
            t.progress().put(id, progress(false));
        }
        for (long id : learners) {
            t.progress().put(id, progress(true));
        }
        return t;
    }

    private static Progress progress(boolean learner) {
        Progress p = new Progress();
        p.setNext(1);
        p.setInflights(new Inflights(4, 0));
        p.setIsLearner(learner);
        return p;
    }

    @Test
    void committedIsWhatBothHalvesHaveByQuorum() {
        ProgressTracker t = tracker(new long[] {1, 2, 3}, new long[] {3, 4, 5}, new long[] {6});
        long[][] matches = {{1, 10}, {2, 8}, {3, 7}, {4, 5}, {5, 2}, {6, 100}};
        for (long[] m : matches) {
            t.progress().get(m[0]).setMatch(m[1]);
        }
        // Incoming (1 2 3) has 8 by quorum, outgoing (3 4 5) has 5; the learner does not count.
        assertEquals(5, t.committed());
        assertEquals(Index.MAX, new ProgressTracker(1, 0).committed());
    }

    @Test
    void visitGoesInIdOrder() {
        ProgressTracker t = tracker(new long[] {30, 2, 11, 7, 1, 9, 5, 3, 8}, new long[] {}, new long[] {4});
        List<Long> seen = new ArrayList<>();
        t.visit((id, pr) -> seen.add(id));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 7L, 8L, 9L, 11L, 30L), seen);
    }

    @Test
    void votesCountOnceAndOnlyForTrackedVoters() {
        ProgressTracker t = tracker(new long[] {1, 2, 3}, new long[] {}, new long[] {4});
        t.recordVote(1, true);
        t.recordVote(1, false); // a second vote from the same peer is ignored
        t.recordVote(4, true); // learners' votes are not counted
        t.recordVote(9, false); // nor those of untracked peers
        assertEquals(new ProgressTracker.TallyResult(1, 0, VoteResult.VotePending), t.tallyVotes());
        t.recordVote(2, true);
        assertEquals(new ProgressTracker.TallyResult(2, 0, VoteResult.VoteWon), t.tallyVotes());
        t.resetVotes();
        assertEquals(new ProgressTracker.TallyResult(0, 0, VoteResult.VotePending), t.tallyVotes());
    }

    @Test
    void quorumActiveNeedsRecentlyActiveVotersInBothHalves() {
        ProgressTracker t = tracker(new long[] {1, 2, 3}, new long[] {3, 4, 5}, new long[] {6});
        t.progress().get(6L).setRecentActive(true);
        t.progress().get(1L).setRecentActive(true);
        t.progress().get(3L).setRecentActive(true);
        assertFalse(t.quorumActive());
        t.progress().get(4L).setRecentActive(true);
        assertTrue(t.quorumActive());
    }

    @Test
    void confStateListsSortedMembersAndAlwaysSetsAutoLeave() {
        ProgressTracker t = tracker(new long[] {3, 1, 2}, new long[] {2, 5}, new long[] {9, 6});
        t.config().learnersNext().add(5L);
        t.config().setAutoLeave(true);
        assertEquals(
                ConfState.newBuilder()
                        .addAllVoters(List.of(1L, 2L, 3L))
                        .addAllVotersOutgoing(List.of(2L, 5L))
                        .addAllLearners(List.of(6L, 9L))
                        .addLearnersNext(5)
                        .setAutoLeave(true)
                        .build(),
                t.confState());
        assertTrue(new ProgressTracker(1, 0).confState().hasAutoLeave());
        assertEquals(List.of(1L, 2L, 3L, 5L), t.voterNodes());
        assertEquals(List.of(6L, 9L), t.learnerNodes());
        assertFalse(t.isSingleton());
        assertTrue(tracker(new long[] {1}, new long[] {}, new long[] {2}).isSingleton());
    }

    @Test
    void configPrintsAsEtcdAndClonesDeeplyWithoutAutoLeave() {
        ProgressTracker t = tracker(new long[] {1, 2, 10}, new long[] {1, 3}, new long[] {4});
        TrackerConfig cfg = t.config();
        cfg.learnersNext().add(3L);
        cfg.setAutoLeave(true);
        assertEquals("voters=(1 2 a)&&(1 3) learners=(4) learners_next=(3) autoleave", cfg.toString());
        assertEquals("voters=()", new TrackerConfig().toString());

        TrackerConfig c = cfg.clone();
        assertFalse(c.autoLeave());
        c.voters().incoming().add(7L);
        c.voters().outgoing().clear();
        c.learners().clear();
        c.learnersNext().clear();
        assertEquals("voters=(1 2 a)&&(1 3) learners=(4) learners_next=(3) autoleave", cfg.toString());
        assertEquals(Set.of(1L, 2L, 10L, 7L), c.voters().incoming());
    }

    @Test
    void progressMapPrintsOnePeerPerLineInIdOrder() {
        ProgressMap m = new ProgressMap();
        Progress p = progress(false);
        p.setRecentActive(true);
        m.put(12L, p);
        m.put(3L, progress(true));
        assertEquals("3: StateProbe match=0 next=1 learner inactive\n12: StateProbe match=0 next=1\n", m.toString());
    }
}
