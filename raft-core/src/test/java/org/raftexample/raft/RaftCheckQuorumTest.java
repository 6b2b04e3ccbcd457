package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.raftexample.raft.Network.newNetwork;
import static org.raftexample.raft.RaftTestUtil.confChangeV2;
import static org.raftexample.raft.RaftTestUtil.hup;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.setRandomizedElectionTimeout;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.MessageType;

/**
 * Check-quorum: a leader steps down when it stops hearing from a quorum, and followers that
 * heard from a leader recently ignore disruptive vote requests (etcd's raft_test.go,
 * check-quorum part).
 */
@Timeout(60)
class RaftCheckQuorumTest {

    private static Raft checkQuorumRaft(long id, long... peers) {
        Raft r = newTestRaft(id, 10, 1, newTestMemoryStorage(withPeers(peers)));
        r.checkQuorum = true;
        return r;
    }

    /** Ports TestLeaderStepdownWhenQuorumActive. */
    @Test
    void leaderStaysWhileQuorumIsActive() {
        Raft sm = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        sm.checkQuorum = true;
        sm.becomeCandidate();
        sm.becomeLeader();

        for (int i = 0; i < sm.electionTimeout + 1; i++) {
            sm.step(msg(2, 0, MessageType.MsgHeartbeatResp)
                    .clearTo()
                    .setTerm(sm.term)
                    .build());
            sm.tick();
        }

        assertEquals(StateType.StateLeader, sm.state);
    }

    /** Ports TestLeaderStepdownWhenQuorumLost. */
    @Test
    void leaderStepsDownWhenQuorumIsLost() {
        Raft sm = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        sm.checkQuorum = true;
        sm.becomeCandidate();
        sm.becomeLeader();

        for (int i = 0; i < sm.electionTimeout + 1; i++) {
            sm.tick();
        }

        assertEquals(StateType.StateFollower, sm.state);
    }

    /** Ports TestLeaderSupersedingWithCheckQuorum: a vote is granted only once the lease expired. */
    @Test
    void followerInLeaseRejectsNewCandidate() {
        Raft a = checkQuorumRaft(1, 1, 2, 3);
        Raft b = checkQuorumRaft(2, 1, 2, 3);
        Raft c = checkQuorumRaft(3, 1, 2, 3);

        Network nt = newNetwork(a, b, c);
        setRandomizedElectionTimeout(b, b.electionTimeout + 1);

        for (int i = 0; i < b.electionTimeout; i++) {
            b.tick();
        }
        nt.send(hup(1));

        assertEquals(StateType.StateLeader, a.state);
        assertEquals(StateType.StateFollower, c.state);

        nt.send(hup(3));

        // b rejected c's vote: its electionElapsed had not reached the election timeout.
        assertEquals(StateType.StateCandidate, c.state);

        // Let b's electionElapsed reach the election timeout.
        for (int i = 0; i < b.electionTimeout; i++) {
            b.tick();
        }
        nt.send(hup(3));

        assertEquals(StateType.StateLeader, c.state);
    }

    /** Ports TestLeaderElectionWithCheckQuorum. */
    @Test
    void electionWithCheckQuorumSucceedsAfterLeaseExpiry() {
        Raft a = checkQuorumRaft(1, 1, 2, 3);
        Raft b = checkQuorumRaft(2, 1, 2, 3);
        Raft c = checkQuorumRaft(3, 1, 2, 3);

        Network nt = newNetwork(a, b, c);
        setRandomizedElectionTimeout(a, a.electionTimeout + 1);
        setRandomizedElectionTimeout(b, b.electionTimeout + 2);

        // Right after creation, votes are cast regardless of the election timeout.
        nt.send(hup(1));

        assertEquals(StateType.StateLeader, a.state);
        assertEquals(StateType.StateFollower, c.state);

        // The state changes may have reset the randomized timeouts to electionTimeout: set
        // them above it again.
        setRandomizedElectionTimeout(a, a.electionTimeout + 1);
        setRandomizedElectionTimeout(b, b.electionTimeout + 2);
        for (int i = 0; i < a.electionTimeout; i++) {
            a.tick();
        }
        for (int i = 0; i < b.electionTimeout; i++) {
            b.tick();
        }
        nt.send(hup(3));

        assertEquals(StateType.StateFollower, a.state);
        assertEquals(StateType.StateLeader, c.state);
    }

