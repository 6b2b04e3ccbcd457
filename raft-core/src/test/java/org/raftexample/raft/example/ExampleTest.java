package org.raftexample.raft.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.Config;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raft.Peer;
import org.raftexample.raft.RawNode;
import org.raftexample.raft.Ready;
import org.raftexample.raft.SnapshotStatus;
import org.raftexample.raft.StateType;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;

/**
 * How to embed raft-core, as a program you can copy: three raft nodes in one process, driven
 * through {@link RawNode} by one thread, with {@link MemoryStorage} standing in for the disk and a
 * list per node standing in for the network (the Java counterpart of etcd raft's
 * {@code example_test.go}, grown into a whole cluster). It uses nothing but the public API.
 *
 * <p>{@link Member#handle(Ready)} is the part every application writes: the four obligations of
 * etcd raft's README, in order: (1) persist the Ready's snapshot, entries and hard state; (2) send
 * its messages, reporting the outcome of every MsgSnap; (3) apply its committed entries, passing
 * every conf change to {@code applyConfChange}; (4) {@code advance}. The state machine is a
 * sorted map of strings; a snapshot is its text form, taken every {@link #SNAPSHOT_EVERY} applied
 * entries, after which the log before it is compacted.
 */
class ExampleTest {
    private static final int SNAPSHOT_EVERY = 50;

    /** One raft node with its storage, its state machine and its inbox. */
    static final class Member {
        final long id;
        final MemoryStorage storage = new MemoryStorage();
        final RawNode node;
        final Map<String, String> kv = new TreeMap<>();
        final List<Message> inbox = new ArrayList<>();
        ConfState confState = ConfState.getDefaultInstance();
        long applied;
        long lastSnapshotIndex;
        int snapshotsReceived;
        private final Cluster cluster;

        Member(long id, List<Peer> peers, Cluster cluster) {
            this.id = id;
            this.cluster = cluster;
            Config config = Config.builder()
                    .id(id)
                    .electionTick(10)
                    .heartbeatTick(1)
                    .storage(storage)
                    .maxSizePerMsg(1024 * 1024)
                    .maxInflightMsgs(256)
                    .preVote(true)
                    .checkQuorum(true)
                    .build();
            node = new RawNode(config);
            // A brand-new cluster: every member starts with the same initial configuration.
            node.bootstrap(peers);
        }

        /** Handles one Ready: the whole contract between raft and the application. */
        void handle(Ready rd) throws InvalidProtocolBufferException {
            // (1) Persist. A real application writes a WAL and syncs it when rd.mustSync().
            if (rd.snapshot() != null) {
                storage.applySnapshot(rd.snapshot());
                restore(rd.snapshot());
            }
            storage.append(rd.entries());
            if (rd.hardState() != null) {
                storage.setHardState(rd.hardState());
            }
            // (2) Send, only now that what they promise is durable.
            for (Message m : rd.messages()) {
                boolean delivered = cluster.deliver(m);
                if (m.getType() == MessageType.MsgSnap) {
                    node.reportSnapshot(
                            m.getTo(), delivered ? SnapshotStatus.SnapshotFinish : SnapshotStatus.SnapshotFailure);
                }
            }
            // (3) Apply, in order; conf changes go back to raft.
            for (Entry e : rd.committedEntries()) {
                switch (e.getType()) {
                    case EntryNormal -> {
                        if (!e.getData().isEmpty()) { // a new leader's empty entry carries nothing
                            String[] kvPair = e.getData().toStringUtf8().split("=", 2);
                            kv.put(kvPair[0], kvPair[1]);
                        }
                    }
                    case EntryConfChange -> confState = node.applyConfChange(ConfChange.parseFrom(e.getData()));
                    case EntryConfChangeV2 -> confState = node.applyConfChange(ConfChangeV2.parseFrom(e.getData()));
                    default -> throw new IllegalStateException("unknown entry type " + e.getType());
                }
                applied = e.getIndex();
            }
            maybeSnapshot();
            // (4) Tell raft this Ready is done; the next one may come.
            node.advance(rd);
        }

        private void maybeSnapshot() {
            if (applied - lastSnapshotIndex < SNAPSHOT_EVERY) {
                return;
            }
            StringBuilder state = new StringBuilder();
            kv.forEach((k, v) -> state.append(k).append('=').append(v).append('\n'));
            storage.createSnapshot(applied, confState, ByteString.copyFromUtf8(state.toString()));
            storage.compact(applied);
            lastSnapshotIndex = applied;
        }

