package org.raftexample.raft;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeSingle;
import org.raftexample.raftpb.ConfChangeTransition;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * A seeded, single-threaded simulation of a raft cluster over a faulty network, checking Raft's
 * safety properties after every step.
 *
 * <p>Everything random comes from one seed, so a failure replays exactly. The network drops,
 * delays (and so reorders) and duplicates messages and can be partitioned; nodes crash, losing
 * everything their storage had not yet made durable, and restart from that storage. Meanwhile
 * clients propose, the leader changes the configuration (simple and joint changes, learners) and
 * transfers leadership. Once the faults stop, a leader must emerge and commit a proposal within
 * a bounded number of ticks.
 */
final class Simulation {

    /** The knobs of one run. */
    record Params(
            long seed,
            int voters,
            boolean preVoteCheckQuorum,
            boolean asyncStorageWrites,
            int faultTicks,
            int livenessTicks,
            boolean corruptAnAppend) {
        Params(
                long seed,
                int voters,
                boolean preVoteCheckQuorum,
                boolean asyncStorageWrites,
                int faultTicks,
                int livenessTicks) {
            this(seed, voters, preVoteCheckQuorum, asyncStorageWrites, faultTicks, livenessTicks, false);
        }

        @Override
        public String toString() {
            return "seed=" + seed + " voters=" + voters + " preVote+checkQuorum=" + preVoteCheckQuorum
                    + " asyncStorageWrites=" + asyncStorageWrites + " faultTicks=" + faultTicks;
        }
    }

    /** Thrown when an invariant breaks; the message names the invariant and the step. */
    static final class SafetyViolation extends AssertionError {
        private static final long serialVersionUID = 1L;

        SafetyViolation(String message) {
            super(message);
        }
    }

    private static final int STEPS_PER_TICK = 8;
    /** -Draft.sim.trace=true prints every node's raft log and every delivered message (for replays). */
    private static final boolean TRACE = Boolean.getBoolean("raft.sim.trace");

    private static final int ELECTION_TICK = 10;
    private static final int HEARTBEAT_TICK = 1;
    /**
     * Removals stop at three voters. Below that, a cluster can strand itself in ways Raft does
     * not promise to recover from (say a lone voter whose only peer with the newer log has
     * removed itself), which would test the scenario generator rather than raft.
     */
    private static final int MIN_VOTERS = 3;

    private final Params params;
    private final SplittableRandom rnd;
    private final Map<Long, SimNode> nodes = new HashMap<>();
    private final List<Long> ids = new ArrayList<>();
    private final List<InFlight> network = new ArrayList<>();
    private final Set<Long> isolated = new HashSet<>();
    private Set<Long> partitionSide = Set.of();
    private double dropRate;
    private double dupRate;
    private long now;
    private long proposalCounter;
    private boolean corrupted;

    // Global knowledge the invariants are checked against.
    private final Stats stats = new Stats();
    private final Map<Long, Long> leaderOfTerm = new HashMap<>();
    private final Map<Long, EntryId> persistedEntries = new HashMap<>();
    private final Map<Long, Applied> appliedGlobal = new HashMap<>();
    private long maxApplied;

    Simulation(Params params) {
        this.params = params;
        this.rnd = new SplittableRandom(params.seed());
    }

    /** Runs the whole scenario; throws {@link SafetyViolation} (or any raft panic) on failure. */
    Stats run() {
        int universe = params.voters() + 1; // one spare node that can be added later
        List<Long> initialVoters = new ArrayList<>();
        for (long id = 1; id <= universe; id++) {
            ids.add(id);
            if (id <= params.voters()) {
                initialVoters.add(id);
            }
        }
        for (long id : ids) {
            SimNode n = new SimNode(id);
            if (id <= params.voters()) {
                n.disk.applySnapshot(Snapshot.newBuilder()
                        .setMetadata(SnapshotMetadata.newBuilder()
                                .setIndex(1)
                                .setTerm(1)
                                .setConfState(ConfState.newBuilder().addAllVoters(initialVoters)))
                        .setData(encodeState(1, 0))
                        .build());
            }
            nodes.put(id, n);
            n.start();
        }

        dropRate = 0.05;
        dupRate = 0.02;
        long faultEnd = (long) params.faultTicks() * STEPS_PER_TICK;
        for (; now < faultEnd; now++) {
            faults();
            step();
        }
        healEverything();
        liveness();
        convergence();
        stats.appliedIndex = maxApplied;
        return stats;
    }

