package org.raftexample.kvstore.faults;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decides whether a history of PUTs and linearizable GETs on independent registers (one per key,
 * initially absent) is linearizable: the Wing &amp; Gong search with Lowe's memoisation, as in
 * Porcupine. Keys are independent objects, so each key is checked on its own (linearizability is
 * compositional), which keeps every search small.
 *
 * <p>What counts: PUTs that were acknowledged (OK) or whose outcome is unknown (they may take effect
 * at any time after their invocation, or never: linearizing one after everything else is the same
 * as never; so one whose value no read returned is left out of the search), and linearizable
 * GETs that returned an answer. Failed operations (certainly not
 * applied), GETs without an answer and serializable GETs (allowed to be stale, see
 * {@link HistoryChecks}) do not.
 *
 * <p>The search walks the call/return events in time order, tries to linearize a pending call
 * (apply it to the register: a GET must read the current value), and backtracks when it meets the
 * return of an operation it has not linearized. A (set of linearized operations, register value)
 * pair already explored is never explored again. Not thread-safe: one instance per check.
 */
final class LinearizabilityChecker {

    /** Give up on one key after this many search steps; the result then says so (never "ok"). */
    static final long DEFAULT_STEP_LIMIT = 20_000_000;

    /** The verdict for a whole history. */
    record Result(boolean linearizable, int keysChecked, int opsChecked, List<String> violations) {
        String describe() {
            return linearizable
                    ? "linearizable (" + opsChecked + " operations on " + keysChecked + " keys)"
                    : String.join("\n", violations);
        }
    }

    private final long stepLimit;

    LinearizabilityChecker() {
        this(DEFAULT_STEP_LIMIT);
    }

    LinearizabilityChecker(long stepLimit) {
        this.stepLimit = stepLimit;
    }

    Result check(List<Op> history) {
        Set<String> read = new HashSet<>();
        for (Op op : history) {
            if (counts(op) && !op.isWrite() && op.value() != null) {
                read.add(op.key() + "\u0000" + op.value());
            }
        }
        Map<String, List<Op>> byKey = new LinkedHashMap<>();
        for (Op op : history) {
            // A write of unknown outcome whose value nobody read can always go last (or nowhere),
            // so it changes no verdict; dropped, it cannot blow up the search either.
            boolean unobservedUnknown = op.isWrite()
                    && op.outcome() == Op.Outcome.UNKNOWN
                    && !read.contains(op.key() + "\u0000" + op.value());
            if (counts(op) && !unobservedUnknown) {
                byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
            }
        }
        List<String> violations = new ArrayList<>();
        int ops = 0;
        for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
            ops += e.getValue().size();
            String v = checkKey(e.getKey(), e.getValue());
            if (v != null) {
                violations.add(v);
            }
        }
        return new Result(violations.isEmpty(), byKey.size(), ops, violations);
    }

    static boolean counts(Op op) {
        if (op.isWrite()) {
            return op.outcome() != Op.Outcome.FAIL;
        }
        return op.outcome() == Op.Outcome.OK && !op.serializable();
    }

    /** One call or return event, in a doubly linked list that the search lifts entries out of. */
    private static final class Event {
        final int op;
        final boolean call;
        final long time;
        Event prev;
        Event next;
        Event match; // the call's return, or the return's call

        Event(int op, boolean call, long time) {
            this.op = op;
            this.call = call;
            this.time = time;
        }
    }

    private record Frame(Event call, String stateBefore) {}

    private record Explored(BitSet linearized, String state) {}

    /** Null if the key's operations are linearizable, else a description of why not. */
    private String checkKey(String key, List<Op> ops) {
        List<Event> events = new ArrayList<>(ops.size() * 2);
        for (int i = 0; i < ops.size(); i++) {
            Event c = new Event(i, true, ops.get(i).invokeNanos());
            Event r = new Event(i, false, ops.get(i).completeNanos());
            c.match = r;
            r.match = c;
            events.add(c);
            events.add(r);
        }
        // At equal times a call goes first: the two operations then count as concurrent, the
        // permissive reading of a tie.
        events.sort(Comparator.comparingLong((Event e) -> e.time).thenComparing(e -> !e.call));
        Event head = new Event(-1, false, Long.MIN_VALUE);
        Event prev = head;
        for (Event e : events) {
            prev.next = e;
            e.prev = prev;
            prev = e;
        }

        BitSet linearized = new BitSet(ops.size());
        Set<Explored> explored = new HashSet<>();
        Deque<Frame> stack = new ArrayDeque<>();
        String state = null;
        int deepest = 0;
        Op stuckAt = null;
        String stuckState = null;
        long steps = 0;
        Event e = head.next;
        while (head.next != null) {
            if (++steps > stepLimit) {
                return "key " + key + ": the checker gave up after " + stepLimit + " steps on " + ops.size()
                        + " operations (neither proven linearizable nor refuted)";
            }
            if (e.call) {
                Op op = ops.get(e.op);
                boolean legal = op.isWrite() || Objects.equals(state, op.value());
                String next = op.isWrite() ? op.value() : state;
                if (legal) {
                    BitSet after = (BitSet) linearized.clone();
                    after.set(e.op);
                    if (explored.add(new Explored(after, next))) {
                        stack.push(new Frame(e, state));
                        state = next;
                        linearized.set(e.op);
                        lift(e);
                        e = head.next;
                        continue;
                    }
                }
                e = e.next;
            } else {
                // The return of an operation not linearized yet: what is linearized so far cannot
                // be extended past this point, so undo the last choice.
                if (stack.size() >= deepest) {
                    deepest = stack.size();
                    stuckAt = ops.get(e.op);
                    stuckState = state;
                }
                if (stack.isEmpty()) {
                    return explain(key, ops, deepest, stuckAt, stuckState);
                }
                Frame f = stack.pop();
                state = f.stateBefore();
                linearized.clear(f.call().op);
                unlift(f.call());
                e = f.call().next;
            }
        }
        return null;
    }

    private static String explain(String key, List<Op> ops, int deepest, Op stuckAt, String stuckState) {
        StringBuilder sb = new StringBuilder("key ")
                .append(key)
                .append(": not linearizable. At most ")
                .append(deepest)
                .append(" of ")
                .append(ops.size())
                .append(" operations can be linearized; then this one cannot be placed (the register holding ")
                .append(stuckState == null ? "<absent>" : stuckState)
                .append("):\n  ")
                .append(stuckAt)
                .append("\n operations overlapping it or just before it:");
        int shown = 0;
        for (Op op : ops) {
            if (shown == 40) {
                sb.append("\n  ...");
                break;
            }
            if (op != stuckAt
                    && op.completeNanos() >= stuckAt.invokeNanos() - 1_000_000_000L
                    && op.invokeNanos() <= stuckAt.completeNanos()) {
                sb.append("\n  ").append(op);
                shown++;
            }
        }
        return sb.toString();
    }

    private static void lift(Event call) {
        call.prev.next = call.next;
        if (call.next != null) {
            call.next.prev = call.prev;
        }
        Event ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null) {
            ret.next.prev = ret.prev;
        }
    }

    private static void unlift(Event call) {
        Event ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null) {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null) {
            call.next.prev = call;
        }
    }
}
