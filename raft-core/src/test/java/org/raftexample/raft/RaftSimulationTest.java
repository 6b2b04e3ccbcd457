package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the seeded fault simulation over many seeds; each seed is its own test and replays alone.
 *
 * <p>A seed fixes everything: the cluster size (3, 5 or 7 voters), whether PreVote and
 * CheckQuorum are on, whether storage writes are asynchronous, and every random choice after.
 * Replay one with {@code mvn -pl raft-core -am test -Dtest=RaftSimulationTest -Draft.sim.seed=N};
 * run more with {@code -Draft.sim.seeds=COUNT} (default 1000) and start elsewhere with
 * {@code -Draft.sim.firstSeed=N}.
 */
class RaftSimulationTest {
    static final int DEFAULT_SEEDS = 1000;

    static Simulation.Params paramsFor(long seed) {
        int[] sizes = {3, 5, 7};
        int voters = sizes[(int) (seed % 3)];
        boolean preVote = (seed / 3) % 2 == 1;
        boolean async = (seed / 6) % 2 == 1;
        return new Simulation.Params(seed, voters, preVote, async, 400, 300);
    }

    static LongStream seeds() {
        String one = System.getProperty("raft.sim.seed");
        if (one != null && !one.isBlank()) {
            return LongStream.of(Long.parseLong(one.trim()));
        }
        long first = Long.getLong("raft.sim.firstSeed", 0);
        long count = Long.getLong("raft.sim.seeds", DEFAULT_SEEDS);
        return LongStream.range(first, first + count);
    }

    @TestFactory
    @Timeout(240)
    Stream<DynamicTest> safetyHoldsUnderFaultsAndLivenessAfter() {
        return seeds().mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> runSeed(seed)));
    }

    private static void runSeed(long seed) {
        Simulation.Params p = paramsFor(seed);
        Simulation.Stats stats;
        try {
            stats = new Simulation(p).run();
        } catch (Throwable t) {
            throw new AssertionError(
                    "simulation failed: " + p + "\n  replay: mvn -B -pl raft-core -am test"
                            + " -Dtest=RaftSimulationTest -Dsurefire.failIfNoSpecifiedTests=false -Draft.sim.seed="
                            + seed,
                    t);
        }
        // A run that never elected, proposed or applied anything would prove nothing.
        assertTrue(stats.elections > 0, "no leader was ever elected: " + p);
        assertTrue(stats.appliedIndex > 10, "almost nothing was applied (" + stats.appliedIndex + "): " + p);
        TOTALS.add(stats);
    }

    private static final Simulation.Stats TOTALS = new Simulation.Stats();

    @AfterAll
    static void printTotals() {
        System.out.println("raft simulation totals: " + TOTALS);
    }

    /**
     * The checks are only worth something if they fail on a broken system: when one entry's
     * payload changes on its way to a follower, the log-matching check must say so.
     */
    @Test
    @Timeout(120)
    void checksCatchAnEntryCorruptedInTransit() {
        int caught = 0;
        for (long seed = 0; seed < 20; seed++) {
            Simulation.Params p = new Simulation.Params(seed, 3, false, false, 400, 300, true);
            try {
                new Simulation(p).run();
            } catch (Simulation.SafetyViolation e) {
                caught++;
            }
        }
        assertTrue(caught > 0, caught + " of 20 seeds detected the corrupted entry");
    }
}