        private void restore(Snapshot snap) {
            kv.clear();
            for (String line : snap.getData().toString(StandardCharsets.UTF_8).split("\n")) {
                if (!line.isEmpty()) {
                    String[] kvPair = line.split("=", 2);
                    kv.put(kvPair[0], kvPair[1]);
                }
            }
            confState = snap.getMetadata().getConfState();
            applied = snap.getMetadata().getIndex();
            lastSnapshotIndex = applied;
            snapshotsReceived++;
        }
    }

    /** The members and the in-memory network between them; one thread drives it all. */
    static final class Cluster {
        final Map<Long, Member> members = new LinkedHashMap<>();
        final Set<Long> isolated = new HashSet<>();

        Cluster(int size) {
            List<Peer> peers = new ArrayList<>();
            for (long id = 1; id <= size; id++) {
                peers.add(new Peer(id));
            }
            for (long id = 1; id <= size; id++) {
                members.put(id, new Member(id, peers, this));
            }
        }

        Member member(long id) {
            return members.get(id);
        }

        /** Puts a message in its recipient's inbox unless a partition drops it. */
        boolean deliver(Message m) {
            if (isolated.contains(m.getFrom()) || isolated.contains(m.getTo())) {
                return false;
            }
            members.get(m.getTo()).inbox.add(m);
            return true;
        }

        /** One tick of the logical clock on every member, then everything that follows from it. */
        void tick() throws InvalidProtocolBufferException {
            members.values().forEach(mb -> mb.node.tick());
            settle();
        }

        /** Delivers messages and handles Readys until nothing moves. */
        void settle() throws InvalidProtocolBufferException {
            boolean busy = true;
            while (busy) {
                busy = false;
                for (Member mb : members.values()) {
                    List<Message> in = new ArrayList<>(mb.inbox);
                    mb.inbox.clear();
                    for (Message m : in) {
                        mb.node.step(m);
                    }
                    while (mb.node.hasReady()) {
                        mb.handle(mb.node.ready());
                        busy = true;
                    }
                }
            }
        }

        long leader() {
            for (Member mb : members.values()) {
                if (mb.node.basicStatus().raftState() == StateType.StateLeader) {
                    return mb.id;
                }
            }
            return RawNode.NONE;
        }

        /** Ticks until the condition holds; fails after a generous number of ticks. */
        void tickUntil(BooleanSupplier done, String what) throws InvalidProtocolBufferException {
            for (int i = 0; i < 1000; i++) {
                if (done.getAsBoolean()) {
                    return;
                }
                tick();
            }
            throw new AssertionError("not reached after 1000 ticks: " + what);
        }
    }

    @Test
    @Timeout(60)
    void threeNodesElectALeaderReplicateAndCatchUpALaggardThroughASnapshot() throws Exception {
        Cluster c = new Cluster(3);
        c.settle(); // the bootstrap entries
        c.member(1).node.campaign();
        c.settle();
        c.tickUntil(() -> c.leader() != RawNode.NONE, "a leader");
        long leader = c.leader();

        for (int i = 0; i < 100; i++) {
            c.member(leader).node.propose(("key" + i + "=value" + i).getBytes(StandardCharsets.UTF_8));
        }
        c.settle();
        c.tickUntil(() -> c.members.values().stream().allMatch(mb -> mb.kv.size() == 100), "100 keys everywhere");
        Map<String, String> want = new TreeMap<>(c.member(leader).kv);
        for (Member mb : c.members.values()) {
            assertEquals(want, mb.kv, "state machine of node " + mb.id);
        }

        // A follower misses enough writes that the leader compacts them away: it can only catch
        // up through a snapshot.
        long laggard = leader == 3 ? 2 : 3;
        c.isolated.add(laggard);
        for (int i = 100; i < 300; i++) {
            c.member(leader).node.propose(("key" + i + "=value" + i).getBytes(StandardCharsets.UTF_8));
            c.settle();
        }
        assertTrue(
                c.member(leader).storage.firstIndex() > c.member(laggard).applied + 1,
                "the leader compacted entries the laggard has not got");
        c.isolated.clear();
        c.tickUntil(() -> c.member(laggard).kv.size() == 300, "the laggard catches up");

        assertTrue(c.member(laggard).snapshotsReceived > 0, "the laggard was sent a snapshot");
        want = new TreeMap<>(c.member(c.leader()).kv);
        assertEquals(300, want.size());
        for (Member mb : c.members.values()) {
            assertEquals(want, mb.kv, "state machine of node " + mb.id);
        }
    }
}
