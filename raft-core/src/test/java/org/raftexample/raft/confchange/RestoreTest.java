package org.raftexample.raft.confchange;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.raftexample.raft.tracker.ProgressTracker;
import org.raftexample.raftpb.ConfChanges;
import org.raftexample.raftpb.ConfState;

/** Go: confchange/restore_test.go (the unit cases, then 1000 seeded random ConfStates). */
class RestoreTest {
    private static final long SEED = 0xc0f5_7a7eL;
    private static final int RANDOM_CASES = 1000;

    static Stream<ConfState> unitCases() {
        return Stream.of(
                        ConfState.newBuilder(),
                        ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L)),
                        ConfState.newBuilder().addAllVoters(List.of(1L, 2L, 3L)).addAllLearners(List.of(4L, 5L, 6L)),
                        ConfState.newBuilder()
                                .addAllVoters(List.of(1L, 2L, 3L))
                                .addLearners(5)
                                .addAllVotersOutgoing(List.of(1L, 2L, 4L, 6L))
                                .addLearnersNext(4))
                .map(b -> ConfChanges.ensureConfState(b.build()));
    }

    @ParameterizedTest
    @MethodSource("unitCases")
    void restoringAConfStateReproducesIt(ConfState cs) {
        assertRestores(cs);
    }

    @Test
    void restoringRandomConfStatesReproducesThem() {
        Random rnd = new Random(SEED);
        for (int i = 0; i < RANDOM_CASES; i++) {
            ConfState cs = randomConfState(rnd);
            try {
                assertRestores(cs);
            } catch (AssertionError e) {
                throw new AssertionError("case " + i + " (seed " + SEED + "): " + e.getMessage(), e);
            }
        }
    }

    @Test
    void restoreLeavesTheChangersTrackerAlone() {
        ProgressTracker tr = new ProgressTracker(20, 0);
        Changer chg = new Changer(tr, 10);
        Restore.restore(chg, ConfState.newBuilder().addVoters(1).addVoters(2).build());
        assertEquals("voters=()", tr.config().toString());
        assertEquals(0, tr.progress().size());
    }

    private static void assertRestores(ConfState cs) {
        Changer chg = new Changer(new ProgressTracker(20, 0), 10);
        ConfigAndProgress r = Restore.restore(chg, cs);
        chg.tracker().setConfig(r.config());
        chg.tracker().setProgress(r.progress());

        ConfState sorted = cs.toBuilder()
                .clearVoters()
                .addAllVoters(sorted(cs.getVotersList()))
                .clearLearners()
                .addAllLearners(sorted(cs.getLearnersList()))
                .clearVotersOutgoing()
                .addAllVotersOutgoing(sorted(cs.getVotersOutgoingList()))
                .clearLearnersNext()
                .addAllLearnersNext(sorted(cs.getLearnersNextList()))
                .build();
        ConfState cs2 = chg.tracker().confState();
        assertEquals(sorted, cs2);
        assertDoesNotThrow(() -> ConfChanges.checkEquivalent(sorted, cs2));
        assertDoesNotThrow(() -> ConfChanges.checkEquivalent(cs2, sorted));
    }

    private static List<Long> sorted(List<Long> ids) {
        List<Long> sl = new ArrayList<>(ids);
        Collections.sort(sl);
        return sl;
    }

    /**
     * A random valid, non-empty ConfState as the Go generator builds it: disjoint voters,
     * learners and removed voters; some incoming voters retained in the outgoing half; staged
     * learners drawn from the removed voters; auto-leave only when joint.
     */
    static ConfState randomConfState(Random rnd) {
        int nVoters = 1 + rnd.nextInt(5);
        int nLearners = rnd.nextInt(5);
        int nRemovedVoters = rnd.nextInt(3);

        List<Long> ids = new ArrayList<>();
        for (long id = 1; id <= 2L * (nVoters + nLearners + nRemovedVoters); id++) {
            ids.add(id);
        }
        Collections.shuffle(ids, rnd);

        ConfState.Builder cs = ConfState.newBuilder();
        List<Long> voters = ids.subList(0, nVoters);
        cs.addAllVoters(voters);
        List<Long> rest = ids.subList(nVoters, ids.size());
        cs.addAllLearners(rest.subList(0, nLearners));
        rest = rest.subList(nLearners, rest.size());

        int nOutgoingRetainedVoters = rnd.nextInt(nVoters + 1);
        if (nOutgoingRetainedVoters > 0 || nRemovedVoters > 0) {
            cs.addAllVotersOutgoing(voters.subList(0, nOutgoingRetainedVoters));
            cs.addAllVotersOutgoing(rest.subList(0, nRemovedVoters));
        }
        if (nRemovedVoters > 0) {
            int nLearnersNext = rnd.nextInt(nRemovedVoters + 1);
            cs.addAllLearnersNext(rest.subList(0, nLearnersNext));
        }
        cs.setAutoLeave(cs.getVotersOutgoingCount() > 0 && rnd.nextInt(2) == 1);
        return cs.build();
    }
}
