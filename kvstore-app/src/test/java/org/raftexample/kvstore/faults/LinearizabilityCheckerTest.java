package org.raftexample.kvstore.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Hand-made histories the checker must accept and must refuse, and random linearizable ones. */
class LinearizabilityCheckerTest {

    private static final Op.Outcome OK = Op.Outcome.OK;
    private static final Op.Outcome UNKNOWN = Op.Outcome.UNKNOWN;
    private static final Op.Outcome FAIL = Op.Outcome.FAIL;

    private static LinearizabilityChecker.Result check(Op... ops) {
        return new LinearizabilityChecker().check(List.of(ops));
    }

    private static void assertLinearizable(Op... ops) {
        LinearizabilityChecker.Result r = check(ops);
        assertTrue(r.linearizable(), r.describe());
    }

    private static void assertNotLinearizable(Op... ops) {
        LinearizabilityChecker.Result r = check(ops);
        assertFalse(r.linearizable(), "accepted a history that is not linearizable");
        assertEquals(1, r.violations().size());
    }

    @Test
    void sequentialWritesAndReadsOfTheLatestValuePass() {
        assertLinearizable(
                Op.get(1, "k", null, 0, 1),
                Op.put(1, "k", "a", 2, 3, OK),
                Op.get(2, "k", "a", 4, 5),
                Op.put(2, "k", "b", 6, 7, OK),
                Op.get(1, "k", "b", 8, 9));
    }

    @Test
    void aReadConcurrentWithAWriteMaySeeTheOldOrTheNewValue() {
        assertLinearizable(
                Op.put(1, "k", "a", 0, 1, OK),
                Op.put(1, "k", "b", 2, 10, OK),
                Op.get(2, "k", "a", 3, 4),
                Op.get(3, "k", "b", 5, 6),
                Op.get(2, "k", "b", 11, 12));
    }

    @Test
    void concurrentWritesMayTakeEffectInEitherOrder() {
        assertLinearizable(Op.put(1, "k", "a", 0, 10, OK), Op.put(2, "k", "b", 1, 9, OK), Op.get(3, "k", "a", 11, 12));
        assertLinearizable(Op.put(1, "k", "a", 0, 10, OK), Op.put(2, "k", "b", 1, 9, OK), Op.get(3, "k", "b", 11, 12));
    }

    @Test
    void aWriteWithAnUnknownOutcomeMayTakeEffectLateOrNever() {
        // Never observed: fine.
        assertLinearizable(
                Op.put(1, "k", "a", 0, 1, OK), Op.put(2, "k", "b", 2, 3, UNKNOWN), Op.get(3, "k", "a", 20, 21));
        // Observed long after its client gave up: fine too, it may have committed late.
        assertLinearizable(
                Op.put(1, "k", "a", 0, 1, OK),
                Op.put(2, "k", "b", 2, 3, UNKNOWN),
                Op.get(3, "k", "a", 20, 21),
                Op.get(3, "k", "b", 30, 31));
    }

    @Test
    void manyWritesOfUnknownOutcomeDoNotBlowUpTheSearch() {
        List<Op> ops = new ArrayList<>();
        ops.add(Op.put(0, "k", "a", 0, 1, OK));
        for (int i = 0; i < 300; i++) {
            ops.add(Op.put(1 + i % 5, "k", "u" + i, 2 + i, 3 + i, UNKNOWN));
            ops.add(Op.get(9, "k", i < 150 ? "a" : "u149", 2 + i, 3 + i));
        }
        LinearizabilityChecker.Result r = new LinearizabilityChecker(1_000_000).check(ops);
        assertTrue(r.linearizable(), r.describe());
        // One unknown write observed: it must have happened before the reads that saw it.
        ops.add(Op.get(9, "k", "a", 1000, 1001));
        assertFalse(new LinearizabilityChecker(1_000_000).check(ops).linearizable());
    }

    @Test
    void failedWritesAndSerializableReadsAreNotPartOfTheRegisterHistory() {
        assertLinearizable(
                Op.put(1, "k", "a", 0, 1, OK),
                Op.put(2, "k", "b", 2, 3, FAIL),
                new Op(3, Op.Kind.GET, "k", null, true, 1, 1, 4, 5, OK),
                Op.get(3, "k", "a", 6, 7));
    }

    @Test
    void keysAreIndependentRegisters() {
        assertLinearizable(
                Op.put(1, "x", "a", 0, 1, OK),
                Op.get(2, "y", null, 2, 3),
                Op.put(1, "y", "b", 4, 5, OK),
                Op.get(2, "x", "a", 6, 7));
    }

    @Test
    void aStaleReadAfterACompletedWriteFails() {
        assertNotLinearizable(Op.put(1, "k", "a", 0, 1, OK), Op.put(1, "k", "b", 2, 3, OK), Op.get(2, "k", "a", 4, 5));
    }

    @Test
    void readingAbsentAfterACompletedWriteFails() {
        assertNotLinearizable(Op.put(1, "k", "a", 0, 1, OK), Op.get(2, "k", null, 2, 3));
    }

    @Test
    void aReadOfAValueNeverWrittenFails() {
        assertNotLinearizable(Op.put(1, "k", "a", 0, 1, OK), Op.get(2, "k", "zzz", 2, 3));
    }

