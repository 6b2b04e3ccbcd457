package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.RaftTestUtil.data;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.readMessages;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/** The leader's window of in-flight appends per follower (etcd's raft_flow_control_test.go). */
@Timeout(30)
class RaftFlowControlTest {

    /** A leader of {1, 2} whose follower 2 is in replicate state. */
    private static Raft leader() {
        Raft r = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2)));
        r.becomeCandidate();
        r.becomeLeader();
        r.trk.progress().get(2L).becomeReplicate();
        return r;
    }

    private static void propose(Raft r) {
        r.step(msg(1, 1, MessageType.MsgProp).addEntries(data("somedata")).build());
    }

    /** Appends fill the window; once it is full, no more are sent. */
    @Test
    void appendsFillWindowThenStop() {
        Raft r = leader();
        Progress pr2 = r.trk.progress().get(2L);
        for (int i = 0; i < r.trk.maxInflight(); i++) {
            propose(r);
            List<Message> ms = readMessages(r);
            assertEquals(1, ms.size());
            assertEquals(MessageType.MsgApp, ms.get(0).getType());
        }

        assertTrue(pr2.isPaused());

        for (int i = 0; i < 10; i++) {
            propose(r);
            assertTrue(readMessages(r).isEmpty());
        }
    }

    /**
     * An ack frees every in-flight append up to its index and lets one more through; a stale
     * ack frees nothing.
     */
    @Test
    void acksMoveWindowForwardAndStaleAcksDoNot() {
        Raft r = leader();
        Progress pr2 = r.trk.progress().get(2L);
        for (int i = 0; i < r.trk.maxInflight(); i++) {
            propose(r);
            readMessages(r);
        }

        // Index 1 is the leader's empty entry, 2 the first proposal: start at 2.
        for (int tt = 2; tt < r.trk.maxInflight(); tt++) {
            r.step(msg(2, 1, MessageType.MsgAppResp).setIndex(tt).build());
            readMessages(r);

            propose(r);
            List<Message> ms = readMessages(r);
            assertEquals(1, ms.size());
            assertEquals(MessageType.MsgApp, ms.get(0).getType());

            assertTrue(pr2.isPaused());

            for (int i = 0; i < tt; i++) {
                r.step(msg(2, 1, MessageType.MsgAppResp).setIndex(i).build());
                assertTrue(pr2.isPaused());
            }
        }
    }

    /** With a full window, each heartbeat response lets exactly one empty append through. */
    @Test
    void heartbeatResponseLetsOneEmptyAppendThroughFullWindow() {
        Raft r = leader();
        Progress pr2 = r.trk.progress().get(2L);
        for (int i = 0; i < r.trk.maxInflight(); i++) {
            propose(r);
            readMessages(r);
        }

        for (int tt = 1; tt < 5; tt++) {
            for (int i = 0; i < tt; i++) {
                assertTrue(pr2.isPaused());
                // Unpauses the progress, sends an empty MsgApp, and pauses it again.
                r.step(msg(2, 1, MessageType.MsgHeartbeatResp).build());
                List<Message> ms = readMessages(r);
                assertEquals(1, ms.size());
                assertEquals(MessageType.MsgApp, ms.get(0).getType());
                assertEquals(0, ms.get(0).getEntriesCount());
            }

            // No more appends without heartbeats.
            for (int i = 0; i < 10; i++) {
                assertTrue(pr2.isPaused());
                propose(r);
                assertTrue(readMessages(r).isEmpty());
            }

            // Clear all pending messages.
            r.step(msg(2, 1, MessageType.MsgHeartbeatResp).build());
            readMessages(r);
        }
    }
}
