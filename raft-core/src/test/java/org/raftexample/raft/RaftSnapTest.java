package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.RaftTestUtil.data;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.readMessages;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.ProgressFixtures;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/** How a leader sends snapshots and tracks their outcome (etcd's raft_snap_test.go). */
@Timeout(30)
class RaftSnapTest {
    private static final Snapshot TESTING_SNAP = Snapshot.newBuilder()
            .setMetadata(SnapshotMetadata.newBuilder()
                    .setIndex(11)
                    .setTerm(11)
                    .setConfState(ConfState.newBuilder().addVoters(1).addVoters(2)))
            .build();

    /** A leader (node 1 of {1, 2}) that restored TESTING_SNAP, so its log starts after index 11. */
    private static Raft leaderAfterSnapshot(long... peers) {
        Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(peers)));
        sm.restore(TESTING_SNAP);
        sm.becomeCandidate();
        sm.becomeLeader();
        return sm;
    }

    @Test
    void sendingSnapshotSetsPendingSnapshot() {
        Raft sm = leaderAfterSnapshot(1);
        // Node 2 needs entries from before the first index: only a snapshot can help.
        Progress pr2 = sm.trk.progress().get(2L);
        ProgressFixtures.setNext(pr2, sm.raftLog.firstIndex());

        sm.step(msg(2, 1, MessageType.MsgAppResp)
                .setIndex(pr2.next() - 1)
                .setReject(true)
                .build());

        assertEquals(11, pr2.pendingSnapshot());
    }

    @Test
    void pendingSnapshotPausesReplication() {
        Raft sm = leaderAfterSnapshot(1, 2);
        sm.trk.progress().get(2L).becomeSnapshot(11);

        sm.step(msg(1, 1, MessageType.MsgProp).addEntries(data("somedata")).build());

        assertTrue(readMessages(sm).isEmpty());
    }

    @Test
    void failedSnapshotResumesProbingFromOldNext() {
        Raft sm = leaderAfterSnapshot(1, 2);
        Progress pr2 = sm.trk.progress().get(2L);
        ProgressFixtures.setNext(pr2, 1);
        pr2.becomeSnapshot(11);

        sm.step(msg(2, 1, MessageType.MsgSnapStatus).setReject(true).build());

        assertEquals(0, pr2.pendingSnapshot());
        assertEquals(1, pr2.next());
        assertTrue(pr2.msgAppFlowPaused());
    }

    @Test
    void succeededSnapshotResumesProbingAfterIt() {
        Raft sm = leaderAfterSnapshot(1, 2);
        Progress pr2 = sm.trk.progress().get(2L);
        ProgressFixtures.setNext(pr2, 1);
        pr2.becomeSnapshot(11);

        sm.step(msg(2, 1, MessageType.MsgSnapStatus).setReject(false).build());

        assertEquals(0, pr2.pendingSnapshot());
        assertEquals(12, pr2.next());
        assertTrue(pr2.msgAppFlowPaused());
    }

    @Test
    void appendAckAtOrAbovePendingSnapshotAbortsIt() {
        Raft sm = leaderAfterSnapshot(1, 2);
        Progress pr2 = sm.trk.progress().get(2L);
        ProgressFixtures.setNext(pr2, 1);
        pr2.becomeSnapshot(11);

        sm.step(msg(2, 1, MessageType.MsgAppResp).setIndex(11).build());

        assertEquals(0, pr2.pendingSnapshot());
        // The follower went back to replicating and was sent the leader's empty entry at 12,
        // optimistically moving next to 13.
        assertEquals(13, pr2.next());
        assertEquals(1, pr2.inflights().count());
    }
}
