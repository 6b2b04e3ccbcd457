package org.raftexample.raft.rafttest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.Node;
import org.raftexample.raft.NodeStoppedException;
import org.raftexample.raft.Peer;
import org.raftexample.raft.ProposalDroppedException;
import org.raftexample.raft.StateType;
import org.raftexample.raft.Status;

/**
 * A three-node cluster of {@link Node}s over the in-memory network, each driven by its own thread
 * (etcd's rafttest TestBasicProgress, TestPause and TestRestart in one run): it elects a leader and
 * commits 10 000 proposals on every node while one follower is paused and resumed and another is
 * stopped and restarted from its storage.
 *
 * <p>Every node must apply the same sequence, holding every proposal. The proposer acts as a client
 * would: a proposal counts as acknowledged once a node applied it, and one that is dropped, or lost
 * with a leader change, is proposed again. A payload may therefore appear more than once, but never
 * more often than it was proposed. When the leader stayed the same for the whole run (the usual
 * case) the sequence must be exactly the proposals, each once, in the order they were made.
 */
class NodeClusterTest {
    private static final int PROPOSALS = 10_000;
    private static final int WINDOW = 500;

    private final List<ClusterNode> nodes = new ArrayList<>();
    /** How many times each payload was handed to a node. */
    private final Map<String, Integer> proposed = new HashMap<>();

    private int reproposals;

    @AfterEach
    void stopAll() throws InterruptedException {
        for (ClusterNode n : nodes) {
            try {
                n.stop();
            } catch (RuntimeException e) {
                // already stopped by the test
            }
        }
    }

    @Test
    @Timeout(90)
    void clusterCommitsAllProposalsInOrderThroughPauseAndRestart() throws Exception {
        startCluster();
        ClusterNode leader = nodes.get(waitLeader());
        List<ClusterNode> followers = nodes.stream().filter(n -> n != leader).toList();
        ClusterNode paused = followers.get(0);
        ClusterNode restarted = followers.get(1);
        long term = maxTerm();

        proposeRange(0, 3000);

        paused.pause();
        proposeRange(3000, 6000);
        paused.resume();

        restarted.stop();
        proposeRange(6000, 8000);
        restarted.restart();
        proposeRange(8000, PROPOSALS);

        List<String> log = awaitIdenticalLogs(PROPOSALS);
        if (maxTerm() == term) {
            // One leader throughout: one proposer feeding it in order leaves nothing to re-propose.
            assertEquals(0, reproposals, "proposals re-proposed under a stable leader");
            assertEquals(payloads(0, PROPOSALS), log, "applied log under a stable leader");
        }
    }

    @Test
    @Timeout(60)
    void clusterAppliesEveryProposalAcrossLeaderChanges() throws Exception {
        startCluster();
        int perLeader = 1000;
        int leaders = 3;
        long startTerm = nodes.get(waitLeader()).hardState().getTerm();
        for (int k = 0; k < leaders; k++) {
            ClusterNode target = null;
            if (k > 0) {
                ClusterNode leader = currentLeader();
                target = nodes.get((nodes.indexOf(leader) + 1) % nodes.size());
                // Proposals made while the leadership moves are dropped, or lost with the old
                // leader's uncommitted tail: the proposer must find the new leader and retry them.
                Node.await(leader.node().transferLeadership(leader.id, target.id), Duration.ofSeconds(5));
            }
            proposeRange(k * perLeader, (k + 1) * perLeader);
            if (target != null) {
                transferLeadershipTo(target);
            }
        }
        awaitIdenticalLogs(leaders * perLeader);
        assertTrue(maxTerm() >= startTerm + leaders - 1, "terms went from " + startTerm + " to " + maxTerm());
    }

    @Test
    @Timeout(60)
    void leadershipTransferMovesTheLeaderToTheTransferee() throws Exception {
        startCluster();
        ClusterNode leader = nodes.get(waitLeader());
        ClusterNode target = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        transferLeadershipTo(target);
        assertEquals(StateType.StateLeader, target.node().status().softState().raftState());
    }

