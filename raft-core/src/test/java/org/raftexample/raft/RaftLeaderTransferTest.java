package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.raftexample.raft.Network.newNetwork;
import static org.raftexample.raft.RaftTestUtil.confChangeV2;
import static org.raftexample.raft.RaftTestUtil.hup;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.nextEnts;
import static org.raftexample.raft.RaftTestUtil.propEmpty;
import static org.raftexample.raft.RaftTestUtil.setRandomizedElectionTimeout;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.ConfChangeSingle;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;

/**
 * Leadership transfer (raft thesis 3.10): the leader catches the transferee up and tells it
 * to campaign at once; transfers time out, can be redirected, and stop proposals while they
 * run (etcd's raft_test.go, leader transfer part).
 */
@Timeout(60)
class RaftLeaderTransferTest {

    /** etcd's checkLeaderTransferState: the role and leader after a transfer, none pending. */
    private static void checkLeaderTransferState(Raft r, StateType state, long lead) {
        assertEquals(state, r.state);
        assertEquals(lead, r.lead);
        assertEquals(Raft.NONE, r.leadTransferee);
    }

    /** A request to transfer leadership to {@code from}, delivered to {@code to}. */
    private static Message transfer(long from, long to) {
        return msg(from, to, MessageType.MsgTransferLeader).build();
    }

    /** A network of three with node 1 elected. */
    private static Network electedNetwork() {
        Network nt = newNetwork(null, null, null);
        nt.send(hup(1));
        return nt;
    }

    /** Ports TestLeaderTransferToUpToDateNode. */
    @Test
    void transferToUpToDateNodeSucceeds() {
        Network nt = electedNetwork();
        Raft lead = nt.raft(1);
        assertEquals(1, lead.lead);

        // Transfer leadership to 2.
        nt.send(transfer(2, 1));
        checkLeaderTransferState(lead, StateType.StateFollower, 2);

        // After some replication, transfer it back to 1.
        nt.send(propEmpty(1));
        nt.send(transfer(1, 2));
        checkLeaderTransferState(lead, StateType.StateLeader, 1);
    }

    /**
     * Ports TestLeaderTransferToUpToDateNodeFromFollower: as above, with every transfer request
     * sent to the follower, which forwards it.
     */
    @Test
    void transferRequestedAtFollowerSucceeds() {
        Network nt = electedNetwork();
        Raft lead = nt.raft(1);
        assertEquals(1, lead.lead);

        // Transfer leadership to 2.
        nt.send(transfer(2, 2));
        checkLeaderTransferState(lead, StateType.StateFollower, 2);

        // After some replication, transfer it back to 1.
        nt.send(propEmpty(1));
        nt.send(transfer(1, 1));
        checkLeaderTransferState(lead, StateType.StateLeader, 1);
    }

    /** Ports TestLeaderTransferWithCheckQuorum: a transfer works within the leader lease. */
    @Test
    void transferSucceedsWithinLeaderLease() {
        Network nt = newNetwork(null, null, null);
        for (int i = 1; i < 4; i++) {
            Raft r = nt.raft(i);
            r.checkQuorum = true;
            setRandomizedElectionTimeout(r, r.electionTimeout + i);
        }

        // Let node 2's electionElapsed reach the timeout, so that it votes for node 1.
        Raft f = nt.raft(2);
        for (int i = 0; i < f.electionTimeout; i++) {
            f.tick();
        }

        nt.send(hup(1));

        Raft lead = nt.raft(1);
        assertEquals(StateType.StateLeader, lead.state);

        // Transfer leadership to 2.
        nt.send(transfer(2, 1));
        checkLeaderTransferState(lead, StateType.StateFollower, 2);

        // After some replication, transfer it back to 1.
        nt.send(propEmpty(1));
        nt.send(transfer(1, 2));
        checkLeaderTransferState(lead, StateType.StateLeader, 1);
    }

    /** Ports TestLeaderTransferToSlowFollower: the transferee is caught up first. */
    @Test
    void transferToSlowFollowerCatchesItUpFirst() {
        Network nt = electedNetwork();

        nt.isolate(3);
        nt.send(propEmpty(1));

        nt.recover();
        Raft lead = nt.raft(1);
        assertEquals(1, lead.trk.progress().get(3L).match());

        // Transfer leadership to 3, which lacks an entry.
        nt.send(transfer(3, 1));
        checkLeaderTransferState(lead, StateType.StateFollower, 3);
    }

