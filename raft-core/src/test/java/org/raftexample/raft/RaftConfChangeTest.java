package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.Network.newNetwork;
import static org.raftexample.raft.RaftTestUtil.confChangeV2;
import static org.raftexample.raft.RaftTestUtil.hup;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.mustAppendEntry;
import static org.raftexample.raft.RaftTestUtil.newTestLearnerRaft;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.nextEnts;
import static org.raftexample.raft.RaftTestUtil.prop;
import static org.raftexample.raft.RaftTestUtil.withLearners;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.ConfChanges;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * Configuration changes on the raft state machine: proposing them (one pending at a time),
 * applying them to the tracker, and their effect on commitment and campaigning (etcd's
 * raft_test.go, configuration part).
 */
@Timeout(60)
class RaftConfChangeTest {

    private static Message propConfChange() {
        return prop(1, Entry.newBuilder().setType(EntryType.EntryConfChange).build());
    }

    /** Ports TestStepConfig: a proposed conf change is appended and becomes the pending one. */
    @Test
    void proposedConfChangeIsAppendedAndPending() {
        // A raft that cannot make progress.
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        r.becomeCandidate();
        r.becomeLeader();
        long index = r.raftLog.lastIndex();
        r.step(propConfChange());
        assertEquals(index + 1, r.raftLog.lastIndex());
        assertEquals(index + 1, r.pendingConfIndex);
    }

    /**
     * Ports TestStepIgnoreConfig: a second conf change while the first is uncommitted becomes
     * an empty normal entry, and the pending index stays.
     */
    @Test
    void secondPendingConfChangeBecomesNoop() {
        // A raft that cannot make progress.
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        r.becomeCandidate();
        r.becomeLeader();
        r.step(propConfChange());
        long index = r.raftLog.lastIndex();
        long pendingConfIndex = r.pendingConfIndex;
        r.step(propConfChange());
        List<Entry> wents = List.of(Entry.newBuilder()
                .setType(EntryType.EntryNormal)
                .setTerm(1)
                .setIndex(3)
                .build());
        List<Entry> ents = r.raftLog.entries(index + 1, RaftTestUtil.NO_LIMIT);
        assertEquals(wents, ents);
        assertEquals(pendingConfIndex, r.pendingConfIndex);
    }