    /**
     * Makes {@code target} the leader all nodes follow. Raft gives up a transfer the transferee
     * does not complete within an election timeout, which a stalled machine can cause (the
     * driver then delivers the missed ticks at once), so the transfer is asked for again.
     */
    private void transferLeadershipTo(ClusterNode target) throws Exception {
        for (int attempt = 1; ; attempt++) {
            ClusterNode leader = currentLeader();
            if (leader != target) {
                Node.await(leader.node().transferLeadership(leader.id, target.id), Duration.ofSeconds(5));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() - deadline < 0) {
                if (nodes.stream()
                        .filter(ClusterNode::isServing)
                        .allMatch(n -> n.node().status().softState().lead() == target.id)) {
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            if (attempt == 5) {
                fail("leadership did not move to " + target.id + ", leaders "
                        + nodes.stream()
                                .map(n -> n.node().status().softState().lead())
                                .toList());
            }
        }
    }

    private void startCluster() {
        List<Peer> peers = List.of(new Peer(1), new Peer(2), new Peer(3));
        RaftNetwork nt = new RaftNetwork(1, 2, 3);
        for (long id = 1; id <= 3; id++) {
            nodes.add(ClusterNode.start(id, peers, nt.nodeNetwork(id)));
        }
    }

    /**
     * Waits until every node applied the same sequence and it holds all payloads below {@code n};
     * checks that nothing else is in it and that no payload appears more often than it was proposed.
     */
    private List<String> awaitIdenticalLogs(int n) {
        List<List<String>> logs = new ArrayList<>();
        awaitCondition(
                Duration.ofSeconds(30),
                () -> {
                    logs.clear();
                    for (ClusterNode x : nodes) {
                        logs.add(x.applied());
                    }
                    return logs.get(0).size() >= n && logs.stream().allMatch(logs.get(0)::equals);
                },
                () -> "identical logs; applied counts "
                        + logs.stream().map(List::size).toList() + ", first difference at " + firstDifference(logs));
        for (ClusterNode x : nodes) {
            assertNull(x.failure(), "node " + x.id + " failed");
        }
        List<String> log = logs.get(0);
        Map<String, Integer> times = new HashMap<>();
        for (String p : log) {
            times.merge(p, 1, Integer::sum);
        }
        assertEquals(new HashSet<>(payloads(0, n)), times.keySet(), "payloads applied");
        times.forEach((p, c) ->
                assertTrue(c <= proposed.get(p), p + " applied " + c + " times, proposed " + proposed.get(p)));
        return log;
    }

    private static int firstDifference(List<List<String>> logs) {
        int min = logs.stream().mapToInt(List::size).min().orElse(0);
        for (int i = 0; i < min; i++) {
            for (List<String> l : logs) {
                if (!l.get(i).equals(logs.get(0).get(i))) {
                    return i;
                }
            }
        }
        return min;
    }

    /** Proposes payloads [from, to) in windows through the leader, each until some node applied it. */
    private void proposeRange(int from, int to) throws Exception {
        for (int start = from; start < to; start += WINDOW) {
            List<String> missing = payloads(start, Math.min(to, start + WINDOW));
            boolean first = true;
            while (!missing.isEmpty()) {
                if (!first) {
                    reproposals += missing.size();
                }
                first = false;
                proposeOnce(missing);
                missing = missing.stream().filter(p -> !appliedAnywhere(p)).toList();
            }
        }
    }

    /**
     * Hands the payloads to the current leader and waits until all are applied somewhere, or the
     * leadership moved on and nothing more arrives: then those still missing are lost (or were
     * dropped) and the caller proposes them again.
     */
    private void proposeOnce(List<String> batch) throws Exception {
        ClusterNode leader = currentLeader();
        long term = maxTerm();
        boolean dropped = false;
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (String p : batch) {
            proposed.merge(p, 1, Integer::sum);
            futures.add(leader.node().propose(p.getBytes(StandardCharsets.UTF_8)));
        }
        for (CompletableFuture<Void> f : futures) {
            try {
                Node.await(f, Duration.ofSeconds(10));
            } catch (ProposalDroppedException | TimeoutException | NodeStoppedException e) {
                // No leader took it: it is in no log, and is proposed again as it never shows up.
                dropped = true;
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long quietSince = System.nanoTime();
        int lastApplied = -1;
        while (!batch.stream().allMatch(this::appliedAnywhere)) {
            int applied =
                    nodes.stream().mapToInt(ClusterNode::appliedCount).max().orElse(0);
            if (applied != lastApplied) {
                lastApplied = applied;
                quietSince = System.nanoTime();
            }
            boolean quiet =
                    System.nanoTime() - quietSince > Duration.ofSeconds(1).toNanos();
            if (quiet && (dropped || maxTerm() > term)) {
                return; // dropped, or a new leader committed what it could: the rest is gone
            }
            if (System.nanoTime() - deadline > 0) {
                fail("proposals not applied within 30 s under leader term " + term + ", applied counts "
                        + nodes.stream().map(ClusterNode::appliedCount).toList());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /** Waits for a running node that believes it leads; with several, the one of the highest term. */
    private ClusterNode currentLeader() {
        ClusterNode[] found = {null};
        awaitCondition(
                Duration.ofSeconds(20),
                () -> {
                    long best = -1;
                    for (ClusterNode n : nodes) {
                        if (!n.isServing()) {
                            continue;
                        }
                        Status st = n.node().status();
                        if (st.softState().raftState() == StateType.StateLeader
                                && st.hardState().getTerm() > best) {
                            best = st.hardState().getTerm();
                            found[0] = n;
                        }
                    }
                    return best >= 0;
                },
                () -> "no leader");
        return found[0];
    }

    private boolean appliedAnywhere(String p) {
        return nodes.stream().anyMatch(n -> n.hasApplied(p));
    }

    private long maxTerm() {
        return nodes.stream().mapToLong(n -> n.hardState().getTerm()).max().orElse(0);
    }

    private static List<String> payloads(int from, int to) {
        return IntStream.range(from, to).mapToObj(NodeClusterTest::payload).toList();
    }

    private static String payload(int i) {
        return "p-" + i;
    }

    /** Waits until all nodes agree on one leader, and returns its position. */
    private int waitLeader() {
        int[] leader = {-1};
        awaitCondition(
                Duration.ofSeconds(20),
                () -> {
                    long lead = 0;
                    int index = -1;
                    for (int i = 0; i < nodes.size(); i++) {
                        Status st = nodes.get(i).node().status();
                        long l = st.softState().lead();
                        if (l == 0 || (lead != 0 && l != lead)) {
                            return false;
                        }
                        lead = l;
                        if (st.softState().raftState() == StateType.StateLeader) {
                            index = i;
                        }
                    }
                    leader[0] = index;
                    return index >= 0;
                },
                () -> "no single leader");
        return leader[0];
    }

    static void awaitCondition(Duration timeout, BooleanSupplier cond, java.util.function.Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting: " + what.get());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }
}
