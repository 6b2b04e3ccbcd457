package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.Network.newNetwork;
import static org.raftexample.raft.RaftTestUtil.hup;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.prop;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.MessageType;

/**
 * Pre-vote: a node that cannot win does not disrupt the cluster, elections still complete
 * after partitions and split votes, and a cluster migrating to pre-vote is not stuck
 * (etcd's raft_test.go, pre-vote part).
 */
@Timeout(60)
class RaftPreVoteTest {

    /** Three followers at term 1, of {1, 2, 3}. */
    private static Raft[] followers3() {
        Raft[] rs = new Raft[3];
        for (int i = 0; i < 3; i++) {
            rs[i] = newTestRaft(i + 1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
            rs[i].becomeFollower(1, Raft.NONE);
        }
        return rs;
    }

    /**
     * Ports TestDisruptiveFollowerPreVote: an isolated follower with a shorter log cannot pass
     * pre-vote, so it does not force the leader to step down.
     */
    @Test
    void isolatedFollowerDoesNotDisruptLeaderWithPreVote() {
        Raft[] rs = followers3();
        Raft n1 = rs[0];
        Raft n2 = rs[1];
        Raft n3 = rs[2];
        for (Raft r : rs) {
            r.checkQuorum = true;
        }

        Network nt = newNetwork(n1, n2, n3);
        nt.send(hup(1));

        assertEquals(StateType.StateLeader, n1.state);
        assertEquals(StateType.StateFollower, n2.state);
        assertEquals(StateType.StateFollower, n3.state);

        nt.isolate(3);
        nt.send(prop(1, "somedata"));
        nt.send(prop(1, "somedata"));
        nt.send(prop(1, "somedata"));
        n1.preVote = true;
        n2.preVote = true;
        n3.preVote = true;
        nt.recover();
        nt.send(hup(3));

        assertEquals(StateType.StateLeader, n1.state);
        assertEquals(StateType.StateFollower, n2.state);
        assertEquals(StateType.StatePreCandidate, n3.state);

        assertEquals(2, n1.term);
        assertEquals(2, n2.term);
        assertEquals(2, n3.term);

        // A delayed leader heartbeat does not make the leader step down.
        nt.send(msg(1, 3, MessageType.MsgHeartbeat).setTerm(n1.term).build());
        assertEquals(StateType.StateLeader, n1.state);
    }

    /**
     * Ports TestNodeWithSmallerTermCanCompleteElection: a node that fell behind rejoins as the
     * leader is partitioned away; with pre-vote the cluster used to stall here.
     */
    @Test
    void nodeWithSmallerTermCanCompleteElection() {
        Raft[] rs = followers3();
        for (Raft r : rs) {
            r.preVote = true;
        }

        // Partition node 3 away.
        Network nt = newNetwork(rs[0], rs[1], rs[2]);
        nt.cut(1, 3);
        nt.cut(2, 3);

        nt.send(hup(1));

        assertEquals(StateType.StateLeader, nt.raft(1).state);
        assertEquals(StateType.StateFollower, nt.raft(2).state);

        nt.send(hup(3));
        assertEquals(StateType.StatePreCandidate, nt.raft(3).state);

        nt.send(hup(2));

        assertEquals(3, nt.raft(1).term);
        assertEquals(3, nt.raft(2).term);
        assertEquals(1, nt.raft(3).term);

        assertEquals(StateType.StateFollower, nt.raft(1).state);
        assertEquals(StateType.StateLeader, nt.raft(2).state);
        assertEquals(StateType.StatePreCandidate, nt.raft(3).state);

        // Bring 3 back and at once isolate the leader 2, as if it crashed.
        nt.recover();
        nt.cut(2, 1);
        nt.cut(2, 3);

        // Call for elections.
        nt.send(hup(3));
        nt.send(hup(1));

        // Is there a leader?
        assertTrue(nt.raft(1).state == StateType.StateLeader || nt.raft(3).state == StateType.StateLeader);
    }

    /** Ports TestPreVoteWithSplitVote: after a split vote, the next round elects a leader. */
    @Test
    void electionCompletesAfterSplitVote() {
        Raft[] rs = followers3();
        for (Raft r : rs) {
            r.preVote = true;
        }

        Network nt = newNetwork(rs[0], rs[1], rs[2]);
        nt.send(hup(1));

        // The leader goes down; both followers campaign at once.
        nt.isolate(1);
        nt.send(hup(2), hup(3));

        assertEquals(3, nt.raft(2).term);
        assertEquals(3, nt.raft(3).term);

        assertEquals(StateType.StateCandidate, nt.raft(2).state);
        assertEquals(StateType.StateCandidate, nt.raft(3).state);

        // Node 2 times out first.
        nt.send(hup(2));

        assertEquals(4, nt.raft(2).term);
        assertEquals(4, nt.raft(3).term);

        assertEquals(StateType.StateLeader, nt.raft(2).state);
        assertEquals(StateType.StateFollower, nt.raft(3).state);
    }

    /** Ports TestPreVoteWithCheckQuorum: check-quorum works for a pre-candidate too. */
    @Test
    void preCandidateRespectsCheckQuorum() {
        Raft[] rs = followers3();
        for (Raft r : rs) {
            r.preVote = true;
            r.checkQuorum = true;
        }
        Raft n2 = rs[1];
        Raft n3 = rs[2];

        Network nt = newNetwork(rs[0], rs[1], rs[2]);
        nt.send(hup(1));

        // Isolate node 1; nodes 2 and 3 know of the leader.
        nt.isolate(1);

        assertEquals(StateType.StateLeader, nt.raft(1).state);
        assertEquals(StateType.StateFollower, nt.raft(2).state);
        assertEquals(StateType.StateFollower, nt.raft(3).state);

        // Node 2 ignores node 3's pre-vote.
        nt.send(hup(3));
        nt.send(hup(2));

        // Is there a leader?
        assertTrue(n2.state == StateType.StateLeader || n3.state == StateType.StateFollower);
    }

    /**
     * A cluster in the middle of a rolling update enabling pre-vote (etcd's
     * newPreVoteMigrationCluster): n1 leads at term 2, n2 follows at term 2, and n3 (without
     * pre-vote while partitioned) campaigned up to term 4 with a shorter log; then n3 gets
     * pre-vote and the network heals.
     */
    private static Network newPreVoteMigrationCluster() {
        Raft[] rs = followers3();
        Raft n1 = rs[0];
        Raft n2 = rs[1];
        Raft n3 = rs[2];
        n1.preVote = true;
        n2.preVote = true;
        // n3 deliberately without pre-vote: a mixed-version cluster during a rolling restart.

        Network nt = newNetwork(n1, n2, n3);
        nt.send(hup(1));

        // Partition n3 away.
        nt.isolate(3);
        nt.send(prop(1, "some data"));
        nt.send(hup(3));
        nt.send(hup(3));

        assertEquals(StateType.StateLeader, n1.state);
        assertEquals(StateType.StateFollower, n2.state);
        assertEquals(StateType.StateCandidate, n3.state);

        assertEquals(2, n1.term);
        assertEquals(2, n2.term);
        assertEquals(4, n3.term);

        // Enable pre-vote on n3, then heal the network.
        n3.preVote = true;
        nt.recover();
        return nt;
    }

    /** Ports TestPreVoteMigrationCanCompleteElection. */
    @Test
    void migratingClusterCanCompleteElection() {
        Network nt = newPreVoteMigrationCluster();
        Raft n2 = nt.raft(2);
        Raft n3 = nt.raft(3);

        // The leader goes down.
        nt.isolate(1);

        // Both n2 and n3 call for elections.
        nt.send(hup(3));
        nt.send(hup(2));

        assertEquals(StateType.StateFollower, n2.state);
        assertEquals(StateType.StatePreCandidate, n3.state);

        nt.send(hup(3));
        nt.send(hup(2));

        // Is there a leader?
        assertTrue(n2.state == StateType.StateLeader || n3.state == StateType.StateFollower);
    }

    /** Ports TestPreVoteMigrationWithFreeStuckPreCandidate. */
    @Test
    void migratingClusterFreesStuckPreCandidate() {
        Network nt = newPreVoteMigrationCluster();
        Raft n1 = nt.raft(1);
        Raft n2 = nt.raft(2);
        Raft n3 = nt.raft(3);

        nt.send(hup(3));

        assertEquals(StateType.StateLeader, n1.state);
        assertEquals(StateType.StateFollower, n2.state);
        assertEquals(StateType.StatePreCandidate, n3.state);

        // Pre-vote again, for safety.
        nt.send(hup(3));

        assertEquals(StateType.StateLeader, n1.state);
        assertEquals(StateType.StateFollower, n2.state);
        assertEquals(StateType.StatePreCandidate, n3.state);

        nt.send(msg(1, 3, MessageType.MsgHeartbeat).setTerm(n1.term).build());

        // The leader is disrupted, so the stuck pre-candidate is freed.
        assertEquals(StateType.StateFollower, n1.state);
        assertEquals(n1.term, n3.term);
    }
}
