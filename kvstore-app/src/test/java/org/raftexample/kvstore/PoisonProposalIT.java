package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.wal.WAL;
import org.raftexample.wal.WalContents;

/**
 * The request of issue 13 that took a whole cluster down for good: a MsgProp posted to {@code POST /raft} with
 * the transport's headers, claiming to come from member 1, holding a normal entry that is not a key-value
 * record. Sent to every member (to member 1 in member 2's name), it is dropped before raft (a follower does not
 * forward it, a leader does not append it) and counted ({@code raftexample_server_proposals_filtered_total}),
 * the cluster keeps serving, and so it does after a restart of every member. And the entry itself, committed
 * in every WAL, is skipped and counted ({@code raftexample_server_entries_skipped_total}) on every member, on
 * every restart.
 */
class PoisonProposalIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static Message poison(long from, long to) {
        return Message.newBuilder()
                .setType(MessageType.MsgProp)
                .setFrom(from)
                .setTo(to)
                .addEntries(Entry.newBuilder()
                        .setType(EntryType.EntryNormal)
                        .setData(ByteString.copyFrom("definitely not a key-value record", StandardCharsets.UTF_8)))
                .build();
    }

    @Test
    @Timeout(240)
    void aPoisonProposalIsDroppedAndCountedAndTheClusterServesAcrossARestartOfAll() throws Exception {
        try (NodeProcesses c = new NodeProcesses(3).named("poison-proposal")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/before", "1", WAIT);
            long[] filtered = new long[4];
            for (long id = 1; id <= 3; id++) {
                filtered[(int) id] = ForgedPeerMessagesIT.counter(c, id, ForgedPeerMessagesIT.FILTERED);
            }

            // In member 1's name to the others, and in member 2's to member 1 (a node refuses its own id, 404).
            for (long to = 1; to <= 3; to++) {
                long from = to == 1 ? 2 : 1;
                assertEquals(
                        204,
                        ForgedPeerMessagesIT.post(
                                c, to, "/raft", from, poison(from, to).toByteArray()),
                        "a well-formed message is taken; its proposal is dropped inside");
            }
            // Each member dropped the one it received (a follower does not forward it, the leader does not
            // append it), and counted it.
            for (long id = 1; id <= 3; id++) {
                assertEquals(
                        filtered[(int) id] + 1,
                        ForgedPeerMessagesIT.counter(c, id, ForgedPeerMessagesIT.FILTERED),
                        "proposals dropped by node " + id);
            }
            assertEquals(204, c.put(2, "/after", "2"));
            c.await("every member applied /after", WAIT, () -> everyNodeHas(c, "/after", "2"));
            for (long id = 1; id <= 3; id++) {
                assertEquals(0, ForgedPeerMessagesIT.counter(c, id, ForgedPeerMessagesIT.SKIPPED), "never committed");
            }

            for (long id = 1; id <= 3; id++) {
                assertTrue(c.process(id).isAlive(), "node " + id + " still runs\n" + c.tail(id));
            }
            restartAll(c);
            c.putUntilAcknowledged(3, "/restarted", "3", WAIT);
            c.await(
                    "every member has every write after the restart",
                    WAIT,
                    () -> everyNodeHas(c, "/before", "1")
                            && everyNodeHas(c, "/after", "2")
                            && everyNodeHas(c, "/restarted", "3"));
            for (long id = 1; id <= 3; id++) {
                assertTrue(c.process(id).isAlive(), "node " + id + " still runs\n" + c.tail(id));
                // The replay found no such entry in any log either.
                assertEquals(0, ForgedPeerMessagesIT.counter(c, id, ForgedPeerMessagesIT.SKIPPED), "node " + id);
            }
            for (long id = 1; id <= 3; id++) {
                String log = Files.readString(c.log(id), StandardCharsets.UTF_8);
                // Not "fatal" as such: a SIGTERM racing the raft loop may log one while stopping (reported).
                assertFalse(
                        log.contains("RaftPanicException") || log.contains("cannot decode"),
                        "node " + id + " logged a raft panic or an undecodable entry\n" + c.tail(id));
            }
        }
    }

    /**
     * The other half of the scenario: the poison entry is committed and in every member's WAL (as only a
     * bug, a version mismatch or corruption the CRCs missed could put it there; the proposal path now refuses
     * it). Written into the WALs of a stopped cluster, behind a hard state that commits it: every member skips
     * it as a no-op, counts it, applies past it and serves, and does so again on the next restart of all.
     */
    @Test
    @Timeout(240)
    void aCommittedPoisonEntryInEveryWalIsSkippedAndCountedOnEveryNodeAcrossRestartsOfAll() throws Exception {
        try (NodeProcesses c = new NodeProcesses(3).named("poison-entry")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/before", "1", WAIT);
            // Quiet and identical everywhere: one commit index, applied on every member.
            c.await("every member applied the same index", WAIT, () -> sameAppliedEverywhere(c));
            for (long id = 1; id <= 3; id++) {
                c.kill(id); // no leadership transfer that would append to some logs and not to others
            }

            long poisonIndex = -1;
            for (long id = 1; id <= 3; id++) {
                Path walDir = c.dataDir().resolve("raftexample-" + id);
                WAL wal = WAL.open(walDir, WAL.marker(0, 0));
                try {
                    WalContents all = wal.readAll();
                    Entry last = all.entries().get(all.entries().size() - 1);
                    if (poisonIndex < 0) {
                        poisonIndex = last.getIndex() + 1;
                    }
                    assertEquals(poisonIndex, last.getIndex() + 1, "every member's log ends at the same index");
                    Entry poison = Entry.newBuilder()
                            .setType(EntryType.EntryNormal)
                            .setTerm(last.getTerm())
                            .setIndex(poisonIndex)
                            .setData(ByteString.copyFrom("definitely not a key-value record", StandardCharsets.UTF_8))
                            .build();
                    wal.save(all.hardState().toBuilder().setCommit(poisonIndex).build(), List.of(poison));
                } finally {
                    wal.close();
                }
            }

            for (int round = 1; round <= 2; round++) {
                for (long id = 1; id <= 3; id++) {
                    c.start(id, 3);
                }
                for (long id = 1; id <= 3; id++) {
                    c.awaitUp(id);
                }
                long applyPast = poisonIndex;
                c.await(
                        "every member applied past the poison entry (restart " + round + ")",
                        WAIT,
                        () -> appliedEverywhereAtLeast(c, applyPast));
                for (long id = 1; id <= 3; id++) {
                    assertEquals(
                            1,
                            ForgedPeerMessagesIT.counter(c, id, ForgedPeerMessagesIT.SKIPPED),
                            "node " + id + " skipped the poison entry once (restart " + round + ")");
                    assertTrue(c.process(id).isAlive(), "node " + id + " still runs\n" + c.tail(id));
                }
                c.putUntilAcknowledged(1 + round, "/round-" + round, "ok", WAIT);
                int r = round;
                c.await(
                        "every member has every write (restart " + round + ")",
                        WAIT,
                        () -> everyNodeHas(c, "/before", "1") && everyNodeHas(c, "/round-" + r, "ok"));
                c.await("the replicas agree (restart " + round + ")", WAIT, () -> sameAppliedEverywhere(c));
                for (long id = 1; id <= 3; id++) {
                    assertEquals(143, c.stop(id), "node " + id + " stops cleanly on SIGTERM\n" + c.tail(id));
                }
            }
        }
    }

    /** Whether every member reports the same applied index, equal to its commit index, and the same keys. */
    private static boolean sameAppliedEverywhere(NodeProcesses c) {
        JsonNode one = OpsIT.json(c, 1, "/_raftexample/status");
        if (!one.has("applied")
                || one.path("applied").asLong() != one.path("commit").asLong()) {
            return false;
        }
        for (long id = 2; id <= 3; id++) {
            JsonNode other = OpsIT.json(c, id, "/_raftexample/status");
            if (!one.path("applied").equals(other.path("applied"))
                    || !one.path("commit").equals(other.path("commit"))
                    || !one.path("keys").equals(other.path("keys"))) {
                return false;
            }
        }
        return true;
    }

    private static boolean appliedEverywhereAtLeast(NodeProcesses c, long index) {
        for (long id = 1; id <= 3; id++) {
            if (OpsIT.json(c, id, "/_raftexample/status").path("applied").asLong() < index) {
                return false;
            }
        }
        return true;
    }

    private static void restartAll(NodeProcesses c) throws InterruptedException {
        for (long id = 1; id <= 3; id++) {
            assertEquals(143, c.stop(id), "node " + id + " stops cleanly on SIGTERM\n" + c.tail(id));
        }
        for (long id = 1; id <= 3; id++) {
            c.start(id, 3);
        }
        for (long id = 1; id <= 3; id++) {
            c.awaitUp(id);
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
}
