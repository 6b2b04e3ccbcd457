package org.raftexample.kvstore.faults;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Concurrent clients, each on its own thread with its own HTTP connection pool, doing PUTs of
 * unique values, linearizable GETs and serializable GETs on a small set of keys against random
 * members, and recording every operation in a {@link History}. Outcomes: 204/200/404 are OK; a
 * request that never reached a node (connection refused, connect timeout) FAILed; a 503, a reset
 * connection or a timed-out answer is UNKNOWN for a PUT (it may still commit). Started and stopped
 * by the scenario thread.
 */
final class Workload {

    private final FaultCluster cluster;
    private final History history;
    private final List<String> keys;
    private final int clients;
    private final long seed;
    private final Duration requestTimeout;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger unexpected = new AtomicInteger();
    /** The first few unexpected answers, described, for the failure message. */
    private final List<String> unexpectedSeen = java.util.Collections.synchronizedList(new ArrayList<>());

    private volatile boolean running;

    Workload(
            FaultCluster cluster, History history, List<String> keys, int clients, long seed, Duration requestTimeout) {
        this.cluster = cluster;
        this.history = history;
        this.keys = List.copyOf(keys);
        this.clients = clients;
        this.seed = seed;
        this.requestTimeout = requestTimeout;
    }

    void start() {
        running = true;
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> clientLoop(client), "fault-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Stops the clients and waits for their last requests to finish (bounded by the request timeout). */
    void stop() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(requestTimeout.toMillis() + 10_000);
        }
    }

    /** Answers no correct node gives (a 4xx to a well-formed request): counted, and asserted zero. */
    int unexpectedAnswers() {
        return unexpected.get();
    }

    /** What the first unexpected answers were (status, body, node, request). */
    List<String> unexpectedSeen() {
        synchronized (unexpectedSeen) {
            return List.copyOf(unexpectedSeen);
        }
    }

    private void unexpected(long node, String request, int status, String body) {
        unexpected.incrementAndGet();
        synchronized (unexpectedSeen) {
            if (unexpectedSeen.size() < 10) {
                unexpectedSeen.add("node " + node + " (incarnation " + cluster.incarnation(node) + ") answered "
                        + request + " with " + status + " " + body.strip());
            }
        }
    }

    private void clientLoop(int client) {
        Random rnd = new Random(seed * 1000 + client);
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1))
                .build();
        for (int n = 0; running; n++) {
            List<Long> members = cluster.clientTargets();
            long node = members.get(rnd.nextInt(members.size()));
            String key = keys.get(rnd.nextInt(keys.size()));
            double dice = rnd.nextDouble();
            Op op;
            if (dice < 0.5) {
                op = put(http, client, node, key, "w" + seed + "c" + client + "-" + n); // unique per workload
            } else {
                op = get(http, client, node, key, dice >= 0.8);
            }
            history.add(op);
            try {
                Thread.sleep(op.outcome() == Op.Outcome.OK ? rnd.nextInt(5) : 20 + rnd.nextInt(30));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private Op put(HttpClient http, int client, long node, String key, String value) {
        int incarnation = cluster.incarnation(node);
        long invoke = System.nanoTime();
        Op.Outcome outcome;
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(cluster.network().httpUrl(node) + key))
                            .timeout(requestTimeout)
                            .PUT(HttpRequest.BodyPublishers.ofString(value))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 204) {
                outcome = Op.Outcome.OK;
            } else if (r.statusCode() >= 500) {
                outcome = Op.Outcome.UNKNOWN;
            } else {
                unexpected(node, "PUT " + key, r.statusCode(), r.body());
                outcome = Op.Outcome.FAIL;
            }
        } catch (ConnectException | HttpConnectTimeoutException e) {
            outcome = Op.Outcome.FAIL; // no connection, so the request was never sent
        } catch (IOException e) {
            outcome = Op.Outcome.UNKNOWN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = Op.Outcome.UNKNOWN;
        }
        return new Op(client, Op.Kind.PUT, key, value, false, node, incarnation, invoke, System.nanoTime(), outcome);
    }

    private Op get(HttpClient http, int client, long node, String key, boolean serializable) {
        int incarnation = cluster.incarnation(node);
        long invoke = System.nanoTime();
        String value = null;
        Op.Outcome outcome;
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(
                                    cluster.network().httpUrl(node) + key + (serializable ? "?serializable=true" : "")))
                            .timeout(requestTimeout)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                value = r.body();
                outcome = Op.Outcome.OK;
            } else if (r.statusCode() == 404) {
                outcome = Op.Outcome.OK;
            } else {
                if (r.statusCode() < 500) {
                    unexpected(
                            node, "GET " + key + (serializable ? "?serializable=true" : ""), r.statusCode(), r.body());
                }
                outcome = Op.Outcome.FAIL;
            }
        } catch (IOException e) {
            outcome = Op.Outcome.FAIL; // a read without an answer tells nothing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = Op.Outcome.FAIL;
        }
        return new Op(
                client, Op.Kind.GET, key, value, serializable, node, incarnation, invoke, System.nanoTime(), outcome);
    }
}
