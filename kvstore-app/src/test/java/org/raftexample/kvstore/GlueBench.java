package org.raftexample.kvstore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.raftexample.server.GlueAccess;
import org.raftexample.server.GlueTracer;

/**
 * The glue alone, without HTTP: three in-process members with real WALs (fsync on) and the real peer
 * transport on loopback, and C client threads that each propose a 100-byte write through the leader's
 * {@link RaftKVService} and wait for it to be applied, for S seconds. Prints acknowledged writes per
 * second and the latency percentiles, so a change to the glue can be judged without a cluster of
 * processes. Run it with {@code scripts/bench-glue [clients...] [--seconds S]}; it is not a test.
 */
public final class GlueBench {

    private GlueBench() {}

    public static void main(String[] args) throws Exception {
        List<Integer> clients = new ArrayList<>();
        int seconds = 5;
        boolean stages = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--seconds")) {
                seconds = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--stages")) {
                stages = true;
            } else {
                clients.add(Integer.parseInt(args[i]));
            }
        }
        if (clients.isEmpty()) {
            clients = List.of(1, 16, 64);
        }
        if (stages) {
            stages(seconds);
            return;
        }
        for (int c : clients) {
            run(c, seconds);
        }
    }

    /** One client, one write at a time: where each write's time goes, stage by stage, on the leader. */
    private static void stages(int seconds) throws Exception {
        try (InProcessCluster c = new InProcessCluster(3, 10_000, 10_000)) {
            Started started = startWithLeader(c);
            InProcessCluster.Member leader = started.leader();
            RaftKVService service = started.service();
            java.util.Map<Long, long[]> at = new java.util.concurrent.ConcurrentHashMap<>();
            int n = GlueTracer.Stage.values().length;
            leader.node()
                    .setTracer((stage, index, nanos) ->
                            at.computeIfAbsent(index, k -> new long[n])[stage.ordinal()] = nanos);
            String value = "x".repeat(100);
            measure(service, value, 1, 2);
            at.clear();
            List<long[]> rows = new ArrayList<>();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            for (long k = 0; System.nanoTime() < end; k++) {
                long before = leader.node().appliedIndex();
                long t0 = System.nanoTime();
                service.put("/s" + k, value).get(10, TimeUnit.SECONDS);
                long t1 = System.nanoTime();
                long[] st = at.get(before + 1);
                if (st != null && st[GlueTracer.Stage.APPLIED.ordinal()] != 0) {
                    long[] row = new long[n + 2];
                    row[0] = t0;
                    System.arraycopy(st, 0, row, 1, n);
                    row[n + 1] = t1;
                    rows.add(row);
                }
            }
            String[] names = {
                "propose -> Ready on the raft loop",
                "Ready -> messages handed to transport",
                "-> leader's WAL write done (fsync)",
                "-> committed (follower round trip + fsync)",
                "committed -> applied (apply loop)",
                "applied -> request completed (completer)"
            };
            // Stage boundaries: t0, READY, SENT, PERSISTED, COMMITTED, APPLIED, t1; COMMITTED is
            // measured from SENT, since the follower works while the leader writes.
            int[][] spans = {{0, 1}, {1, 2}, {2, 3}, {2, 4}, {4, 5}, {5, 6}};
            System.out.printf(Locale.ROOT, "glue stages, c=1, %d writes (median / p99, ms):%n", rows.size());
            for (int i = 0; i < spans.length; i++) {
                long[] d = new long[rows.size()];
                for (int r = 0; r < d.length; r++) {
                    d[r] = rows.get(r)[spans[i][1]] - rows.get(r)[spans[i][0]];
                }
                Arrays.sort(d);
                System.out.printf(Locale.ROOT, "  %-44s %6.3f / %6.3f%n", names[i], pct(d, 0.5), pct(d, 0.99));
            }
            long[] total =
                    rows.stream().mapToLong(r -> r[n + 1] - r[0]).sorted().toArray();
            System.out.printf(
                    Locale.ROOT,
                    "  %-44s %6.3f / %6.3f%n",
                    "total (propose -> completed)",
                    pct(total, 0.5),
                    pct(total, 0.99));
        }
    }

    /** The three members started, a leader elected, and a write service on that leader. */
    private record Started(InProcessCluster.Member leader, RaftKVService service) {}

    private static Started startWithLeader(InProcessCluster c) throws Exception {
        List<KVStore> stores = new ArrayList<>();
        c.startAll(id -> {
            KVStore s = new KVStore();
            stores.add(s); // members start in id order, so stores line up with c.members
            return s;
        });
        InProcessCluster.await(
                "a leader",
                java.time.Duration.ofSeconds(30),
                () -> c.members.stream().anyMatch(m -> m.node().isLeader()));
        InProcessCluster.Member leader =
                c.members.stream().filter(m -> m.node().isLeader()).findFirst().orElseThrow();
        return new Started(leader, new RaftKVService(stores.get(c.members.indexOf(leader)), leader.node()));
    }

    private static void run(int clients, int seconds) throws Exception {
        try (InProcessCluster c = new InProcessCluster(3, 10_000, 10_000)) {
            Started started = startWithLeader(c);
            InProcessCluster.Member leader = started.leader();
            RaftKVService service = started.service();
            String value = "x".repeat(100);
            // Warm-up, then the measured run.
            measure(service, value, clients, 2);
            long[] lat = measure(service, value, clients, seconds);
            Arrays.sort(lat);
            System.out.printf(
                    Locale.ROOT,
                    "glue c=%d: %.0f writes/s  p50=%.2f ms  p99=%.2f ms  max=%.2f ms  "
                            + "(%d writes, most entries per Ready %d)%n",
                    clients,
                    lat.length / (double) seconds,
                    pct(lat, 0.50),
                    pct(lat, 0.99),
                    lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6,
                    lat.length,
                    GlueAccess.maxEntriesPerReady(leader.node()));
        }
    }

    private static double pct(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, sorted.length * p)] / 1e6;
    }

    private static long[] measure(RaftKVService service, String value, int clients, int seconds)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        List<long[]> perThread = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < clients; t++) {
            long[] buf = new long[2_000_000 / clients + 1];
            perThread.add(buf);
            counts.add(0);
            int slot = t;
            threads.add(new Thread(() -> {
                int n = 0;
                for (long k = 0; !stop.get(); k++) {
                    long t0 = System.nanoTime();
                    try {
                        service.put("/k" + slot + "-" + k, value).get(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        continue;
                    }
                    if (n < buf.length) {
                        buf[n++] = System.nanoTime() - t0;
                    }
                }
                synchronized (counts) {
                    counts.set(slot, n);
                }
            }));
        }
        threads.forEach(Thread::start);
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        for (Thread th : threads) {
            th.join();
        }
        int total = counts.stream().mapToInt(Integer::intValue).sum();
        long[] all = new long[total];
        int at = 0;
        for (int t = 0; t < clients; t++) {
            System.arraycopy(perThread.get(t), 0, all, at, counts.get(t));
            at += counts.get(t);
        }
        return all;
    }
}
