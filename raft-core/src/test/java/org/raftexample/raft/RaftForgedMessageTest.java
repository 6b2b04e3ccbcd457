package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.readMessages;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.ProgressState;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * Messages no correct member sends, which reached a leader through an unauthenticated peer port (issue 13):
 * an acknowledgement of entries the leader never had sent it looking for a snapshot its storage did not hold,
 * and it died with "need non-empty snapshot". This port's own tests (etcd has no equivalent).
 */
@Timeout(30)
class RaftForgedMessageTest {

    /** Node 1 of {1, 2, 3}, leader of term 1, with no snapshot in its storage; its log is the empty entry. */
    private static Raft leader() {
        Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        sm.becomeCandidate();
        sm.becomeLeader();
        readMessages(sm);
        return sm;
    }

    @Test
    void leaderIgnoresAnAcknowledgementBeyondItsLastIndex() {
        Raft sm = leader();
        long last = sm.raftLog.lastIndex();
        Progress pr2 = sm.trk.progress().get(2L);
        long next = pr2.next();

        sm.step(msg(2, 1, MessageType.MsgAppResp)
                .setTerm(sm.term)
                .setIndex(last + 10000)
                .build());

        assertEquals(0, pr2.match(), "a forged acknowledgement moves nothing");
        assertEquals(next, pr2.next());
        assertEquals(last, sm.raftLog.lastIndex());
        assertTrue(readMessages(sm).stream().noneMatch(m -> m.getType() == MessageType.MsgSnap));

        // The real acknowledgement still works afterwards.
        sm.step(msg(2, 1, MessageType.MsgAppResp)
                .setTerm(sm.term)
                .setIndex(last)
                .build());
        assertEquals(last, pr2.match());
        assertEquals(ProgressState.StateReplicate, pr2.state());
    }

    @Test
    void followerFedAForgedSnapshotCannotMakeTheLeaderPanic() {
        Raft leader = leader();
        Raft follower = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        follower.becomeFollower(leader.term, 1);
        // Claims to come from the leader, in its term, with a snapshot far past the leader's log.
        Snapshot forged = Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setIndex(10001)
                        .setTerm(leader.term)
                        .setConfState(
                                ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3)))
                .build();
        follower.step(msg(1, 2, MessageType.MsgSnap)
                .setTerm(leader.term)
                .setSnapshot(forged)
                .build());
        List<Message> answers = readMessages(follower);
        assertTrue(
                answers.stream().anyMatch(m -> m.getType() == MessageType.MsgAppResp && m.getIndex() == 10001),
                () -> "the follower acknowledges the forged snapshot: " + answers);

        for (Message m : answers) {
            if (m.getTo() == 1) {
                leader.step(m);
            }
        }
        for (int i = 0; i < 20; i++) {
            leader.tick(); // heartbeats and their responses: nothing may reach for a snapshot that is not there
            for (Message m : readMessages(leader)) {
                if (m.getTo() == 2) {
                    follower.step(m);
                }
            }
            for (Message m : readMessages(follower)) {
                if (m.getTo() == 1) {
                    leader.step(m);
                }
            }
        }
        assertEquals(0, leader.trk.progress().get(2L).match());
        assertEquals(org.raftexample.raft.StateType.StateLeader, leader.state);
    }

    @Test
    void followerForwardsALeaderTransferThatCarriesATerm() {
        // A follower forwards a transfer request to its leader; one received over the network carries the
        // sender's term, which etcd's send() refuses with a panic.
        Raft follower = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        follower.becomeFollower(2, 1);
        follower.step(msg(3, 2, MessageType.MsgTransferLeader).setTerm(2).build());
        List<Message> out = readMessages(follower);
        assertEquals(1, out.size(), () -> "forwarded: " + out);
        assertEquals(MessageType.MsgTransferLeader, out.get(0).getType());
        assertEquals(1, out.get(0).getTo());
        assertEquals(3, out.get(0).getFrom(), "still in the name of the transferee");
        assertEquals(2, out.get(0).getTerm());
    }
}
