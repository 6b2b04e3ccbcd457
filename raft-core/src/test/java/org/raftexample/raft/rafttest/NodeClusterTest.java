package org.raftexample.raft.rafttest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.Node;
import org.raftexample.raft.Peer;
import org.raftexample.raft.StateType;
import org.raftexample.raft.Status;

/**
 * A three-node cluster of {@link Node}s over the in-memory network, each driven by its own thread
 * (etcd's rafttest TestBasicProgress, TestPause and TestRestart in one run): it elects a leader and
 * commits 10 000 proposals, in the order they were made, on every node while one follower is
 * paused and resumed and another is stopped and restarted from its storage.
 */
class NodeClusterTest {
    private static final int PROPOSALS = 10_000;
    private static final int WINDOW = 500;

    private final List<ClusterNode> nodes = new ArrayList<>();

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
    @Timeout(60)
    void clusterCommitsAllProposalsInOrderThroughPauseAndRestart() throws Exception {
        List<Peer> peers = List.of(new Peer(1), new Peer(2), new Peer(3));
        RaftNetwork nt = new RaftNetwork(1, 2, 3);
        for (long id = 1; id <= 3; id++) {
            nodes.add(ClusterNode.start(id, peers, nt.nodeNetwork(id)));
        }

        ClusterNode leader = nodes.get(waitLeader());
        List<ClusterNode> followers = nodes.stream().filter(n -> n != leader).toList();
        ClusterNode paused = followers.get(0);
        ClusterNode restarted = followers.get(1);
        long term = leader.node().status().hardState().getTerm();

        proposeRange(leader, 0, 3000);

        paused.pause();
        proposeRange(leader, 3000, 6000);
        paused.resume();

        restarted.stop();
        proposeRange(leader, 6000, 8000);
        restarted.restart();
        proposeRange(leader, 8000, PROPOSALS);

        List<String> want = new ArrayList<>();
        for (int i = 0; i < PROPOSALS; i++) {
            want.add(payload(i));
        }
        awaitCondition(Duration.ofSeconds(30), () -> nodes.stream().allMatch(n -> n.appliedCount() >= PROPOSALS),
                () -> "applied counts " + nodes.stream().map(ClusterNode::appliedCount).toList());
        for (ClusterNode n : nodes) {
            assertNull(n.failure(), "node " + n.id + " failed");
            assertEquals(want, n.applied(), "node " + n.id + " applied log");
        }
        assertEquals(term, leader.node().status().hardState().getTerm(), "leadership changed during the run");
    }

    @Test
    @Timeout(30)
    void leadershipTransferMovesTheLeaderToTheTransferee() throws Exception {
        List<Peer> peers = List.of(new Peer(1), new Peer(2), new Peer(3));
        RaftNetwork nt = new RaftNetwork(1, 2, 3);
        for (long id = 1; id <= 3; id++) {
            nodes.add(ClusterNode.start(id, peers, nt.nodeNetwork(id)));
        }
        ClusterNode leader = nodes.get(waitLeader());
        ClusterNode target = nodes.stream().filter(n -> n != leader).findFirst().orElseThrow();
        Node.await(leader.node().transferLeadership(leader.id, target.id), Duration.ofSeconds(5));
        awaitCondition(Duration.ofSeconds(20), () -> nodes.stream()
                        .allMatch(n -> n.node().status().softState().lead() == target.id),
                () -> "leaders " + nodes.stream().map(n -> n.node().status().softState().lead()).toList());
        assertEquals(StateType.StateLeader, target.node().status().softState().raftState());
    }

    private void proposeRange(ClusterNode leader, int from, int to) throws Exception {
        for (int start = from; start < to; start += WINDOW) {
            List<CompletableFuture<Void>> window = new ArrayList<>();
            for (int i = start; i < Math.min(to, start + WINDOW); i++) {
                window.add(leader.node().propose(payload(i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            for (CompletableFuture<Void> f : window) {
                // A drop means the leader changed; the strict order checked below would no longer hold.
                Node.await(f, Duration.ofSeconds(10));
            }
        }
    }

    private static String payload(int i) {
        return "p-" + i;
    }

    /** Waits until all nodes agree on one leader, and returns its position. */
    private int waitLeader() {
        int[] leader = {-1};
        awaitCondition(Duration.ofSeconds(20), () -> {
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
        }, () -> "no single leader");
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
