package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A rolling restart of a three-node cluster (stop a node with SIGTERM, start it again, wait until every
 * node is healthy, next node) under continuous write load, as an operator would do it: no writer may
 * be without an acknowledged write for longer than one election timeout.
 *
 * <p>Each writer behaves like a client configured with every node's address: it sends each write to
 * the next node in turn and, when one fails (a refused connection, a 503), retries at once on the
 * next. An outage of a writer is the time from the start of its first failed attempt to the start of
 * its next acknowledged one: how long requests kept failing (the latency of the write that then
 * succeeds is the machine's, not an outage; on a loaded 2-core machine it alone can reach 0.7 s).
 */
class RollingRestartIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** --tick-ms 100 x --election-ticks 10, the defaults. */
    private static final long ELECTION_TIMEOUT_MS = 1000;

    private static final int WRITERS = 3;

    /** One PUT attempt of a writer. */
    record Attempt(long startNanos, long endNanos, long node, int status, String error) {
        boolean ok() {
            return status == 204;
        }

        long millis() {
            return (endNanos - startNanos) / 1_000_000;
        }
    }

    @Test
    @Timeout(240)
    void aRollingRestartUnderWriteLoadLeavesNoWriterWithoutAnAcknowledgedWriteForAnElectionTimeout() throws Exception {
        try (NodeProcesses c = new NodeProcesses(3).named("rolling-restart")) {
            c.startAll();
            OpsIT.awaitHealthy(c, 1, 2, 3);
            AtomicBoolean stop = new AtomicBoolean();
            List<List<Attempt>> logs = new ArrayList<>();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                List<Attempt> log = new CopyOnWriteArrayList<>();
                logs.add(log);
                int writer = w;
                Thread t = new Thread(() -> write(c, writer, log, stop), "writer-" + w);
                writers.add(t);
                t.start();
            }
            Thread.sleep(1000); // load before the first stop

            List<String> restarts = new ArrayList<>();
            for (long id = 1; id <= 3; id++) {
                long leaderBefore = OpsIT.json(c, id % 3 + 1, "/_raftexample/status")
                        .path("leader")
                        .asLong();
                long t0 = System.nanoTime();
                assertEquals(143, c.stop(id), "SIGTERM ends the node through its shutdown hook");
                c.start(id, 3);
                OpsIT.awaitHealthy(c, 1, 2, 3);
                restarts.add("node " + id + (leaderBefore == id ? " (leader)" : "") + " back and all healthy after "
                        + (System.nanoTime() - t0) / 1_000_000 + " ms");
                Thread.sleep(500); // load in between
            }
            stop.set(true);
            for (Thread t : writers) {
                t.join(30_000);
            }

            long acknowledged = 0;
            long failed = 0;
            long worstOutage = 0;
            long slowestFailure = 0;
            List<String> outages = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                List<Attempt> log = logs.get(w);
                Attempt firstFailure = null;
                for (Attempt a : log) {
                    if (a.ok()) {
                        acknowledged++;
                        if (firstFailure != null) {
                            long outage = (a.startNanos() - firstFailure.startNanos()) / 1_000_000;
                            worstOutage = Math.max(worstOutage, outage);
                            outages.add(String.format("%6d", outage) + " ms, writer " + w + ": from a failure on node "
                                    + firstFailure.node() + " (" + firstFailure.status() + " "
                                    + firstFailure.error() + ") to an acknowledged write on node " + a.node());
                            firstFailure = null;
                        }
                    } else {
                        failed++;
                        slowestFailure = Math.max(slowestFailure, a.millis());
                        if (firstFailure == null) {
                            firstFailure = a;
                        }
                    }
                }
                assertTrue(firstFailure == null, "writer " + w + " ended in a failure: " + firstFailure);
            }
            outages.sort(java.util.Comparator.reverseOrder());
            List<String> worst = outages.subList(0, Math.min(5, outages.size()));
            String report = "RollingRestartIT: " + acknowledged + " writes acknowledged, " + failed
                    + " attempts failed; longest outage of a writer " + worstOutage + " ms; slowest failed attempt "
                    + slowestFailure + " ms\n  " + String.join("\n  ", restarts) + "\n  longest outages:\n  "
                    + String.join("\n  ", worst);
            System.out.println(report);
            assertTrue(acknowledged > 100, report);
            assertTrue(worstOutage <= ELECTION_TIMEOUT_MS, report);

            // Every acknowledged write is there, on every node.
            for (int w = 0; w < WRITERS; w++) {
                List<Attempt> log = logs.get(w);
                int lastOk = -1;
                for (int i = 0; i < log.size(); i++) {
                    if (log.get(i).ok()) {
                        lastOk = i;
                    }
                }
                for (long id = 1; id <= 3; id++) {
                    assertEquals("200 " + lastOk, c.get(id, "/load-" + w), "node " + id + ", writer " + w);
                }
            }
        }
    }

    /** Writes /load-W = attempt number, round robin over the nodes, until told to stop after a success. */
    private static void write(NodeProcesses c, int writer, List<Attempt> log, AtomicBoolean stop) {
        long node = writer % 3 + 1;
        boolean lastOk = true;
        while (!stop.get() || !lastOk) {
            int attempt = log.size();
            long start = System.nanoTime();
            int status;
            String error = "";
            try {
                HttpResponse<String> r = c.request(node, "PUT", "/load-" + writer, Integer.toString(attempt));
                status = r.statusCode();
                error = r.body().strip();
            } catch (IOException e) {
                status = -1;
                error = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            Attempt a = new Attempt(start, System.nanoTime(), node, status, error);
            log.add(a);
            lastOk = a.ok();
            node = node % 3 + 1;
            if (!lastOk) {
                try {
                    Thread.sleep(10); // no busy loop against a node that refuses at once
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
