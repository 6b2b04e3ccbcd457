package org.raftexample.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.ProgressFixtures;
import org.raftexample.raft.tracker.ProgressTracker;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * An in-memory network of raft state machines for tests (etcd's {@code network} from
 * raft_test.go): {@link #send} delivers a message and then, transitively, every message it
 * causes, until the network is quiet; connections can be cut, made lossy, or a message type
 * ignored.
 */
final class Network {
    /** What the network needs from a peer (etcd's stateMachine interface). */
    interface StateMachine {
        void step(Message m);

        List<Message> readMessages();

        void advanceMessagesAfterAppend();
    }

    /** A peer backed by a real raft state machine. */
    record RaftPeer(Raft raft) implements StateMachine {
        @Override
        public void step(Message m) {
            raft.step(m);
        }

        @Override
        public List<Message> readMessages() {
            return RaftTestUtil.readMessages(raft);
        }

        @Override
        public void advanceMessagesAfterAppend() {
            RaftTestUtil.advanceMessagesAfterAppend(raft);
        }
    }

    /** A peer that swallows every message and never answers. */
    static final StateMachine NOP_STEPPER = new StateMachine() {
        @Override
        public void step(Message m) {}

        @Override
        public List<Message> readMessages() {
            return List.of();
        }

        @Override
        public void advanceMessagesAfterAppend() {}
    };

    private record Connection(long from, long to) {}

    final Map<Long, StateMachine> peers;
    final Map<Long, MemoryStorage> storage;
    private Map<Connection, Double> dropm = new HashMap<>();
    private Set<MessageType> ignorem = EnumSet.noneOf(MessageType.class);
    /** Called for each message sent; returning false drops it. */
    Predicate<Message> msgHook;

    private final Random random = new Random(42);

    private Network(Map<Long, StateMachine> peers, Map<Long, MemoryStorage> storage) {
        this.peers = peers;
        this.storage = storage;
    }

    /**
     * A network of the given peers, with ids 1..n in order. Each peer is null (a fresh raft
     * with election 10, heartbeat 1, is created), a {@link Raft} (re-identified and given a
     * configuration of all n peers, keeping its learners), or a {@link StateMachine} such as
     * {@link #NOP_STEPPER}.
     */
    static Network newNetwork(Object... peers) {
        return newNetworkWithConfig(null, peers);
    }

    /** Like {@link #newNetwork}, with {@code configFunc} applied to the configs of fresh rafts. */
    static Network newNetworkWithConfig(Consumer<Config.Builder> configFunc, Object... peers) {
        int size = peers.length;
        long[] peerAddrs = RaftTestUtil.idsBySize(size);
        Map<Long, StateMachine> npeers = new HashMap<>();
        Map<Long, MemoryStorage> nstorage = new HashMap<>();

        for (int j = 0; j < size; j++) {
            long id = peerAddrs[j];
            Object p = peers[j];
            if (p == null) {
                MemoryStorage ms = RaftTestUtil.newTestMemoryStorage(RaftTestUtil.withPeers(peerAddrs));
                nstorage.put(id, ms);
                Config.Builder cfg = RaftTestUtil.newTestConfig(id, 10, 1, ms);
                if (configFunc != null) {
                    configFunc.accept(cfg);
                }
                npeers.put(id, new RaftPeer(Raft.newRaft(cfg.build())));
            } else if (p instanceof Raft v) {
                Set<Long> learners = Set.copyOf(v.trk.config().learners());
                v.id = id;
                v.trk = new ProgressTracker(v.trk.maxInflight(), v.trk.maxInflightBytes());
                for (long peer : peerAddrs) {
                    Progress pr = new Progress();
                    if (learners.contains(peer)) {
                        ProgressFixtures.setIsLearner(pr, true);
                        v.trk.config().learners().add(peer);
                    } else {
                        v.trk.config().voters().incoming().add(peer);
                    }
                    v.trk.progress().put(peer, pr);
                }
                v.reset(v.term);
                npeers.put(id, new RaftPeer(v));
            } else if (p instanceof StateMachine sm) {
                npeers.put(id, sm);
            } else {
                throw new IllegalArgumentException("unexpected state machine type: " + p.getClass());
            }
        }
        return new Network(npeers, nstorage);
    }

    /** The raft state machine of peer {@code id}. */
    Raft raft(long id) {
        return ((RaftPeer) peers.get(id)).raft();
    }

    /** Delivers the messages, and every message they cause, until the network is quiet. */
    void send(Message... msgs) {
        Deque<Message> queue = new ArrayDeque<>(Arrays.asList(msgs));
        while (!queue.isEmpty()) {
            Message m = queue.poll();
            StateMachine p = peers.get(m.getTo());
            try {
                p.step(m);
            } catch (ProposalDroppedException e) {
                // etcd's network ignores the error of Step too
            }
            p.advanceMessagesAfterAppend();
            queue.addAll(filter(p.readMessages()));
        }
    }

    /** Drops the given fraction of messages from {@code from} to {@code to} (1.0 and above: all). */
    void drop(long from, long to, double perc) {
        dropm.put(new Connection(from, to), perc);
    }

    /** Drops everything between the two nodes, in both directions. */
    void cut(long one, long other) {
        drop(one, other, 2.0);
        drop(other, one, 2.0);
    }

    /** Drops everything between {@code id} and every other node. */
    void isolate(long id) {
        for (int i = 0; i < peers.size(); i++) {
            long nid = i + 1;
            if (nid != id) {
                drop(id, nid, 1.0);
                drop(nid, id, 1.0);
            }
        }
    }

    /** Drops every message of the given type. */
    void ignore(MessageType t) {
        ignorem.add(t);
    }

    /** Undoes all drops and ignores. */
    void recover() {
        dropm = new HashMap<>();
        ignorem = EnumSet.noneOf(MessageType.class);
    }

    private List<Message> filter(List<Message> msgs) {
        List<Message> mm = new ArrayList<>();
        for (Message m : msgs) {
            if (ignorem.contains(m.getType())) {
                continue;
            }
            if (m.getType() == MessageType.MsgHup) {
                // Hups never travel over the network.
                throw new IllegalStateException("unexpected msgHup");
            }
            double perc = dropm.getOrDefault(new Connection(m.getFrom(), m.getTo()), 0.0);
            if (random.nextDouble() < perc) {
                continue;
            }
            if (msgHook != null && !msgHook.test(m)) {
                continue;
            }
            mm.add(m);
        }
        return mm;
    }
}
