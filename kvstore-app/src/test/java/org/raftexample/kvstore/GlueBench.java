package org.raftexample.kvstore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The glue alone, without HTTP: three in-process members with real WALs (fsync on) and the real peer
 * transport on loopback, and C client threads that each propose a 100-byte write through the leader's
 * {@link RaftKVService} and wait for it to be applied, for S seconds. Prints acknowledged writes per
 * second and the latency percentiles, so a change to the glue can be judged without a cluster of
 * processes. Run it with {@code scripts/bench-glue [clients...] [--seconds S]}; it is not a test.
 */
public final class GlueBench {

    private GlueBench() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> clients = new ArrayList<>();
        int seconds = 5;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--seconds")) {
                seconds = Integer.parseInt(args[++i]);
            } else {
                clients.add(Integer.parseInt(args[i]));
            }
        }
        if (clients.isEmpty()) {
            clients = List.of(1, 16, 64);
        }
        for (int c : clients) {
            run(c, seconds);
        }
    }

    private static void run(int clients, int seconds) throws Exception {
        try (InProcessCluster c = new InProcessCluster(3, 10_000, 10_000)) {
            c.electionTicks = 10;
            List<KVStore> stores = new ArrayList<>();
            c.startAll(id -> {
                RequestRegistry r = c.registry(id);
                KVStore s = new KVStore(id, rid -> r.trigger(rid, null));
                stores.add(s);
                return s;
            });
            InProcessCluster.await("a leader", java.time.Duration.ofSeconds(30),
                    () -> c.members.stream().anyMatch(m -> m.node().isLeader()));
            InProcessCluster.Member leader = c.members.stream().filter(m -> m.node().isLeader()).findFirst()
                    .orElseThrow();
            KVStore store = stores.stream().filter(s -> s.size() >= 0).toList()
                    .get(c.members.indexOf(leader));
            RaftKVService service = new RaftKVService(leader.opts().id(), store, leader.node(), leader.requests());
            String value = "x".repeat(100);
            // Warm-up, then the measured run.
            measure(service, value, clients, 2);
            long[] lat = measure(service, value, clients, seconds);
            Arrays.sort(lat);
            System.out.printf(Locale.ROOT, "glue c=%d: %.0f writes/s  p50=%.2f ms  p99=%.2f ms  max=%.2f ms  "
                    + "(%d writes, most entries per Ready %d)%n",
                    clients, lat.length / (double) seconds, pct(lat, 0.50), pct(lat, 0.99),
                    lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6, lat.length, leader.node().maxEntriesPerReady());
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
