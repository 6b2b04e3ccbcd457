package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.EntryFactory.index;
import static org.raftexample.raft.Network.newNetwork;
import static org.raftexample.raft.RaftTestUtil.beat;
import static org.raftexample.raft.RaftTestUtil.hup;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.newTestLearnerRaft;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.nextEnts;
import static org.raftexample.raft.RaftTestUtil.prop;
import static org.raftexample.raft.RaftTestUtil.propEmpty;
import static org.raftexample.raft.RaftTestUtil.readMessages;
import static org.raftexample.raft.RaftTestUtil.setRandomizedElectionTimeout;
import static org.raftexample.raft.RaftTestUtil.withLearners;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.tracker.ProgressFixtures;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * Snapshots on the raft state machine: restoring one (log, configuration, learner status),
 * ignoring stale ones, and a leader sending one to a follower that fell behind its log
 * (etcd's raft_test.go, restore and snapshot part).
 */
@Timeout(60)
class RaftRestoreTest {

    private static Snapshot snap(long index, long term, ConfState.Builder cs) {
        return Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setIndex(index)
                        .setTerm(term)
                        .setConfState(cs))
                .build();
    }

    private static ConfState.Builder voters(long... ids) {
        ConfState.Builder cs = ConfState.newBuilder();
        for (long id : ids) {
            cs.addVoters(id);
        }
        return cs;
    }

    /** Ports TestRestore: restoring sets log and configuration; a restored node does not campaign. */
    @Test
    void restoreResetsLogAndConfiguration() {
        Snapshot s = snap(11, 11, voters(1, 2, 3)); // magic numbers

        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2));
        Raft sm = newTestRaft(1, 10, 1, storage);
        assertTrue(sm.restore(s));

        assertEquals(s.getMetadata().getIndex(), sm.raftLog.lastIndex());
        assertEquals(s.getMetadata().getTerm(), sm.raftLog.term(s.getMetadata().getIndex()));
        assertEquals(s.getMetadata().getConfState().getVotersList(), sm.trk.voterNodes());

        assertFalse(sm.restore(s));
        for (int i = 0; i < sm.randomizedElectionTimeout; i++) {
            sm.tick();
        }
        assertEquals(StateType.StateFollower, sm.state);
    }

    /** Ports TestRestoreWithLearner: a snapshot with learners restores them as learners. */
    @Test
    void restoreKeepsLearners() {
        Snapshot s = snap(11, 11, voters(1, 2).addLearners(3));

        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2), withLearners(3));
        Raft sm = newTestLearnerRaft(3, 8, 2, storage);
        assertTrue(sm.restore(s));

        assertEquals(s.getMetadata().getIndex(), sm.raftLog.lastIndex());
        assertEquals(s.getMetadata().getTerm(), sm.raftLog.term(s.getMetadata().getIndex()));

        ConfState cs = s.getMetadata().getConfState();
        assertEquals(cs.getVotersCount(), sm.trk.voterNodes().size());
        assertEquals(cs.getLearnersCount(), sm.trk.learnerNodes().size());
        for (long n : cs.getVotersList()) {
            assertFalse(sm.trk.progress().get(n).isLearner());
        }
        for (long n : cs.getLearnersList()) {
            assertTrue(sm.trk.progress().get(n).isLearner());
        }

        assertFalse(sm.restore(s));
    }

    /** Ports TestRestoreWithVotersOutgoing: an outgoing voter restores a joint configuration. */
    @Test
    void restoreJointConfigurationAsOutgoingVoter() {
        ConfState.Builder cs =
                voters(2, 3, 4).addVotersOutgoing(1).addVotersOutgoing(2).addVotersOutgoing(3);
        Snapshot s = snap(11, 11, cs);

        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2));
        Raft sm = newTestRaft(1, 10, 1, storage);
        assertTrue(sm.restore(s));

        assertEquals(s.getMetadata().getIndex(), sm.raftLog.lastIndex());
        assertEquals(s.getMetadata().getTerm(), sm.raftLog.term(s.getMetadata().getIndex()));
        assertEquals(List.of(1L, 2L, 3L, 4L), sm.trk.voterNodes());

        assertFalse(sm.restore(s));

        // It does not campaign before it applied the snapshot.
        for (int i = 0; i < sm.randomizedElectionTimeout; i++) {
            sm.tick();
        }
        assertEquals(StateType.StateFollower, sm.state);
    }

    /**
     * Ports TestRestoreVoterToLearner: a voter accepts a snapshot that makes it a learner (it
     * may compress a removal and a re-add as learner; refusing it would cut the node off).
     */
    @Test
    void voterAcceptsSnapshotDemotingItToLearner() {
        Snapshot s = snap(11, 11, voters(1, 2).addLearners(3));

        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2, 3));
        Raft sm = newTestRaft(3, 10, 1, storage);

        assertFalse(sm.isLearner);
        assertTrue(sm.restore(s));
    }

    /** Ports TestRestoreLearnerPromotion: a snapshot can promote a learner to voter. */
    @Test
    void learnerIsPromotedBySnapshot() {
        Snapshot s = snap(11, 11, voters(1, 2, 3));

        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2), withLearners(3));
        Raft sm = newTestLearnerRaft(3, 10, 1, storage);

        assertTrue(sm.isLearner);
        assertTrue(sm.restore(s));
        assertFalse(sm.isLearner);
    }

    /** Ports TestLearnerReceiveSnapshot: a learner receives a snapshot from the leader. */
    @Test
    void learnerReceivesSnapshotFromLeader() {
        // A leader with a compacted log and a snapshot.
        Snapshot s = snap(11, 11, voters(1).addLearners(2));

        MemoryStorage store = newTestMemoryStorage(withPeers(1), withLearners(2));
        Raft n1 = newTestLearnerRaft(1, 10, 1, store);
        Raft n2 = newTestLearnerRaft(2, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));

        n1.restore(s);
        Snapshot snap = n1.raftLog.nextUnstableSnapshot();
        store.applySnapshot(snap);
        n1.appliedSnap(snap);

        Network nt = newNetwork(n1, n2);

        setRandomizedElectionTimeout(n1, n1.electionTimeout);
        for (int i = 0; i < n1.electionTimeout; i++) {
            n1.tick();
        }

        nt.send(beat(1));

        assertEquals(n1.raftLog.committed, n2.raftLog.committed);
    }

    /** Ports TestRestoreIgnoreSnapshot: an old snapshot is ignored, or only fast-forwards commit. */
    @Test
    void staleSnapshotIsIgnoredOrFastForwardsCommit() {
        List<Entry> previousEnts = index(1).terms(1, 1, 1);
        long commit = 1;
        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2));
        Raft sm = newTestRaft(1, 10, 1, storage);
        sm.raftLog.append(previousEnts);
        sm.raftLog.commitTo(commit);

        Snapshot s = snap(commit, 1, voters(1, 2));

        // Ignore the snapshot.
        assertFalse(sm.restore(s));
        assertEquals(commit, sm.raftLog.committed);

        // Ignore the snapshot, but fast-forward the commit index.
        s = s.toBuilder()
                .setMetadata(s.getMetadata().toBuilder().setIndex(commit + 1))
                .build();
        assertFalse(sm.restore(s));
        assertEquals(commit + 1, sm.raftLog.committed);
    }

    /** Ports TestProvideSnap: a follower behind the leader's first index gets a snapshot. */
    @Test
    void leaderSendsSnapshotToFollowerBehindItsLog() {
        // A leader with a compacted log and a snapshot.
        Snapshot s = snap(11, 11, voters(1, 2));
        MemoryStorage storage = newTestMemoryStorage(withPeers(1));
        Raft sm = newTestRaft(1, 10, 1, storage);
        sm.restore(s);

        sm.becomeCandidate();
        sm.becomeLeader();

        // Node 2 needs a snapshot.
        ProgressFixtures.setNext(sm.trk.progress().get(2L), sm.raftLog.firstIndex());
        sm.step(msg(2, 1, MessageType.MsgAppResp)
                .setIndex(sm.trk.progress().get(2L).next() - 1)
                .setReject(true)
                .build());

        List<Message> msgs = readMessages(sm);
        assertEquals(1, msgs.size());
        assertEquals(MessageType.MsgSnap, msgs.get(0).getType());
    }

    /** Ports TestIgnoreProvidingSnap: no snapshot is sent to an inactive follower. */
    @Test
    void leaderSendsNoSnapshotToInactiveFollower() {
        // A leader with a compacted log and a snapshot.
        Snapshot s = snap(11, 11, voters(1, 2));
        MemoryStorage storage = newTestMemoryStorage(withPeers(1));
        Raft sm = newTestRaft(1, 10, 1, storage);
        sm.restore(s);

        sm.becomeCandidate();
        sm.becomeLeader();

        // Node 2 needs a snapshot but is inactive.
        ProgressFixtures.setNext(sm.trk.progress().get(2L), sm.raftLog.firstIndex() - 1);
        ProgressFixtures.setRecentActive(sm.trk.progress().get(2L), false);

        sm.step(prop(1, "somedata"));

        assertTrue(readMessages(sm).isEmpty());
    }

    /** Ports TestRestoreFromSnapMsg: a snapshot message makes its sender the leader. */
    @Test
    void snapshotMessageSetsLeader() {
        Snapshot s = snap(11, 11, voters(1, 2));
        Message m = Message.newBuilder()
                .setType(MessageType.MsgSnap)
                .setFrom(1)
                .setTerm(2)
                .setSnapshot(s)
                .build();

        Raft sm = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        sm.step(m);

        assertEquals(1, sm.lead);
    }

    /** Ports TestSlowNodeRestore: a node that missed compacted entries catches up by snapshot. */
    @Test
    void slowNodeCatchesUpBySnapshot() {
        Network nt = newNetwork(null, null, null);
        nt.send(hup(1));

        nt.isolate(3);
        for (int j = 0; j <= 100; j++) {
            nt.send(propEmpty(1));
        }
        Raft lead = nt.raft(1);
        nextEnts(lead, nt.storage.get(1L));
        ConfState cs =
                ConfState.newBuilder().addAllVoters(lead.trk.voterNodes()).build();
        nt.storage.get(1L).createSnapshot(lead.raftLog.applied, cs, (ByteString) null);
        nt.storage.get(1L).compact(lead.raftLog.applied);

        nt.recover();
        // Heartbeats until the leader learns everyone is active: node 3 counts as active only
        // once node 1 has its reply.
        do {
            nt.send(beat(1));
        } while (!lead.trk.progress().get(3L).recentActive());

        // Trigger a snapshot.
        nt.send(propEmpty(1));

        Raft follower = nt.raft(3);

        // Trigger a commit.
        nt.send(propEmpty(1));
        assertEquals(lead.raftLog.committed, follower.raftLog.committed);
    }
}
