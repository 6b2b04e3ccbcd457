package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node under connection abuse: thousands of idle connections on both ports, clients that dribble their
 * headers or bodies a byte at a time (slowloris) and never finish. Well-behaved clients keep being answered
 * within a bound, and the node's thread count stays bounded.
 */
class AbuseIT {
    static final int IDLE_KV = 2000;
    static final int IDLE_PEER = 500;
    static final int SLOW_HEADERS = 25;
    static final int SLOW_BODIES = 25;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long ANSWER_BOUND_MS = 5_000;

    @Test
    @Timeout(180)
    void idleAndSlowlorisConnectionsDoNotStopOtherClientsOrGrowThreads() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        AtomicBoolean dribbling = new AtomicBoolean(true);
        Thread dribbler = null;
        try (NodeProcesses c = new NodeProcesses(1).named("abuse")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/k", "before", WAIT);
            long pid = c.process(1).pid();
            int threadsBefore = threads(pid);

            NodeProcesses.NodeAddr a = c.addr(1);
            for (int i = 0; i < IDLE_KV; i++) {
                sockets.add(connect(a.httpPort()));
            }
            for (int i = 0; i < IDLE_PEER; i++) {
                sockets.add(connect(a.peerPort()));
            }
            List<Socket> slow = new ArrayList<>();
            for (int i = 0; i < SLOW_HEADERS; i++) {
                Socket s = connect(i % 2 == 0 ? a.httpPort() : a.peerPort());
                s.getOutputStream().write("PUT /slow HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                slow.add(s);
            }
            for (int i = 0; i < SLOW_BODIES; i++) {
                Socket s = connect(i % 2 == 0 ? a.httpPort() : a.peerPort());
                String path = i % 2 == 0 ? "/slow-body" : "/raft";
                s.getOutputStream()
                        .write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                                        + "X-Etcd-Cluster-ID: 1000\r\nX-Server-From: 2\r\nX-Raft-To: 1\r\n"
                                        + "X-Server-Version: 3.6.0\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                slow.add(s);
            }
            sockets.addAll(slow);
            dribbler = new Thread(
                    () -> {
                        while (dribbling.get()) {
                            for (Socket s : slow) {
                                try {
                                    OutputStream out = s.getOutputStream();
                                    out.write('a');
                                    out.flush();
                                } catch (IOException e) {
                                    // the server closed it: that is allowed
                                }
                            }
                            try {
                                Thread.sleep(500);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    },
                    "slowloris");
            dribbler.setDaemon(true);
            dribbler.start();

            // Well-behaved clients, all the while: every request answered, each within the bound.
            long worst = 0;
            for (int i = 0; i < 40; i++) {
                long start = System.nanoTime();
                assertEquals(204, c.put(1, "/k" + i, "v" + i), "PUT " + i);
                assertEquals("200 v" + i, c.get(1, "/k" + i));
                worst = Math.max(worst, (System.nanoTime() - start) / 1_000_000);
            }
            assertTrue(worst < ANSWER_BOUND_MS, "slowest PUT+GET took " + worst + " ms");
            int threadsDuring = threads(pid);
            // Connections are handled by the selectors; what grows is at most the two fixed pools (64 threads for
            // the API, 32 for the peer port), however many connections there are.
            assertTrue(
                    threadsDuring <= threadsBefore + 64 + 32 + 8, "threads " + threadsBefore + " -> " + threadsDuring);
            assertTrue(c.process(1).isAlive());
            System.out.printf(
                    "abuse: %d idle KV + %d idle peer + %d slow-header + %d slow-body connections; "
                            + "threads %d -> %d; slowest PUT+GET %d ms%n",
                    IDLE_KV, IDLE_PEER, SLOW_HEADERS, SLOW_BODIES, threadsBefore, threadsDuring, worst);
        } finally {
            dribbling.set(false);
            if (dribbler != null) {
                dribbler.interrupt();
                dribbler.join(5_000);
            }
            for (Socket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a socket the server already closed
                }
            }
        }
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        return s;
    }

    /** The number of threads of a process, from /proc. */
    private static int threads(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("Threads:")) {
                return Integer.parseInt(line.substring("Threads:".length()).trim());
            }
        }
        throw new IOException("no thread count for " + pid);
    }
}
