package org.raftexample.kvstore.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The lost-write and serializable-read checks on hand-made histories. */
class HistoryChecksTest {

    private static Op localRead(long node, int incarnation, String key, String value, long invoke, long complete) {
        return new Op(9, Op.Kind.GET, key, value, true, node, incarnation, invoke, complete, Op.Outcome.OK);
    }

    @Test
    void theLastAcknowledgedWriteOrAConcurrentOneMayEndTheHistory() {
        List<Op> h = List.of(
                Op.put(1, "k", "a", 0, 1, Op.Outcome.OK),
                Op.put(1, "k", "b", 2, 10, Op.Outcome.OK),
                Op.put(2, "k", "c", 3, 11, Op.Outcome.UNKNOWN));
        assertEquals(List.of(), HistoryChecks.lostWrites(h, Map.of("k", "b")));
        assertEquals(List.of(), HistoryChecks.lostWrites(h, Map.of("k", "c")));
    }

    @Test
    void anAcknowledgedWriteOverwrittenByAnOlderOneIsLost() {
        List<Op> h = List.of(Op.put(1, "k", "a", 0, 1, Op.Outcome.OK), Op.put(1, "k", "b", 2, 3, Op.Outcome.OK));
        List<String> lost = HistoryChecks.lostWrites(h, Map.of("k", "a"));
        assertEquals(1, lost.size());
        assertTrue(lost.get(0).contains("PUT k b"), lost.toString());
    }

    @Test
    void anAcknowledgedWriteOfAKeyThatEndedAbsentIsLost() {
        Map<String, String> end = new HashMap<>();
        end.put("k", null);
        assertEquals(
                1,
                HistoryChecks.lostWrites(List.of(Op.put(1, "k", "a", 0, 1, Op.Outcome.OK)), end)
                        .size());
    }

    @Test
    void aFinalValueNoPutWroteIsReported() {
        List<String> lost =
                HistoryChecks.lostWrites(List.of(Op.put(1, "k", "a", 0, 1, Op.Outcome.FAIL)), Map.of("k", "a"));
        assertEquals(1, lost.size());
        assertTrue(lost.get(0).contains("no PUT wrote"), lost.toString());
    }

    @Test
    void staleLocalReadsPassButInventedOnesDoNot() {
        List<Op> stale = List.of(
                Op.put(1, "k", "a", 0, 1, Op.Outcome.OK),
                Op.put(1, "k", "b", 2, 3, Op.Outcome.OK),
                localRead(2, 1, "k", "a", 4, 5),
                localRead(2, 1, "k", null, 0, 1));
        assertEquals(List.of(), HistoryChecks.serializableReads(stale));

        List<Op> invented = List.of(Op.put(1, "k", "a", 0, 1, Op.Outcome.OK), localRead(2, 1, "k", "x", 4, 5));
        assertEquals(1, HistoryChecks.serializableReads(invented).size());

        List<Op> fromTheFuture = List.of(localRead(2, 1, "k", "a", 0, 1), Op.put(1, "k", "a", 5, 6, Op.Outcome.OK));
        assertEquals(1, HistoryChecks.serializableReads(fromTheFuture).size());
    }

    @Test
    void localReadsOfOneNodeMustNotGoBackInTime() {
        List<Op> h = List.of(
                Op.put(1, "k", "a", 0, 1, Op.Outcome.OK),
                Op.put(1, "k", "b", 2, 3, Op.Outcome.OK),
                localRead(2, 1, "k", "b", 4, 5),
                localRead(2, 1, "k", "a", 6, 7));
        assertEquals(1, HistoryChecks.serializableReads(h).size());
        // The same reads on two different nodes, or across a restart, are only stale.
        List<Op> twoNodes = List.of(h.get(0), h.get(1), h.get(2), localRead(3, 1, "k", "a", 6, 7));
        assertEquals(List.of(), HistoryChecks.serializableReads(twoNodes));
        List<Op> restarted = List.of(h.get(0), h.get(1), h.get(2), localRead(2, 2, "k", "a", 6, 7));
        assertEquals(List.of(), HistoryChecks.serializableReads(restarted));
    }
}