    /** Ports TestLeaderTransferAfterSnapshot: the transferee is caught up by snapshot first. */
    @Test
    void transferToFollowerNeedingSnapshotWaitsForIt() {
        Network nt = electedNetwork();

        nt.isolate(3);

        nt.send(propEmpty(1));
        Raft lead = nt.raft(1);
        nextEnts(lead, nt.storage.get(1L));
        ConfState cs =
                ConfState.newBuilder().addAllVoters(lead.trk.voterNodes()).build();
        nt.storage.get(1L).createSnapshot(lead.raftLog.applied, cs, (com.google.protobuf.ByteString) null);
        nt.storage.get(1L).compact(lead.raftLog.applied);

        nt.recover();
        assertEquals(1, lead.trk.progress().get(3L).match());

        Message[] filtered = {null};
        // The snapshot must be applied before the MsgAppResp is sent.
        nt.msgHook = m -> {
            if (m.getType() != MessageType.MsgAppResp || m.getFrom() != 3 || m.getReject()) {
                return true;
            }
            filtered[0] = m;
            return false;
        };
        // Transfer leadership to 3, which lacks the snapshot.
        nt.send(transfer(3, 1));
        assertEquals(StateType.StateLeader, lead.state);
        assertNotNull(filtered[0]);

        // Apply the snapshot and resume.
        Raft follower = nt.raft(3);
        Snapshot snap = follower.raftLog.nextUnstableSnapshot();
        nt.storage.get(3L).applySnapshot(snap);
        follower.appliedSnap(snap);
        nt.msgHook = null;
        nt.send(filtered[0]);

        checkLeaderTransferState(lead, StateType.StateFollower, 3);
    }

    /** Ports TestLeaderTransferToSelf: a transfer to the leader itself is a no-op. */
    @Test
    void transferToSelfIsNoop() {
        Network nt = electedNetwork();
        Raft lead = nt.raft(1);

        nt.send(transfer(1, 1));
        checkLeaderTransferState(lead, StateType.StateLeader, 1);
    }

    /** Ports TestLeaderTransferToNonExistingNode: a transfer to a non-member is a no-op. */
    @Test
    void transferToNonMemberIsNoop() {
        Network nt = electedNetwork();
        Raft lead = nt.raft(1);

        nt.send(transfer(4, 1));
        checkLeaderTransferState(lead, StateType.StateLeader, 1);
    }

    /** Ports TestLeaderTransferTimeout: a transfer is abandoned after an election timeout. */
    @Test
    void transferTimesOutAfterElectionTimeout() {
        Network nt = electedNetwork();
        nt.isolate(3);
        Raft lead = nt.raft(1);

        // Transfer leadership to the isolated node and wait for the timeout.
        nt.send(transfer(3, 1));
        assertEquals(3, lead.leadTransferee);

        for (int i = 0; i < lead.heartbeatTimeout; i++) {
            lead.tick();
        }
        assertEquals(3, lead.leadTransferee);

        for (int i = 0; i < lead.electionTimeout - lead.heartbeatTimeout; i++) {
            lead.tick();
        }

        checkLeaderTransferState(lead, StateType.StateLeader, 1);
    }