    /** Counters of what a run exercised, to show the simulation did real work. */
    static final class Stats {
        long proposals;
        long confChanges;
        long transfers;
        long crashes;
        long partitions;
        long snapshotsSent;
        long elections;
        long appliedIndex;
        long livenessTicks;

        synchronized void add(Stats o) {
            proposals += o.proposals;
            confChanges += o.confChanges;
            transfers += o.transfers;
            crashes += o.crashes;
            partitions += o.partitions;
            snapshotsSent += o.snapshotsSent;
            elections += o.elections;
            appliedIndex += o.appliedIndex;
            livenessTicks = Math.max(livenessTicks, o.livenessTicks);
        }

        @Override
        public String toString() {
            return "proposals=" + proposals + " confChanges=" + confChanges + " transfers=" + transfers
                    + " crashes=" + crashes + " partitions=" + partitions + " snapshotsSent=" + snapshotsSent
                    + " elections=" + elections + " applied=" + appliedIndex
                    + " maxTicksToCommitAfterFaults=" + livenessTicks;
        }
    }

    // ---------------------------------------------------------------- the step

    private void step() {
        if (now % STEPS_PER_TICK == 0) {
            for (SimNode n : aliveNodes()) {
                if (rnd.nextInt(20) != 0) { // clocks drift: a node sometimes misses a tick
                    n.rn.tick();
                }
            }
        }
        deliverDueMessages();
        for (SimNode n : aliveNodes()) {
            if (params.asyncStorageWrites()) {
                if (rnd.nextInt(4) != 0 && n.rn.hasReady()) {
                    handleReadyAsync(n);
                }
                if (!n.appendWork.isEmpty() && rnd.nextInt(3) == 0) {
                    processAppendWork(n);
                }
                if (!n.applyWork.isEmpty() && rnd.nextInt(3) == 0) {
                    processApplyWork(n);
                }
            } else if (rnd.nextInt(4) != 0 && n.rn.hasReady()) {
                handleReadySync(n);
            }
            if (rnd.nextInt(400) == 0) {
                n.maybeCompact();
            }
        }
        checkLeaders();
    }

    private void faults() {
        int roll = rnd.nextInt(1000);
        if (roll < 60) {
            propose(randomAlive());
        } else if (roll < 64) {
            proposeConfChange();
        } else if (roll < 66) {
            transferLeadership();
        } else if (roll < 68) {
            SimNode n = randomAlive();
            if (n != null && aliveNodes().size() > 1) {
                n.crash();
                stats.crashes++;
            }
        } else if (roll < 74) {
            for (SimNode n : nodes.values()) {
                if (n.rn == null && rnd.nextBoolean()) {
                    n.start();
                }
            }
        } else if (roll < 76) {
            Set<Long> side = new HashSet<>();
            for (long id : ids) {
                if (rnd.nextBoolean()) {
                    side.add(id);
                }
            }
            partitionSide = side;
            stats.partitions++;
        } else if (roll < 78) {
            isolated.clear();
            isolated.add(ids.get(rnd.nextInt(ids.size())));
            stats.partitions++;
        } else if (roll < 84) {
            partitionSide = Set.of();
            isolated.clear();
        }
    }

    private void healEverything() {
        partitionSide = Set.of();
        isolated.clear();
        dropRate = 0;
        dupRate = 0;
        for (SimNode n : nodes.values()) {
            if (n.rn == null) {
                n.start();
            }
        }
    }