    /**
     * Ports TestFreeStuckCandidateWithCheckQuorum: a candidate with a higher term disrupts the
     * leader even within its lease, and the leader adopts the candidate's term.
     */
    @Test
    void stuckCandidateIsFreedByDisruptingLeader() {
        Raft a = checkQuorumRaft(1, 1, 2, 3);
        Raft b = checkQuorumRaft(2, 1, 2, 3);
        Raft c = checkQuorumRaft(3, 1, 2, 3);

        Network nt = newNetwork(a, b, c);
        setRandomizedElectionTimeout(b, b.electionTimeout + 1);

        for (int i = 0; i < b.electionTimeout; i++) {
            b.tick();
        }
        nt.send(hup(1));

        nt.isolate(1);
        nt.send(hup(3));

        assertEquals(StateType.StateFollower, b.state);
        assertEquals(StateType.StateCandidate, c.state);
        assertEquals(b.term + 1, c.term);

        // Vote again, for safety.
        nt.send(hup(3));

        assertEquals(StateType.StateFollower, b.state);
        assertEquals(StateType.StateCandidate, c.state);
        assertEquals(b.term + 2, c.term);

        nt.recover();
        nt.send(msg(1, 3, MessageType.MsgHeartbeat).setTerm(a.term).build());

        // The leader is disrupted, so the stuck peer is freed.
        assertEquals(StateType.StateFollower, a.state);
        assertEquals(a.term, c.term);

        // Vote again; this time c wins.
        nt.send(hup(3));

        assertEquals(StateType.StateLeader, c.state);
    }

    /** Ports TestNonPromotableVoterWithCheckQuorum: a non-promotable node still follows the leader. */
    @Test
    void nonPromotableNodeFollowsLeader() {
        Raft a = checkQuorumRaft(1, 1, 2);
        Raft b = checkQuorumRaft(2, 1);

        Network nt = newNetwork(a, b);
        setRandomizedElectionTimeout(b, b.electionTimeout + 1);
        // Remove 2 again to make it non-promotable: newNetwork overwrote its configuration.
        b.applyConfChange(confChangeV2(ConfChangeType.ConfChangeRemoveNode, 2));

        assertFalse(b.promotable());

        for (int i = 0; i < b.electionTimeout; i++) {
            b.tick();
        }
        nt.send(hup(1));

        assertEquals(StateType.StateLeader, a.state);
        assertEquals(StateType.StateFollower, b.state);
        assertEquals(1, b.lead);
    }

    /**
     * Ports TestDisruptiveFollower: an isolated follower times out and campaigns at a higher
     * term; its answer to a late heartbeat of the leader makes the leader step down.
     */
    @Test
    void disruptiveFollowerForcesLeaderToStepDown() {
        Raft n1 = checkQuorumRaft(1, 1, 2, 3);
        Raft n2 = checkQuorumRaft(2, 1, 2, 3);
        Raft n3 = checkQuorumRaft(3, 1, 2, 3);

        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);
        n3.becomeFollower(1, Raft.NONE);

        Network nt = newNetwork(n1, n2, n3);

        nt.send(hup(1));

        assertEquals(StateType.StateLeader, n1.state);
        assertEquals(StateType.StateFollower, n2.state);
        assertEquals(StateType.StateFollower, n3.state);

        // Ticks elapse on n3 while the leader's messages are delayed (or an etcd server
        // advanced its ticks on restart, as it does to campaign sooner with large timeouts).
        setRandomizedElectionTimeout(n3, n3.electionTimeout + 2);
        for (int i = 0; i < n3.randomizedElectionTimeout - 1; i++) {
            n3.tick();
        }

        // The last tick elapses before any message of the leader arrives: n3 campaigns.
        n3.tick();

        // n1 is still leader; its heartbeat to the candidate n3 is delayed.
        assertEquals(StateType.StateLeader, n1.state);
        assertEquals(StateType.StateFollower, n2.state);
        assertEquals(StateType.StateCandidate, n3.state);

        assertEquals(2, n1.term);
        assertEquals(2, n2.term);
        assertEquals(3, n3.term);

        // With n3's vote requests still queued, the leader's heartbeat arrives, with a lower
        // term than the candidate's.
        nt.send(msg(1, 3, MessageType.MsgHeartbeat).setTerm(n1.term).build());

        // n3 answers with an MsgAppResp of its higher term and the leader steps down, which
        // frees the candidate for the next election.
        assertEquals(StateType.StateFollower, n1.state);
        assertEquals(StateType.StateFollower, n2.state);
        assertEquals(StateType.StateCandidate, n3.state);

        assertEquals(3, n1.term);
        assertEquals(2, n2.term);
        assertEquals(3, n3.term);
    }

    /** Ports TestAddNodeCheckQuorum: adding a node does not start an immediate quorum check. */
    @Test
    void addedNodeGetsFullElectionTimeoutBeforeQuorumCheck() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
        r.checkQuorum = true;

        r.becomeCandidate();
        r.becomeLeader();

        for (int i = 0; i < r.electionTimeout - 1; i++) {
            r.tick();
        }

        r.applyConfChange(confChangeV2(ConfChangeType.ConfChangeAddNode, 2));

        // This tick reaches the election timeout and checks the quorum.
        r.tick();

        // Node 1 is still leader after a single tick.
        assertEquals(StateType.StateLeader, r.state);

        // Another election timeout without hearing from node 2: node 1 steps down.
        for (int i = 0; i < r.electionTimeout; i++) {
            r.tick();
        }

        assertEquals(StateType.StateFollower, r.state);
    }
}
