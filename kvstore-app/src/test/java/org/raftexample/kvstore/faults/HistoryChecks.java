package org.raftexample.kvstore.faults;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The checks of a scenario besides linearizability: no acknowledged write lost from the final,
 * converged state, and serializable (local) reads that may be stale but are never invented and
 * never go back in time on one node. Stateless.
 */
final class HistoryChecks {

    private HistoryChecks() {}

    /**
     * Acknowledged writes missing from {@code finalValues} (key to the value every replica holds
     * once the cluster converged; absent keys map to null or are missing). A write is lost when the
     * key ended absent, or ended with a value written by a PUT that completed before the
     * acknowledged one was even sent (so the acknowledged one must have overwritten it). A final
     * value no PUT ever wrote is reported too.
     */
    static List<String> lostWrites(List<Op> history, Map<String, String> finalValues) {
        Map<String, Op> writerOf = writers(history);
        List<String> lost = new ArrayList<>();
        for (Map.Entry<String, String> e : finalValues.entrySet()) {
            if (e.getValue() != null && !writerOf.containsKey(e.getValue())) {
                lost.add("key " + e.getKey() + " ended with " + e.getValue() + ", which no PUT wrote");
            }
        }
        for (Op op : history) {
            if (!op.isWrite() || op.outcome() != Op.Outcome.OK) {
                continue;
            }
            String end = finalValues.get(op.key());
            if (end == null) {
                lost.add("acknowledged " + op + " but the key ended absent");
                continue;
            }
            Op survivor = writerOf.get(end);
            if (survivor != null && survivor.precedes(op)) {
                lost.add("acknowledged " + op + " but the key ended with the older " + survivor);
            }
        }
        return lost;
    }

    /**
     * Serializable reads, per node incarnation and key, in the order they were served: each must
     * read a value some PUT (acknowledged or unknown) wrote and sent before the read completed, and
     * a later read must not return a value whose PUT completed before the PUT of an earlier read's
     * value was sent (the node's state would have gone backwards), nor absent after present.
     */
    static List<String> serializableReads(List<Op> history) {
        Map<String, Op> writerOf = writers(history);
        Map<String, List<Op>> byNodeKey = new HashMap<>();
        List<String> bad = new ArrayList<>();
        for (Op op : history) {
            if (op.isWrite() || !op.serializable() || op.outcome() != Op.Outcome.OK) {
                continue;
            }
            if (op.value() != null) {
                Op w = writerOf.get(op.value());
                if (w == null || w.invokeNanos() > op.completeNanos()) {
                    bad.add("serializable read of a value never written (or not yet sent): " + op);
                    continue;
                }
            }
            byNodeKey
                    .computeIfAbsent(op.node() + "." + op.incarnation() + " " + op.key(), k -> new ArrayList<>())
                    .add(op);
        }
        for (List<Op> reads : byNodeKey.values()) {
            reads.sort(Comparator.comparingLong(Op::invokeNanos));
            for (int i = 0; i < reads.size(); i++) {
                Op later = reads.get(i);
                for (int j = 0; j < i; j++) {
                    Op earlier = reads.get(j);
                    if (!earlier.precedes(later)
                            || Objects.equals(earlier.value(), later.value())
                            || earlier.value() == null) {
                        continue;
                    }
                    Op seenFirst = writerOf.get(earlier.value());
                    Op seenAfter = later.value() == null ? null : writerOf.get(later.value());
                    if (seenAfter == null || seenAfter.precedes(seenFirst)) {
                        bad.add("node went back in time: " + earlier + " then " + later);
                    }
                }
            }
        }
        return bad;
    }

    /** Every PUT that may have taken effect, by its value (values are unique per history). */
    static Map<String, Op> writers(List<Op> history) {
        Map<String, Op> writerOf = new HashMap<>();
        for (Op op : history) {
            if (op.isWrite() && op.outcome() != Op.Outcome.FAIL) {
                Op before = writerOf.put(op.value(), op);
                if (before != null) {
                    throw new IllegalArgumentException(
                            "value written twice, the checks need unique values: " + before + " and " + op);
                }
            }
        }
        return writerOf;
    }
}