    /**
     * Keeps running exactly the nodes some other node counts, as an operator of raftexample
     * would: a removed node shuts itself down, a node added (back) is started.
     *
     * <p>Without PreVote a removed node that never learnt of its removal keeps campaigning with
     * ever higher terms and can starve the real members forever (the disruptive server of the
     * Raft thesis, 4.2.3), so it has to go. But a node stays while any other running node's
     * applied configuration includes it, since that node may need its vote or acknowledgement;
     * and a conf change still in flight can bring it back, in which case it is started again.
     */
    private void runTheMembers() {
        SimNode mostApplied = null;
        for (SimNode n : aliveNodes()) {
            if (mostApplied == null || n.applied > mostApplied.applied) {
                mostApplied = n;
            }
        }
        for (long id : ids) {
            SimNode n = nodes.get(id);
            boolean counted =
                    mostApplied != null && members(mostApplied.confState).contains(id);
            for (SimNode other : aliveNodes()) {
                counted |= other != n && members(other.confState).contains(id);
            }
            if (!counted && n.rn != null) {
                if (TRACE) {
                    System.out.println("step " + now + " retiring " + id + ": " + describeCluster());
                }
                n.crash();
            } else if (counted && n.rn == null) {
                n.start();
            }
        }
    }

    private static Set<Long> members(ConfState cs) {
        Set<Long> members = new HashSet<>();
        members.addAll(cs.getVotersList());
        members.addAll(cs.getVotersOutgoingList());
        members.addAll(cs.getLearnersList());
        members.addAll(cs.getLearnersNextList());
        return members;
    }

    /** After the faults: a leader is elected and a fresh proposal commits within a bounded time. */
    private void liveness() {
        ByteString marker = ByteString.copyFromUtf8("liveness-" + params.seed());
        long deadline = now + (long) params.livenessTicks() * STEPS_PER_TICK;
        boolean committed = false;
        for (; now < deadline; now++) {
            if (now % (STEPS_PER_TICK * 2) == 0) {
                SimNode leader = currentLeader();
                if (leader != null) {
                    try {
                        leader.rn.propose(marker.toByteArray());
                    } catch (ProposalDroppedException e) {
                        // a transfer or a conf change in progress; try again later
                    }
                }
            }
            runTheMembers();
            step();
            if (nodes.values().stream().anyMatch(n -> n.appliedMarker(marker))) {
                committed = true;
                break;
            }
        }
        stats.livenessTicks = (now / STEPS_PER_TICK) - params.faultTicks();
        if (!committed) {
            throw new SafetyViolation("liveness: no proposal committed within " + params.livenessTicks()
                    + " ticks after the faults stopped; " + describeCluster());
        }
    }

    /**
     * Once a leader commits again, every member of its configuration catches up to its commit
     * index, applying exactly what every other node applied: nothing committed was lost.
     */
    private void convergence() {
        long deadline = now + 200L * STEPS_PER_TICK;
        for (; now < deadline; now++) {
            SimNode leader = currentLeader();
            if (leader != null) {
                long commit = leader.raft().raftLog.committed;
                boolean caughtUp = true;
                for (long id : leader.raft().trk.config().voters().incoming()) {
                    if (nodes.get(id).applied < commit) {
                        caughtUp = false;
                    }
                }
                if (caughtUp && commit >= maxApplied) {
                    return;
                }
            }
            runTheMembers();
            step();
        }
        throw new SafetyViolation("convergence: the voters did not all apply the leader's commit index within 200 "
                + "ticks; " + describeCluster());
    }

    // ---------------------------------------------------------------- client actions

    private void propose(SimNode n) {
        if (n == null) {
            return;
        }
        byte[] data = ("p" + (++proposalCounter)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            n.rn.propose(data);
            stats.proposals++;
        } catch (ProposalDroppedException e) {
            // no leader known, or a transfer in progress: raft refuses, as it should
        }
    }

