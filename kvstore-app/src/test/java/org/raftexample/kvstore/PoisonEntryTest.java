package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.server.StateMachine;

/**
 * A committed normal entry that holds no key-value record (issue 13) is skipped the same way on every member,
 * also when the members replay it from their WALs after a restart, and the cluster keeps serving.
 */
@Timeout(120)
class PoisonEntryTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final byte[] POISON = "not a key-value record \u00ff".getBytes(StandardCharsets.UTF_8);

    /** KVStores wired to their own nodes and request registries, as RaftExample wires them. */
    private static final class Stores {
        final Map<Long, KVStore> byId = new ConcurrentHashMap<>();
        final Map<Long, RaftKVService> services = new ConcurrentHashMap<>();
        private final InProcessCluster cluster;

        Stores(InProcessCluster cluster) {
            this.cluster = cluster;
        }

        StateMachine make(long id) {
            KVStore s = new KVStore();
            byId.put(id, s);
            return s;
        }

        void bind(InProcessCluster c, int from) {
            for (InProcessCluster.Member m : c.members.subList(from, c.members.size())) {
                long id = m.opts().id();
                services.put(id, new RaftKVService(byId.get(id), m.node()));
            }
        }

        /** Retries a write until one member applies it (proposals are dropped while there is no leader). */
        void write(String key, String value) throws Exception {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                for (RaftKVService s : services.values()) {
                    try {
                        s.put(key, value).get(2, TimeUnit.SECONDS);
                        return;
                    } catch (Exception e) {
                        if (System.nanoTime() > deadline) {
                            throw e;
                        }
                    }
                }
            }
        }

        boolean allHave(String key, String value) {
            return byId.size() == 3
                    && byId.values().stream().allMatch(s -> s.lookup(key).equals(Optional.of(value)));
        }
    }

    @Test
    void aCommittedPoisonEntryIsSkippedOnEveryMemberAcrossARestartOfAll() throws Exception {
        try (InProcessCluster c = new InProcessCluster(3, 10_000, 10_000)) {
            Stores stores = new Stores(c);
            c.startAll(stores::make);
            stores.bind(c, 0);
            stores.write("/before", "1");

            // Proposed locally on every member: the leader's own proposal enters the log (the application
            // never builds such an entry, so this stands for a bug or a version mismatch); the others reach
            // the leader as MsgProp from a peer, which the ProposalFilter drops.
            for (InProcessCluster.Member m : c.members) {
                m.node().propose(POISON);
            }
            stores.write("/after", "2");
            InProcessCluster.await("every member applies /after", WAIT, () -> stores.allHave("/after", "2"));
            long skipped = stores.byId.get(1L).skippedEntries();
            assertTrue(skipped >= 1, "the leader's poison entry was committed and skipped");
            for (KVStore s : stores.byId.values()) {
                assertEquals(skipped, s.skippedEntries(), "every member skips the same entries");
                assertEquals(Optional.of("1"), s.lookup("/before"));
                assertEquals(2, s.size());
            }
            long applied = c.member(0).applied();
            InProcessCluster.await(
                    "applied indexes agree", WAIT, () -> c.members.stream().allMatch(m -> m.applied() == applied));
            for (InProcessCluster.Member m : c.members) {
                assertFalse(m.node().terminated().isDone(), "member " + m.opts().id() + " is still running");
            }

            // Restart every member: each replays the poison entry from its WAL, skips it again, and serves.
            for (InProcessCluster.Member m : c.members) {
                m.node().close();
            }
            int first = c.members.size();
            Stores again = new Stores(c);
            for (long id = 1; id <= 3; id++) {
                c.start(id, c.peers, false, again::make);
            }
            again.bind(c, first);
            InProcessCluster.await(
                    "every member replays its log",
                    WAIT,
                    () -> again.allHave("/before", "1") && again.allHave("/after", "2"));
            again.write("/restarted", "3");
            InProcessCluster.await("every member applies /restarted", WAIT, () -> again.allHave("/restarted", "3"));
            for (KVStore s : again.byId.values()) {
                assertEquals(skipped, s.skippedEntries(), "the replay skips the same entries");
                assertEquals(3, s.size());
            }
            for (InProcessCluster.Member m : c.members.subList(first, c.members.size())) {
                assertFalse(m.node().terminated().isDone(), "member " + m.opts().id() + " is still running");
            }
        }
    }

    @Test
    void aCommittedConfChangeThatDoesNotDecodeIsIgnoredInsteadOfStoppingTheMember() throws Exception {
        try (InProcessCluster c = new InProcessCluster(3, 10_000, 10_000)) {
            Stores stores = new Stores(c);
            c.startAll(stores::make);
            stores.bind(c, 0);
            stores.write("/before", "1");
            InProcessCluster.await("every member applies /before", WAIT, () -> stores.allHave("/before", "1"));
            InProcessCluster.Member leader = c.members.stream()
                    .filter(m -> m.node().isLeader())
                    .findFirst()
                    .orElseThrow();
            InProcessCluster.Member follower =
                    c.members.stream().filter(m -> m != leader).findFirst().orElseThrow();
            long applied = leader.applied();
            InProcessCluster.await("the follower is caught up", WAIT, () -> follower.applied() == applied);
            long term = follower.node().status().hardState().getTerm();
            // What only a forged (or corrupted) append from the leader can carry: a conf change entry
            // that does not decode, committed at once.
            org.raftexample.raftpb.Message forged = org.raftexample.raftpb.Message.newBuilder()
                    .setType(org.raftexample.raftpb.MessageType.MsgApp)
                    .setFrom(leader.opts().id())
                    .setTo(follower.opts().id())
                    .setTerm(term)
                    .setLogTerm(term)
                    .setIndex(applied)
                    .setCommit(applied + 1)
                    .addEntries(org.raftexample.raftpb.Entry.newBuilder()
                            .setType(org.raftexample.raftpb.EntryType.EntryConfChange)
                            .setTerm(term)
                            .setIndex(applied + 1)
                            .setData(com.google.protobuf.ByteString.copyFrom(POISON)))
                    .build();
            follower.node().process(forged);
            InProcessCluster.await("the follower applies past the entry", WAIT, () -> follower.applied() > applied);
            assertFalse(follower.node().terminated().isDone(), "the member is still running");
            assertEquals(3, follower.node().status().config().voters().ids().size(), "membership unchanged");
        }
    }
}
