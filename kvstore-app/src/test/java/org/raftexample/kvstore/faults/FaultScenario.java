package org.raftexample.kvstore.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * One scenario: clients run against the cluster while a nemesis injects rounds of its fault for a
 * while; then every fault is repaired, the cluster must converge, final linearizable reads of every
 * key on every member join the history, and the history is checked: linearizable, no acknowledged
 * write lost, serializable reads never invented nor going back on a node, every replica holding
 * the same map, and no answer a correct node never gives. Runs on the calling thread.
 */
final class FaultScenario {

    /** The figures of one scenario run. */
    record Report(
            String name,
            String network,
            int operations,
            long acknowledged,
            long unknown,
            int opsChecked,
            int faults,
            int lostWrites,
            int violations,
            double seconds,
            List<String> problems) {
        boolean passed() {
            return problems.isEmpty();
        }

        String line() {
            return String.format(
                    "%-20s %5.1f s  %5d ops (%d acknowledged writes, %d unknown), %d checked, %d faults,"
                            + " %d lost writes, %d linearizability violations%s",
                    name,
                    seconds,
                    operations,
                    acknowledged,
                    unknown,
                    opsChecked,
                    faults,
                    lostWrites,
                    violations,
                    passed() ? "" : "  FAILED");
        }
    }

    static final int KEYS = 6;
    static final int CLIENTS = 6;

    private FaultScenario() {}

    /** Runs {@code nemesis} in rounds for at least {@code duration} (one round at least). */
    static Report run(FaultCluster c, Nemesis nemesis, Duration duration, long seed) throws Exception {
        long t0 = System.nanoTime();
        Random rnd = new Random(seed);
        List<String> keys = keys(nemesis.name() + "-" + seed);
        History history = new History();
        Workload clients = new Workload(c, history, keys, CLIENTS, seed, Duration.ofSeconds(4));
        int faults = 0;
        clients.start();
        try {
            Thread.sleep(1000);
            long end = System.nanoTime() + duration.toNanos();
            for (int round = 0; round < nemesis.minRounds() || System.nanoTime() < end; round++) {
                faults += nemesis.round(c, rnd);
            }
            Thread.sleep(1000);
        } finally {
            c.network().healAll();
            clients.stop();
        }

        return check(c, nemesis.name() + "-" + seed, nemesis.name(), history, keys, List.of(clients), faults, t0);
    }

    static List<String> keys(String prefix) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < KEYS; i++) {
            keys.add("/" + prefix + "-k" + i);
        }
        return keys;
    }

    /**
     * The end of every scenario, once the faults are repaired and the clients stopped: convergence,
     * final reads, then all the checks on the history.
     */
    static Report check(
            FaultCluster c,
            String runName,
            String name,
            History history,
            List<String> keys,
            List<Workload> workloads,
            int faults,
            long t0)
            throws InterruptedException {
        List<String> problems = new ArrayList<>();
        Map<String, String> finalValues = converge(c, keys, problems);
        finalReads(c, keys, history);

        List<Op> ops = history.ops();
        LinearizabilityChecker.Result lin = new LinearizabilityChecker().check(ops);
        List<String> lost = finalValues == null ? List.of() : HistoryChecks.lostWrites(ops, finalValues);
        List<String> local = HistoryChecks.serializableReads(ops);
        if (!lin.linearizable()) {
            problems.add("not linearizable:\n" + lin.describe());
        }
        if (!lost.isEmpty()) {
            problems.add("acknowledged writes lost:\n" + String.join("\n", lost));
        }
        if (!local.isEmpty()) {
            problems.add("serializable reads:\n" + String.join("\n", local));
        }
        int unexpectedAnswers =
                workloads.stream().mapToInt(Workload::unexpectedAnswers).sum();
        if (unexpectedAnswers > 0) {
            problems.add(unexpectedAnswers + " answers in 4xx to well-formed requests, first ones: "
                    + workloads.stream()
                            .flatMap(w -> w.unexpectedSeen().stream())
                            .toList());
        }
        long acked = ops.stream()
                .filter(o -> o.isWrite() && o.outcome() == Op.Outcome.OK)
                .count();
        long unknown =
                ops.stream().filter(o -> o.outcome() == Op.Outcome.UNKNOWN).count();
        if (acked == 0) {
            problems.add("no write was acknowledged at all: the scenario proved nothing");
        }
        if (!problems.isEmpty()) {
            c.keep(runName + "-history.txt", ops.stream().map(Op::toString).collect(Collectors.joining("\n")) + "\n");
        }
        return new Report(
                name,
                c.network().describe(),
                ops.size(),
                acked,
                unknown,
                lin.opsChecked(),
                faults,
                lost.size(),
                lin.violations().size(),
                (System.nanoTime() - t0) / 1e9,
                problems);
    }

    /**
     * Waits until every member's local state holds the same value for every key (a write committed
     * on all of them), returning that map, or null with a problem recorded if they never agree.
     */
    static Map<String, String> converge(FaultCluster c, List<String> keys, List<String> problems)
            throws InterruptedException {
        // A write through the leader commits everything before it in every member's log.
        c.await("a write acknowledged after the faults", Duration.ofSeconds(60), () -> {
            List<Long> m = c.members();
            return c.send(m.get(0), "PUT", "/converge-marker", "x") == 204;
        });
        Map<Long, Map<String, String>> last = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            last.clear();
            for (long id : c.members()) {
                Map<String, String> state = new HashMap<>();
                for (String k : keys) {
                    String r = c.get(id, k + "?serializable=true");
                    state.put(k, r.startsWith("200 ") ? r.substring(4) : r.startsWith("404 ") ? null : "?" + r);
                }
                last.put(id, state);
            }
            if (last.values().stream().distinct().count() == 1
                    && last.values().iterator().next().values().stream()
                            .noneMatch(v -> v != null && v.startsWith("?"))) {
                return last.values().iterator().next();
            }
            Thread.sleep(200);
        }
        problems.add("replicas did not converge within 60 s: " + last);
        return null;
    }

    /** A linearizable read of every key on every member, retried until answered, into the history. */
    private static void finalReads(FaultCluster c, List<String> keys, History history) throws InterruptedException {
        for (long id : c.members()) {
            for (String k : keys) {
                for (int attempt = 0; attempt < 50; attempt++) {
                    long invoke = System.nanoTime();
                    String r = c.get(id, k);
                    long complete = System.nanoTime();
                    if (r.startsWith("200 ") || r.startsWith("404 ")) {
                        history.add(new Op(
                                -1,
                                Op.Kind.GET,
                                k,
                                r.startsWith("200 ") ? r.substring(4) : null,
                                false,
                                id,
                                c.incarnation(id),
                                invoke,
                                complete,
                                Op.Outcome.OK));
                        break;
                    }
                    Thread.sleep(200);
                }
            }
        }
    }
}