    private void proposeConfChange() {
        SimNode leader = currentLeader();
        if (leader == null) {
            return;
        }
        Raft r = leader.raft();
        Set<Long> voters = new TreeSet<>(r.trk.config().voters().incoming());
        Set<Long> learners = new TreeSet<>(
                r.trk.config().learners() == null ? Set.of() : r.trk.config().learners());
        boolean joint = !r.trk.config().voters().outgoing().isEmpty();
        try {
            if (joint) {
                leader.rn.proposeConfChange(ConfChangeV2.getDefaultInstance()); // leave the joint config
                stats.confChanges++;
                return;
            }
            long target = ids.get(rnd.nextInt(ids.size()));
            int kind = rnd.nextInt(4);
            if (kind == 0 && voters.contains(target) && voters.size() > MIN_VOTERS) {
                leader.rn.proposeConfChange(ConfChange.newBuilder()
                        .setType(ConfChangeType.ConfChangeRemoveNode)
                        .setNodeId(target)
                        .build());
            } else if (kind == 1 && !voters.contains(target)) {
                leader.rn.proposeConfChange(ConfChange.newBuilder()
                        .setType(ConfChangeType.ConfChangeAddNode)
                        .setNodeId(target)
                        .build());
            } else if (kind == 2 && !voters.contains(target) && !learners.contains(target)) {
                leader.rn.proposeConfChange(ConfChange.newBuilder()
                        .setType(ConfChangeType.ConfChangeAddLearnerNode)
                        .setNodeId(target)
                        .build());
            } else {
                // A joint change: swap one voter for another id (demoting or removing it).
                List<Long> vs = new ArrayList<>(voters);
                long out = vs.get(rnd.nextInt(vs.size()));
                long in = ids.get(rnd.nextInt(ids.size()));
                if (voters.contains(in)) {
                    return;
                }
                ConfChangeV2.Builder cc = ConfChangeV2.newBuilder()
                        .setTransition(
                                rnd.nextBoolean()
                                        ? ConfChangeTransition.ConfChangeTransitionAuto
                                        : ConfChangeTransition.ConfChangeTransitionJointExplicit)
                        .addChanges(ConfChangeSingle.newBuilder()
                                .setType(ConfChangeType.ConfChangeAddNode)
                                .setNodeId(in))
                        .addChanges(ConfChangeSingle.newBuilder()
                                .setType(
                                        rnd.nextBoolean()
                                                ? ConfChangeType.ConfChangeRemoveNode
                                                : ConfChangeType.ConfChangeAddLearnerNode)
                                .setNodeId(out));
                leader.rn.proposeConfChange(cc.build());
            }
            stats.confChanges++;
        } catch (ProposalDroppedException e) {
            // transfer in progress
        }
    }

    private void transferLeadership() {
        SimNode leader = currentLeader();
        if (leader == null) {
            return;
        }
        List<Long> voters = new ArrayList<>(leader.raft().trk.config().voters().incoming());
        long to = voters.get(rnd.nextInt(voters.size()));
        leader.rn.transferLeader(to);
        stats.transfers++;
    }

    // ---------------------------------------------------------------- Ready handling

    /** The synchronous contract: persist, send, apply, advance. Persistence is atomic here. */
    private void handleReadySync(SimNode n) {
        Ready rd = n.rn.ready();
        if (rd.snapshot() != null && !isEmptySnap(rd.snapshot())) {
            try {
                n.disk.applySnapshot(rd.snapshot());
            } catch (SnapOutOfDateException e) {
                throw violation("node " + n.id + " was handed snapshot "
                        + rd.snapshot().getMetadata().getIndex()
                        + " older than its storage's "
                        + n.disk.snapshot().getMetadata().getIndex()
                        + " (applied " + n.applied + ", committed " + n.raft().raftLog.committed + ")");
            }
            n.restoreStateMachine(rd.snapshot());
        }
        if (rd.hardState() != null && !isEmptyHardState(rd.hardState())) {
            n.disk.setHardState(rd.hardState());
        }
        if (!rd.entries().isEmpty()) {
            n.disk.append(rd.entries());
            recordPersisted(n, rd.entries());
        }
        for (Message m : rd.messages()) {
            send(m);
        }
        n.apply(rd.committedEntries());
        n.rn.advance(rd);
    }

    /** The asynchronous contract: storage work goes to the node's append and apply queues. */
    private void handleReadyAsync(SimNode n) {
        Ready rd = n.rn.ready();
        for (Message m : rd.messages()) {
            if (m.getTo() == Raft.LOCAL_APPEND_THREAD) {
                n.appendWork.add(m);
            } else if (m.getTo() == Raft.LOCAL_APPLY_THREAD) {
                n.applyWork.add(m);
            } else {
                send(m);
            }
        }
    }