    /** Ports TestLeaderTransferIgnoreProposal: proposals are dropped while a transfer runs. */
    @Test
    void proposalsAreDroppedDuringTransfer() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2, 3));
        Raft r = newTestRaft(1, 10, 1, s);
        Network nt = newNetwork(r, null, null);
        nt.send(hup(1));

        nt.isolate(3);

        Raft lead = nt.raft(1);

        nextEnts(r, s); // handle the empty entry

        // A pending transfer to the isolated node, then a proposal.
        nt.send(transfer(3, 1));
        assertEquals(3, lead.leadTransferee);

        nt.send(propEmpty(1));
        assertThrows(ProposalDroppedException.class, () -> lead.step(propEmpty(1)));

        assertEquals(1, lead.trk.progress().get(1L).match());
    }

    /** Ports TestLeaderTransferReceiveHigherTermVote: an election at a higher term ends the transfer. */
    @Test
    void higherTermElectionEndsTransfer() {
        Network nt = electedNetwork();
        nt.isolate(3);
        Raft lead = nt.raft(1);

        // A pending transfer to the isolated node.
        nt.send(transfer(3, 1));
        assertEquals(3, lead.leadTransferee);

        nt.send(msg(2, 2, MessageType.MsgHup).setIndex(1).setTerm(2).build());

        checkLeaderTransferState(lead, StateType.StateFollower, 2);
    }

    /** Ports TestLeaderTransferRemoveNode: removing the transferee aborts the transfer. */
    @Test
    void removingTransfereeAbortsTransfer() {
        Network nt = electedNetwork();
        nt.ignore(MessageType.MsgTimeoutNow);
        Raft lead = nt.raft(1);

        // The transferee is removed during the transfer.
        nt.send(transfer(3, 1));
        assertEquals(3, lead.leadTransferee);

        lead.applyConfChange(confChangeV2(ConfChangeType.ConfChangeRemoveNode, 3));

        checkLeaderTransferState(lead, StateType.StateLeader, 1);
    }

    /** Ports TestLeaderTransferDemoteNode: demoting the transferee to learner aborts the transfer. */
    @Test
    void demotingTransfereeAbortsTransfer() {
        Network nt = electedNetwork();
        nt.ignore(MessageType.MsgTimeoutNow);
        Raft lead = nt.raft(1);

        // The transferee is demoted during the transfer.
        nt.send(transfer(3, 1));
        assertEquals(3, lead.leadTransferee);

        lead.applyConfChange(ConfChangeV2.newBuilder()
                .addChanges(ConfChangeSingle.newBuilder()
                        .setType(ConfChangeType.ConfChangeRemoveNode)
                        .setNodeId(3))
                .addChanges(ConfChangeSingle.newBuilder()
                        .setType(ConfChangeType.ConfChangeAddLearnerNode)
                        .setNodeId(3))
                .build());

        // As if the group committed the entry leaving the joint configuration.
        lead.applyConfChange(ConfChangeV2.getDefaultInstance());
        checkLeaderTransferState(lead, StateType.StateLeader, 1);
    }

    /** Ports TestLeaderTransferBack: a pending transfer can be redirected back to the leader. */
    @Test
    void pendingTransferCanBeRedirectedToLeader() {
        Network nt = electedNetwork();
        nt.isolate(3);
        Raft lead = nt.raft(1);

        nt.send(transfer(3, 1));
        assertEquals(3, lead.leadTransferee);

        // Transfer leadership back to the leader.
        nt.send(transfer(1, 1));

        checkLeaderTransferState(lead, StateType.StateLeader, 1);
    }

    /** Ports TestLeaderTransferSecondTransferToAnotherNode. */
    @Test
    void pendingTransferCanBeRedirectedToAnotherNode() {
        Network nt = electedNetwork();
        nt.isolate(3);
        Raft lead = nt.raft(1);

        nt.send(transfer(3, 1));
        assertEquals(3, lead.leadTransferee);

        // Transfer leadership to another node.
        nt.send(transfer(2, 1));

        checkLeaderTransferState(lead, StateType.StateFollower, 2);
    }

    /**
     * Ports TestLeaderTransferSecondTransferToSameNode: repeating the request does not extend
     * the timeout of the pending transfer.
     */
    @Test
    void repeatedTransferRequestDoesNotExtendTimeout() {
        Network nt = electedNetwork();
        nt.isolate(3);
        Raft lead = nt.raft(1);

        nt.send(transfer(3, 1));
        assertEquals(3, lead.leadTransferee);

        for (int i = 0; i < lead.heartbeatTimeout; i++) {
            lead.tick();
        }
        // A second request to the same node.
        nt.send(transfer(3, 1));

        for (int i = 0; i < lead.electionTimeout - lead.heartbeatTimeout; i++) {
            lead.tick();
        }

        checkLeaderTransferState(lead, StateType.StateLeader, 1);
    }

    /**
     * Ports TestTransferNonMember: MsgTimeoutNow at a node removed from the group does nothing
     * (it used to campaign, and panic on becoming leader when it got votes).
     */
    @Test
    void removedNodeIgnoresTimeoutNow() {
        Raft r = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(2, 3, 4)));
        r.step(msg(2, 1, MessageType.MsgTimeoutNow).build());

        r.step(msg(2, 1, MessageType.MsgVoteResp).build());
        r.step(msg(3, 1, MessageType.MsgVoteResp).build());
        assertEquals(StateType.StateFollower, r.state);
    }
}