    /** Ports TestNewLeaderPendingConfig: a new leader counts its uncommitted tail as pending. */
    @Test
    void newLeaderTreatsUncommittedTailAsPendingConfChange() {
        record Case(boolean addEntry, long wpendingIndex) {}
        List<Case> tests = List.of(new Case(false, 0), new Case(true, 1));
        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
            if (tt.addEntry()) {
                mustAppendEntry(
                        r, Entry.newBuilder().setType(EntryType.EntryNormal).build());
            }
            r.becomeCandidate();
            r.becomeLeader();
            assertEquals(tt.wpendingIndex(), r.pendingConfIndex, "#" + i);
        }
    }

    /** Ports TestAddNode. */
    @Test
    void addNodeAddsVoter() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
        r.applyConfChange(confChangeV2(ConfChangeType.ConfChangeAddNode, 2));
        assertEquals(List.of(1L, 2L), r.trk.voterNodes());
    }

    /** Ports TestAddLearner: adding, promoting and demoting learners, including this node. */
    @Test
    void addLearnerAndPromoteOrDemote() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
        // Add a learner.
        r.applyConfChange(confChangeV2(ConfChangeType.ConfChangeAddLearnerNode, 2));
        assertFalse(r.isLearner);
        assertEquals(List.of(2L), r.trk.learnerNodes());
        assertTrue(r.trk.progress().get(2L).isLearner());

        // Promote it to voter.
        r.applyConfChange(confChangeV2(ConfChangeType.ConfChangeAddNode, 2));
        assertFalse(r.trk.progress().get(2L).isLearner());

        // Demote this node.
        r.applyConfChange(confChangeV2(ConfChangeType.ConfChangeAddLearnerNode, 1));
        assertTrue(r.trk.progress().get(1L).isLearner());
        assertTrue(r.isLearner);

        // Promote it again.
        r.applyConfChange(confChangeV2(ConfChangeType.ConfChangeAddNode, 1));
        assertFalse(r.trk.progress().get(1L).isLearner());
        assertFalse(r.isLearner);
    }

    /** Ports TestRemoveNode: removing a voter; removing the last one panics. */
    @Test
    void removeNodeRemovesVoter() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        r.applyConfChange(confChangeV2(ConfChangeType.ConfChangeRemoveNode, 2));
        assertEquals(List.of(1L), r.trk.voterNodes());

        // Removing the remaining voter panics.
        assertThrows(
                RaftPanicException.class,
                () -> r.applyConfChange(confChangeV2(ConfChangeType.ConfChangeRemoveNode, 1)));
    }

    /** Ports TestRemoveLearner: removing a learner; removing the last voter panics. */
    @Test
    void removeNodeRemovesLearner() {
        Raft r = newTestLearnerRaft(1, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        r.applyConfChange(confChangeV2(ConfChangeType.ConfChangeRemoveNode, 2));
        assertEquals(List.of(1L), r.trk.voterNodes());
        assertEquals(List.of(), r.trk.learnerNodes());

        // Removing the remaining voter panics.
        assertThrows(
                RaftPanicException.class,
                () -> r.applyConfChange(confChangeV2(ConfChangeType.ConfChangeRemoveNode, 1)));
    }

    /** Ports TestRaftNodes: voter ids come out sorted. */
    @Test
    void voterNodesAreSorted() {
        record Case(long[] ids, List<Long> wids) {}
        List<Case> tests = List.of(
                new Case(new long[] {1, 2, 3}, List.of(1L, 2L, 3L)),
                new Case(new long[] {3, 2, 1}, List.of(1L, 2L, 3L)));
        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(tt.ids())));
            assertEquals(tt.wids(), r.trk.voterNodes(), "#" + i);
        }
    }

    /** Ports TestCommitAfterRemoveNode: removing a node lowers the quorum and commits pending entries. */
    @Test
    void removingNodeCommitsPendingEntries() {
        // A cluster of two nodes.
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2));
        Raft r = newTestRaft(1, 5, 1, s);
        r.becomeCandidate();
        r.becomeLeader();

        // Start removing the second node.
        ConfChange cc = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeRemoveNode)
                .setNodeId(2)
                .build();
        r.step(Message.newBuilder()
                .setType(MessageType.MsgProp)
                .addEntries(
                        Entry.newBuilder().setType(EntryType.EntryConfChange).setData(cc.toByteString()))
                .build());

        // Stabilize the log: nothing is committed yet.
        assertTrue(nextEnts(r, s).isEmpty());
        long ccIndex = r.raftLog.lastIndex();

        // Another proposal while the conf change is pending.
        r.step(Message.newBuilder()
                .setType(MessageType.MsgProp)
                .addEntries(Entry.newBuilder().setType(EntryType.EntryNormal).setData(ByteString.copyFromUtf8("hello")))
                .build());

        // Node 2 acks the conf change, committing it.
        r.step(Message.newBuilder()
                .setType(MessageType.MsgAppResp)
                .setFrom(2)
                .setIndex(ccIndex)
                .build());
        List<Entry> ents = nextEnts(r, s);
        assertEquals(2, ents.size());
        assertEquals(EntryType.EntryNormal, ents.get(0).getType());
        assertFalse(ents.get(0).hasData());
        assertEquals(EntryType.EntryConfChange, ents.get(1).getType());

        // Applying the conf change reduces the quorum, so the pending entry commits.
        r.applyConfChange(ConfChanges.asV2(cc));
        ents = nextEnts(r, s);
        assertEquals(1, ents.size());
        assertEquals(EntryType.EntryNormal, ents.get(0).getType());
        assertEquals(ByteString.copyFromUtf8("hello"), ents.get(0).getData());
    }

    /** Ports TestConfChangeCheckBeforeCampaign. */
    @Test
    void noCampaignWithUnappliedConfChange() {
        confChangeCheckBeforeCampaign(false);
    }

    /** Ports TestConfChangeV2CheckBeforeCampaign. */
    @Test
    void noCampaignWithUnappliedConfChangeV2() {
        confChangeCheckBeforeCampaign(true);
    }

    /** A node with a committed but unapplied conf change neither campaigns nor takes over. */
    private void confChangeCheckBeforeCampaign(boolean v2) {
        Network nt = newNetwork(null, null, null);
        Raft n1 = nt.raft(1);
        Raft n2 = nt.raft(2);
        nt.send(hup(1));
        assertEquals(StateType.StateLeader, n1.state);

        // Start removing node 2.
        ConfChange cc = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeRemoveNode)
                .setNodeId(2)
                .build();
        ByteString ccData;
        EntryType ty;
        if (v2) {
            ccData = ConfChanges.asV2(cc).toByteString();
            ty = EntryType.EntryConfChangeV2;
        } else {
            ccData = cc.toByteString();
            ty = EntryType.EntryConfChange;
        }
        nt.send(prop(1, Entry.newBuilder().setType(ty).setData(ccData).build()));

        // Node 2 times out...
        for (int i = 0; i < n2.randomizedElectionTimeout; i++) {
            n2.tick();
        }
        // ...but stays follower: the committed conf change is not applied.
        assertEquals(StateType.StateFollower, n2.state);

        // Transfer leadership to node 2.
        nt.send(msg(2, 1, MessageType.MsgTransferLeader).build());
        assertEquals(StateType.StateLeader, n1.state);
        // Still follower: the committed conf change is not applied.
        assertEquals(StateType.StateFollower, n2.state);

        // Let the transfer time out.
        for (int i = 0; i < n1.electionTimeout; i++) {
            n1.tick();
        }

        // Apply.
        nextEnts(n2, nt.storage.get(2L));

        // Transfer leadership to node 2 again.
        nt.send(msg(2, 1, MessageType.MsgTransferLeader).build());
        assertEquals(StateType.StateFollower, n1.state);
        assertEquals(StateType.StateLeader, n2.state);

        nextEnts(n1, nt.storage.get(1L));
        // Node 1 times out and campaigns.
        for (int i = 0; i < n1.randomizedElectionTimeout; i++) {
            n1.tick();
        }
        assertEquals(StateType.StateCandidate, n1.state);
    }
}