    private void processAppendWork(SimNode n) {
        Message m = n.appendWork.poll();
        HardState hs = HardState.newBuilder()
                .setTerm(m.getTerm())
                .setVote(m.getVote())
                .setCommit(m.getCommit())
                .build();
        if (m.hasSnapshot() && !isEmptySnap(m.getSnapshot())) {
            n.disk.applySnapshot(m.getSnapshot());
            n.restoreStateMachine(m.getSnapshot());
        }
        if (m.hasTerm() || m.hasVote() || m.hasCommit()) {
            n.disk.setHardState(hs);
        }
        if (m.getEntriesCount() > 0) {
            n.disk.append(m.getEntriesList());
            recordPersisted(n, m.getEntriesList());
        }
        for (Message resp : m.getResponsesList()) {
            send(resp);
        }
    }

    private void processApplyWork(SimNode n) {
        Message m = n.applyWork.poll();
        n.apply(m.getEntriesList());
        for (Message resp : m.getResponsesList()) {
            send(resp);
        }
    }

    // ---------------------------------------------------------------- the network

    private record InFlight(Message msg, long deliverAt) {}

    private void send(Message m) {
        if (m.getTo() == m.getFrom()
                || m.getFrom() == Raft.LOCAL_APPEND_THREAD
                || m.getFrom() == Raft.LOCAL_APPLY_THREAD) {
            // A local response (a storage thread's acknowledgement, or a leader's own vote or
            // append response): it never crosses the network and is never lost but in a crash.
            SimNode self = nodes.get(m.getTo());
            if (self.rn != null) {
                try {
                    self.rn.step(m);
                } catch (StepPeerNotFoundException e) {
                    // the node removed itself from the configuration meanwhile
                }
            }
            return;
        }
        if (m.getType() == MessageType.MsgSnap) {
            stats.snapshotsSent++;
            m = freshSnapshot(m);
        }
        if (params.corruptAnAppend()
                && !corrupted
                && now > 800
                && m.getType() == MessageType.MsgApp
                && m.getEntriesCount() > 0) {
            // A deliberately broken network, used only to show that the checks catch it: one
            // entry's payload changes in transit, so two nodes persist different entries under
            // the same index and term.
            corrupted = true;
            Message.Builder b = m.toBuilder();
            int last = m.getEntriesCount() - 1;
            b.setEntries(last, m.getEntries(last).toBuilder().setData(ByteString.copyFromUtf8("corrupted")));
            m = b.build();
        }
        long delay = 1 + rnd.nextInt(3 * STEPS_PER_TICK);
        network.add(new InFlight(m, now + delay));
        if (rnd.nextDouble() < dupRate) {
            network.add(new InFlight(m, now + delay + rnd.nextInt(2 * STEPS_PER_TICK)));
        }
    }