    @Test
    void aReadOfAFailedWriteFails() {
        assertNotLinearizable(Op.put(1, "k", "a", 0, 1, FAIL), Op.get(2, "k", "a", 2, 3));
    }

    @Test
    void aLostAcknowledgedWriteFails() {
        // b was acknowledged after a; a later read seeing a means b was lost.
        assertNotLinearizable(
                Op.put(1, "k", "a", 0, 1, OK),
                Op.put(2, "k", "b", 2, 3, OK),
                Op.get(3, "k", "b", 4, 5),
                Op.get(3, "k", "a", 6, 7));
    }

    @Test
    void readsThatGoBackInTimeDuringAWriteFail() {
        // b is being written throughout; once one read saw b, a read that starts later must too.
        assertNotLinearizable(
                Op.put(1, "k", "a", 0, 1, OK),
                Op.put(2, "k", "b", 2, 20, OK),
                Op.get(3, "k", "b", 3, 4),
                Op.get(4, "k", "a", 5, 6));
    }

    @Test
    void theViolationNamesTheKeyAndTheOperationThatCannotBePlaced() {
        LinearizabilityChecker.Result r = check(
                Op.put(1, "good", "x", 0, 1, OK),
                Op.put(1, "bad", "a", 0, 1, OK),
                Op.put(1, "bad", "b", 2, 3, OK),
                Op.get(2, "bad", "a", 4, 5));
        assertFalse(r.linearizable());
        assertTrue(r.violations().get(0).startsWith("key bad: not linearizable"), r.describe());
        assertTrue(r.violations().get(0).contains("GET bad a"), r.describe());
    }

    @Test
    void aSearchOverItsStepLimitIsReportedAsUndecidedNeverAsLinearizable() {
        List<Op> ops = randomLinearizableHistory(new Random(7), 200, 8);
        LinearizabilityChecker.Result r = new LinearizabilityChecker(10).check(ops);
        assertFalse(r.linearizable());
        assertTrue(r.describe().contains("gave up"), r.describe());
    }

    @Test
    void randomHistoriesOfARealRegisterPassAndACorruptedReadIsCaught() {
        for (int seed = 0; seed < 50; seed++) {
            Random rnd = new Random(seed);
            List<Op> ops = randomLinearizableHistory(rnd, 400, 6);
            LinearizabilityChecker.Result r = new LinearizabilityChecker().check(ops);
            assertTrue(r.linearizable(), "seed " + seed + ": " + r.describe());
            assertEquals(400, r.opsChecked());

            // Make one read return a value that was overwritten well before it began.
            List<Op> bad = new ArrayList<>(ops);
            for (int i = bad.size() - 1; i >= 0; i--) {
                Op read = bad.get(i);
                Op stale = staleValueFor(ops, read);
                if (stale != null) {
                    bad.set(
                            i,
                            Op.get(read.client(), read.key(), stale.value(), read.invokeNanos(), read.completeNanos()));
                    break;
                }
            }
            assertFalse(new LinearizabilityChecker().check(bad).linearizable(), "seed " + seed);
        }
    }

    /** A write of the read's key that a completed later write overwrote before the read began. */
    private static Op staleValueFor(List<Op> ops, Op read) {
        if (read.isWrite()) {
            return null;
        }
        for (Op w1 : ops) {
            if (!w1.isWrite() || !w1.key().equals(read.key())) {
                continue;
            }
            for (Op w2 : ops) {
                if (w2.isWrite() && w2.key().equals(read.key()) && w1.precedes(w2) && w2.precedes(read)) {
                    return w1;
                }
            }
        }
        return null;
    }

    /**
     * Concurrent clients on a real register: each operation takes effect at one instant inside its
     * [invoke, complete] window, so the history is linearizable by construction.
     */
    private static List<Op> randomLinearizableHistory(Random rnd, int count, int clients) {
        record Pending(int client, boolean write, String key, long invoke, long effect, long complete) {}
        List<Pending> pending = new ArrayList<>();
        long[] clientFree = new long[clients];
        for (int i = 0; i < count; i++) {
            int c = rnd.nextInt(clients);
            long invoke = clientFree[c] + rnd.nextInt(5);
            long effect = invoke + rnd.nextInt(10);
            long complete = effect + rnd.nextInt(10);
            clientFree[c] = complete + 1;
            pending.add(new Pending(c, rnd.nextBoolean(), "k" + rnd.nextInt(2), invoke, effect, complete));
        }
        List<Pending> byEffect = new ArrayList<>(pending);
        byEffect.sort((a, b) -> Long.compare(a.effect(), b.effect()));
        Map<String, String> register = new java.util.HashMap<>();
        List<Op> ops = new ArrayList<>();
        int n = 0;
        for (Pending p : byEffect) {
            if (p.write()) {
                String v = "v" + n++;
                register.put(p.key(), v);
                ops.add(Op.put(p.client(), p.key(), v, p.invoke(), p.complete(), OK));
            } else {
                ops.add(Op.get(p.client(), p.key(), register.get(p.key()), p.invoke(), p.complete()));
            }
        }
        return ops;
    }
}
