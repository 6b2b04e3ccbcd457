package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.Message;

/**
 * A barrage of forged peer messages (issue 13) against a running three-node cluster, sent to the real peer
 * endpoints ({@code POST /raft} and {@code POST /raft/snapshot}) with the headers the transport checks, from
 * each member's id and from ids that are not members, while a client writes. Every message gets the answer its
 * kind calls for (404 for a sender that is not a peer of the target), no node stops, every acknowledged write is
 * on every node, the replicas agree (applied index, keys, every forged key-value record on all or none), and every
 * poison proposal is dropped and counted ({@code raftexample_server_proposals_filtered_total}) by the member it
 * was sent to, none committed ({@code raftexample_server_entries_skipped_total} stays 0).
 *
 * <p>The messages come from {@link ForgedMessages}, seeded: {@code -Dforged.seed=N} replays one run,
 * {@code -Dforged.count=N} sets how many messages it sends (default 400).
 */
class ForgedPeerMessagesIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long NON_MEMBER = 0x63;
    private static final long NON_MEMBER_HIGH = 0xdeadbeef_cafef00dL; // an id of 2^63 or more

    @Test
    @Timeout(240)
    void forgedMessagesNeitherStopANodeNorLoseAWriteNorSplitTheReplicas() throws Exception {
        long seed = Long.getLong("forged.seed", System.nanoTime());
        int count = Integer.getInteger("forged.count", 400);
        String replay = " (replay: -Dforged.seed=" + seed + ")";
        try (NodeProcesses c = new NodeProcesses(3).named("forged-peer-messages")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/w-first", "v", WAIT);
            // Every member has applied a write of the first leader, so every one is past term 1.
            c.await("every member applied the first write", WAIT, () -> everyNodeHas(c, "/w-first", "v"));

            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            acknowledged.put("/w-first", "v");
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = new Thread(() -> write(c, acknowledged, writing), "forged-it-writer");
            writer.start();

            ForgedMessages gen = new ForgedMessages(seed, 3, NON_MEMBER, NON_MEMBER_HIGH);
            Map<String, AtomicInteger> kinds = new ConcurrentHashMap<>();
            long[] filteredBefore = new long[4];
            long[] poisonTaken = new long[4];
            for (long id = 1; id <= 3; id++) {
                filteredBefore[(int) id] = counter(c, id, FILTERED);
            }
            try {
                for (int i = 0; i < count; i++) {
                    ForgedMessages.Forged f = gen.next();
                    int status = send(c, f);
                    // A sender that is not one of the target's peers (a non-member, or the target itself) is
                    // refused with 404 before the message is looked at; 503: taken by the transport but dropped
                    // because the node's inbound queue was full.
                    boolean peer = f.sender() >= 1 && f.sender() <= 3 && f.sender() != f.target();
                    int expected = peer ? f.expectedStatus() : 404;
                    // A poison proposal is dropped (and counted) before raft could refuse it: always 204.
                    boolean asExpected =
                            status == expected || (expected == 204 && status == 503 && !(peer && f.poison()));
                    if (peer && f.poison() && status == 204) {
                        poisonTaken[(int) f.target()]++;
                    }
                    kinds.computeIfAbsent(f.kind() + " -> " + expected, k -> new AtomicInteger())
                            .incrementAndGet();
                    if (!asExpected) {
                        fail("message " + i + " (" + f.kind() + ", from " + Long.toHexString(f.sender()) + " to "
                                + f.target() + ") answered " + status + " instead of " + expected + ": "
                                + f.message().toString().replace('\n', ' ') + replay + "\n" + c.tail(f.target()));
                    }
                    Thread.sleep(5); // lets the writer's requests interleave with the barrage
                    if (i % 20 == 0) {
                        assertAllAlive(c, replay);
                        gen.termHint(highestTerm(c));
                    }
                }
            } finally {
                writing.set(false);
                writer.join(30_000);
            }
            assertAllAlive(c, replay);

            // The cluster still takes writes, and every acknowledged one is on every member.
            c.putUntilAcknowledged(2, "/w-last", "v", WAIT);
            acknowledged.put("/w-last", "v");
            c.await(
                    "every acknowledged write on every member" + replay,
                    WAIT,
                    () -> acknowledged.entrySet().stream().allMatch(e -> everyNodeHas(c, e.getKey(), e.getValue())));
            // Forged proposals that held a key-value record were committed like any write: on all or on none.
            for (String key : gen.forgedKeys()) {
                String one = c.get(1, key + "?serializable=true");
                assertEquals(one, c.get(2, key + "?serializable=true"), key + replay);
                assertEquals(one, c.get(3, key + "?serializable=true"), key + replay);
            }
            // The replicas agree: the same applied index and the same number of keys on every member.
            c.await("every member at the same applied index with the same keys" + replay, WAIT, () -> {
                JsonNode one = OpsIT.json(c, 1, "/_raftexample/status");
                for (long id = 2; id <= 3; id++) {
                    JsonNode other = OpsIT.json(c, id, "/_raftexample/status");
                    if (!one.has("applied")
                            || !one.path("applied").equals(other.path("applied"))
                            || !one.path("keys").equals(other.path("keys"))) {
                        return false;
                    }
                }
                return true;
            });
            // Each poison proposal was dropped by the member it was sent to, and counted there; none was
            // committed, so no member skipped an entry.
            for (long id = 1; id <= 3; id++) {
                assertEquals(
                        filteredBefore[(int) id] + poisonTaken[(int) id],
                        counter(c, id, FILTERED),
                        "poison proposals dropped by node " + id + replay);
                assertEquals(0, counter(c, id, SKIPPED), "entries skipped by node " + id + replay);
            }
            assertAllAlive(c, replay);
            for (long id = 1; id <= 3; id++) {
                String log = Files.readString(c.log(id), StandardCharsets.UTF_8);
                assertFalse(
                        log.contains("fatal") || log.contains("RaftPanicException"),
                        "node " + id + " logged a fatal error" + replay + "\n" + c.tail(id));
            }
            long ignoredAcks = 0;
            for (long id = 1; id <= 3; id++) {
                ignoredAcks += countLines(c, id, "beyond its last index");
            }
            System.out.println("forged messages: seed " + seed + ", " + count + " messages " + kinds + ", "
                    + (poisonTaken[1] + poisonTaken[2] + poisonTaken[3]) + " poison proposals dropped, "
                    + acknowledged.size() + " writes acknowledged, final term " + highestTerm(c) + ", "
                    + ignoredAcks + " forged acknowledgements ignored by a leader");
        }
    }

    static final String FILTERED = "raftexample_server_proposals_filtered_total";
    static final String SKIPPED = "raftexample_server_entries_skipped_total";

    /** A counter of a node's metrics, as a whole number. */
    static long counter(NodeProcesses c, long id, String name) throws Exception {
        Double v = OpsIT.metrics(c, id).get(name);
        if (v == null) {
            fail("node " + id + " exports no " + name);
        }
        return v.longValue();
    }

    private static final Pattern TERM = Pattern.compile("became [a-z-]+ at term (\\d+)");

    /** The highest term any node's log says it reached (raft logs every change of role with its term). */
    private static long highestTerm(NodeProcesses c) throws IOException {
        long max = 0;
        for (long id = 1; id <= 3; id++) {
            Matcher m = TERM.matcher(Files.readString(c.log(id), StandardCharsets.UTF_8));
            while (m.find()) {
                max = Math.max(max, Long.parseLong(m.group(1)));
            }
        }
        return max;
    }

    /** How many lines of a node's log contain {@code text}. */
    private static long countLines(NodeProcesses c, long id, String text) throws IOException {
        return Files.readAllLines(c.log(id), StandardCharsets.UTF_8).stream()
                .filter(l -> l.contains(text))
                .count();
    }

    private static void write(NodeProcesses c, Map<String, String> acknowledged, AtomicBoolean writing) {
        int i = 0;
        while (writing.get()) {
            String key = "/w-" + i;
            String value = "v-" + i;
            try {
                if (c.put(1 + i % 3, key, value) == 204) {
                    acknowledged.put(key, value);
                }
            } catch (InterruptedException e) {
                return;
            }
            i++;
        }
    }

    private static boolean everyNodeHas(NodeProcesses c, String key, String value) {
        try {
            for (long id = 1; id <= 3; id++) {
                if (!c.get(id, key + "?serializable=true").equals("200 " + value)) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void assertAllAlive(NodeProcesses c, String replay) {
        for (long id = 1; id <= 3; id++) {
            if (!c.process(id).isAlive()) {
                fail("node " + id + " stopped with exit code " + c.process(id).exitValue() + replay + "\n"
                        + c.tail(id));
            }
        }
    }

    /** Posts the message to its target's peer port as a member's transport would; returns the status. */
    static int send(NodeProcesses c, ForgedMessages.Forged f) throws IOException, InterruptedException {
        Message m = f.message();
        byte[] body;
        String path;
        if (f.snapshotEndpoint()) {
            path = "/raft/snapshot";
            byte[] header = m.toBuilder()
                    .setSnapshot(m.getSnapshot().toBuilder().clearData())
                    .build()
                    .toByteArray();
            byte[] data = m.getSnapshot().getData().toByteArray();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(out);
            d.writeInt(header.length);
            d.write(header);
            d.writeLong(data.length);
            d.write(data);
            body = out.toByteArray();
        } else {
            path = "/raft";
            body = m.toByteArray();
        }
        return post(c, f.target(), path, f.sender(), body);
    }

    static int post(NodeProcesses c, long target, String path, long sender, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(c.addr(target).peerUrl() + path))
                .header("X-Server-Version", "1.0.0")
                .header("X-Min-Cluster-Version", "1.0.0")
                .header("X-Etcd-Cluster-ID", "1000")
                .header("X-Server-From", Long.toHexString(sender))
                .header("X-Raft-To", Long.toHexString(target))
                .header("Content-Type", "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .timeout(Duration.ofSeconds(15))
                .build();
        return c.http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