    /**
     * Replaces the snapshot raft chose (the one in storage, possibly old) with one of the
     * sender's current applied state and configuration, as etcd's server does when it sends a
     * snapshot. A member added after the stored snapshot's index would refuse the stored one (it
     * is not in its configuration) and never catch up.
     */
    private Message freshSnapshot(Message m) {
        SimNode sender = nodes.get(m.getFrom());
        long index = sender.applied;
        if (index <= m.getSnapshot().getMetadata().getIndex()) {
            return m;
        }
        Snapshot snap = Snapshot.newBuilder()
                .setData(encodeState(index, sender.stateHash))
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setIndex(index)
                        .setTerm(sender.raft().raftLog.term(index))
                        .setConfState(sender.confState))
                .build();
        return m.toBuilder().setSnapshot(snap).build();
    }

    private void deliverDueMessages() {
        List<InFlight> due = new ArrayList<>();
        network.removeIf(f -> {
            if (f.deliverAt() <= now) {
                due.add(f);
                return true;
            }
            return false;
        });
        for (InFlight f : due) {
            Message m = f.msg();
            SimNode from = nodes.get(m.getFrom());
            SimNode to = nodes.get(m.getTo());
            boolean lost = to == null || to.rn == null || cut(m.getFrom(), m.getTo()) || rnd.nextDouble() < dropRate;
            if (lost) {
                if (from != null && from.rn != null) {
                    if (m.getType() == MessageType.MsgSnap) {
                        from.rn.reportSnapshot(m.getTo(), SnapshotStatus.SnapshotFailure);
                    } else if (rnd.nextInt(4) == 0) {
                        from.rn.reportUnreachable(m.getTo());
                    }
                }
                continue;
            }
            if (TRACE) {
                System.out.println("step " + now + " deliver " + Util.describeMessage(m, null));
            }
            try {
                to.rn.step(m);
            } catch (StepPeerNotFoundException | ProposalDroppedException e) {
                // Raft refuses these (a response from a peer that left the configuration, a
                // forwarded proposal while no leader is known) and the sender retries or gives up,
                // just as a real application ignores the error Step returns.
            }
            if (m.getType() == MessageType.MsgSnap && from != null && from.rn != null) {
                from.rn.reportSnapshot(m.getTo(), SnapshotStatus.SnapshotFinish);
            }
        }
    }

    private boolean cut(long a, long b) {
        if (isolated.contains(a) != isolated.contains(b)) {
            return true;
        }
        return partitionSide.contains(a) != partitionSide.contains(b);
    }

    // ---------------------------------------------------------------- invariants

    /** An entry as identified by the log: its term, its payload and the term before it. */
    private record EntryId(long term, ByteString data, long prevTerm) {}

    private record Applied(long term, ByteString data, long stateHash) {}

    /**
     * Log matching: an (index, term) pair names one entry, with one payload and one predecessor
     * term, on every node that ever persisted it. By induction this makes two logs that agree
     * on an (index, term) identical up to that index.
     */
    private void recordPersisted(SimNode n, List<Entry> ents) {
        for (Entry e : ents) {
            long prevTerm;
            try {
                prevTerm = n.disk.term(e.getIndex() - 1);
            } catch (CompactedException ex) {
                prevTerm = -1;
            }
            long key = e.getIndex() * 1_000_003L + e.getTerm(); // index and term, packed
            EntryId id = new EntryId(e.getTerm(), e.getData(), prevTerm);
            EntryId seen = persistedEntries.putIfAbsent(key, id);
            if (seen != null && !sameEntry(seen, id)) {
                throw violation("log matching: node " + n.id + " persisted index " + e.getIndex() + " term "
                        + e.getTerm() + " as " + id + " but another node has " + seen);
            }
        }
    }

    private static boolean sameEntry(EntryId a, EntryId b) {
        return a.term() == b.term()
                && a.data().equals(b.data())
                && (a.prevTerm() == -1 || b.prevTerm() == -1 || a.prevTerm() == b.prevTerm());
    }

    /** Election safety and leader completeness, checked whenever a node is leader. */
    private void checkLeaders() {
        for (SimNode n : aliveNodes()) {
            Raft r = n.raft();
            if (r.state != StateType.StateLeader) {
                continue;
            }
            Long prev = leaderOfTerm.putIfAbsent(r.term, n.id);
            if (prev == null) {
                stats.elections++;
                checkLeaderCompleteness(n);
            } else if (prev != n.id) {
                throw violation("election safety: nodes " + prev + " and " + n.id + " both led term " + r.term);
            }
        }
    }

    private void checkLeaderCompleteness(SimNode leader) {
        Raft r = leader.raft();
        for (Map.Entry<Long, Applied> e : appliedGlobal.entrySet()) {
            long index = e.getKey();
            long term;
            try {
                term = r.raftLog.term(index);
            } catch (CompactedException ex) {
                continue; // below the leader's snapshot: committed by construction
            } catch (RuntimeException ex) {
                throw violation("leader completeness: leader " + leader.id + " of term " + r.term
                        + " lacks committed index " + index + " (" + ex.getMessage() + ")");
            }
            if (term != e.getValue().term()) {
                throw violation("leader completeness: leader " + leader.id + " of term " + r.term
                        + " has term " + term + " at committed index " + index + ", committed term was "
                        + e.getValue().term());
            }
        }
    }

    private SafetyViolation violation(String what) {
        return new SafetyViolation(what + " [" + params + " step=" + now + "]");
    }

    // ---------------------------------------------------------------- nodes

    /** One simulated server: its durable storage, and (while up) its RawNode and state machine. */
    private final class SimNode {
        final long id;
        final MemoryStorage disk = new MemoryStorage();
        RawNode rn;
        long applied;
        long stateHash;
        ConfState confState = ConfState.getDefaultInstance();
        final ArrayDeque<Message> appendWork = new ArrayDeque<>();
        final ArrayDeque<Message> applyWork = new ArrayDeque<>();
        final Set<ByteString> recentApplied = new HashSet<>();

        SimNode(long id) {
            this.id = id;
        }

        Raft raft() {
            return rn.raft;
        }

        void start() {
            Snapshot snap = disk.snapshot();
            confState = snap.getMetadata().getConfState();
            applied = snap.getMetadata().getIndex();
            stateHash = snap.getData().isEmpty() ? 0 : decodeState(snap.getData())[1];
            Config.Builder c = Config.builder();
            c.id(id);
            c.electionTick(ELECTION_TICK);
            c.heartbeatTick(HEARTBEAT_TICK);
            c.storage(disk);
            c.applied(applied);
            c.maxSizePerMsg(1024);
            c.maxInflightMsgs(16);
            c.maxUncommittedEntriesSize(1 << 20);
            c.preVote(params.preVoteCheckQuorum());
            c.checkQuorum(params.preVoteCheckQuorum());
            c.asyncStorageWrites(params.asyncStorageWrites());
            c.stepDownOnRemoval(true);
            c.random(new Random(rnd.nextLong()));
            c.logger(TRACE ? new TraceLogger(id) : RaftTestUtil.DISCARD_LOGGER);
            rn = new RawNode(c.build());
        }

        /** Loses everything not durable: the RawNode, queued storage work and the state machine. */
        void crash() {
            rn = null;
            appendWork.clear();
            applyWork.clear();
            // Messages on their way to the node are lost with it. A snapshot sender notices (its
            // connection breaks) and reports the failure; raft would otherwise wait for it forever.
            network.removeIf(f -> {
                if (f.msg().getTo() != id) {
                    return false;
                }
                SimNode from = nodes.get(f.msg().getFrom());
                if (f.msg().getType() == MessageType.MsgSnap && from != null && from.rn != null) {
                    from.rn.reportSnapshot(id, SnapshotStatus.SnapshotFailure);
                }
                return true;
            });
        }

        void restoreStateMachine(Snapshot snap) {
            long[] st = decodeState(snap.getData());
            if (st[0] != snap.getMetadata().getIndex()) {
                throw violation("snapshot data of node " + id + " is for index " + st[0] + " but its metadata says "
                        + snap.getMetadata().getIndex());
            }
            Applied a = appliedGlobal.get(st[0]);
            if (a != null && a.stateHash() != st[1]) {
                throw violation("state machine safety: snapshot at " + st[0] + " disagrees with applied state");
            }
            applied = st[0];
            stateHash = st[1];
            confState = snap.getMetadata().getConfState();
        }

        void apply(List<Entry> ents) {
            for (Entry e : ents) {
                if (e.getIndex() <= applied) {
                    continue; // already covered by a snapshot this node restored
                }
                if (e.getIndex() != applied + 1) {
                    throw violation("node " + id + " applied index " + e.getIndex() + " after " + applied);
                }
                ByteString payload = e.getData();
                if (e.getType() == EntryType.EntryConfChange) {
                    confState = rn.applyConfChange(parseV1(e.getData()));
                } else if (e.getType() == EntryType.EntryConfChangeV2) {
                    confState = rn.applyConfChange(parseV2(e.getData()));
                }
                stateHash = stateHash * 31 + e.getTerm() * 17 + payload.hashCode();
                applied = e.getIndex();
                if (recentApplied.size() > 64) {
                    recentApplied.clear();
                }
                recentApplied.add(payload);
                Applied mine = new Applied(e.getTerm(), payload, stateHash);
                Applied seen = appliedGlobal.putIfAbsent(applied, mine);
                if (seen != null && !seen.equals(mine)) {
                    throw violation("state machine safety: node " + id + " applied " + mine + " at index " + applied
                            + " but another node applied " + seen);
                }
                maxApplied = Math.max(maxApplied, applied);
            }
        }

        boolean appliedMarker(ByteString marker) {
            return recentApplied.contains(marker);
        }

        void maybeCompact() {
            if (rn == null || applied <= disk.snapshot().getMetadata().getIndex()) {
                return;
            }
            if (applied > disk.initialState().hardState().getCommit()) {
                // With asynchronous writes an entry can be applied before the commit index that
                // covers it is durable. A snapshot past the durable commit index would leave the
                // node unable to restart (raft would find applied > committed), so wait.
                return;
            }
            try {
                disk.createSnapshot(applied, confState, encodeState(applied, stateHash));
            } catch (SnapOutOfDateException e) {
                throw violation(
                        "compaction of node " + id + " at applied " + applied + ": first index " + disk.firstIndex()
                                + ", snapshot " + disk.snapshot().getMetadata().getIndex());
            }
            long keep = rnd.nextInt(5);
            if (applied - keep > disk.firstIndex()) {
                disk.compact(applied - keep);
            }
        }
    }

    /** Prints a node's raft log lines, prefixed with the simulated time. */
    private final class TraceLogger implements Logger {
        private final long id;

        TraceLogger(long id) {
            this.id = id;
        }

        private void print(String level, String format, Object... args) {
            System.out.println("step " + now + " [" + id + "] " + level + " " + Logger.format(format, args));
        }

        @Override
        public void debug(String format, Object... args) {
            print("DEBUG", format, args);
        }

        @Override
        public void info(String format, Object... args) {
            print("INFO", format, args);
        }

        @Override
        public void warning(String format, Object... args) {
            print("WARN", format, args);
        }

        @Override
        public void error(String format, Object... args) {
            print("ERROR", format, args);
        }

        @Override
        public void fatal(String format, Object... args) {
            print("FATAL", format, args);
            throw new RaftPanicException(Logger.format(format, args));
        }

        @Override
        public void panic(String format, Object... args) {
            fatal(format, args);
        }
    }

    private static ConfChange parseV1(ByteString data) {
        try {
            return ConfChange.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("undecodable conf change", e);
        }
    }

    private static ConfChangeV2 parseV2(ByteString data) {
        try {
            return ConfChangeV2.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("undecodable conf change", e);
        }
    }

    private static ByteString encodeState(long index, long hash) {
        return ByteString.copyFrom(
                ByteBuffer.allocate(16).putLong(index).putLong(hash).flip());
    }

    private static long[] decodeState(ByteString data) {
        ByteBuffer b = data.asReadOnlyByteBuffer();
        return new long[] {b.getLong(), b.getLong()};
    }

    private static boolean isEmptySnap(Snapshot s) {
        return s.getMetadata().getIndex() == 0;
    }

    private static boolean isEmptyHardState(HardState hs) {
        return hs.getTerm() == 0 && hs.getVote() == 0 && hs.getCommit() == 0;
    }

    private List<SimNode> aliveNodes() {
        List<SimNode> alive = new ArrayList<>();
        for (long id : ids) {
            SimNode n = nodes.get(id);
            if (n.rn != null) {
                alive.add(n);
            }
        }
        return alive;
    }

    private SimNode randomAlive() {
        List<SimNode> alive = aliveNodes();
        return alive.isEmpty() ? null : alive.get(rnd.nextInt(alive.size()));
    }

    private SimNode currentLeader() {
        SimNode best = null;
        for (SimNode n : aliveNodes()) {
            if (n.raft().state == StateType.StateLeader && (best == null || n.raft().term > best.raft().term)) {
                best = n;
            }
        }
        return best;
    }

    private String describeCluster() {
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            SimNode n = nodes.get(id);
            sb.append(id).append(':');
            if (n.rn == null) {
                sb.append("down ");
            } else {
                Raft r = n.raft();
                sb.append(r.state)
                        .append("/t")
                        .append(r.term)
                        .append("/applied")
                        .append(n.applied)
                        .append("/config ")
                        .append(r.trk.config())
                        .append(' ');
                if (r.state == StateType.StateLeader) {
                    sb.append("progress {").append(r.trk.progress()).append("} ");
                }
            }
        }
        return sb.toString();
    }
}
