package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.RaftTestUtil.newTestConfig;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeSingle;
import org.raftexample.raftpb.ConfChangeTransition;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;

/**
 * A null conf change is Go's nil {@code ConfChangeI}: it proposes leaving a joint configuration
 * (an EntryConfChangeV2 without data), through RawNode and through Node alike.
 */
class ProposeNullConfChangeTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** Enters a joint configuration explicitly: node 2 becomes a learner, node 1 stays the voter. */
    private static final ConfChangeV2 ENTER_JOINT = ConfChangeV2.newBuilder()
            .addChanges(ConfChangeSingle.newBuilder()
                    .setType(ConfChangeType.ConfChangeAddLearnerNode)
                    .setNodeId(2))
            .setTransition(ConfChangeTransition.ConfChangeTransitionJointExplicit)
            .build();

    /** Handles Readys of a single-voter group until a conf change applies; returns its ConfState. */
    private static ConfState runUntilConfChangeApplies(RawNode rn, MemoryStorage s, List<Entry> seen) throws Exception {
        for (int i = 0; i < 100; i++) {
            if (!rn.hasReady()) {
                continue;
            }
            Ready rd = rn.ready();
            s.append(rd.entries());
            ConfState cs = null;
            for (Entry e : rd.committedEntries()) {
                if (e.getType() == EntryType.EntryConfChangeV2) {
                    seen.add(e);
                    cs = rn.applyConfChange(ConfChangeV2.parseFrom(e.getData()));
                }
            }
            rn.advance(rd);
            if (cs != null) {
                return cs;
            }
        }
        throw new AssertionError("no conf change applied");
    }

    @Test
    void rawNodeProposesLeaveJointForANullV2Change() throws Exception {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rn = new RawNode(newTestConfig(1, 10, 1, s).build());
        rn.campaign();
        while (rn.hasReady()) {
            Ready rd = rn.ready();
            s.append(rd.entries());
            rn.advance(rd);
        }
        List<Entry> applied = new ArrayList<>();
        rn.proposeConfChange(ENTER_JOINT);
        ConfState joint = runUntilConfChangeApplies(rn, s, applied);
        assertEquals(List.of(1L), joint.getVotersOutgoingList(), "in the joint configuration");

        rn.proposeConfChange((ConfChangeV2) null);
        ConfState left = runUntilConfChangeApplies(rn, s, applied);

        assertEquals(List.of(), left.getVotersOutgoingList(), "joint configuration left");
        assertEquals(List.of(1L), left.getVotersList());
        assertEquals(List.of(2L), left.getLearnersList());
        Entry leave = applied.get(applied.size() - 1);
        assertTrue(leave.getData().isEmpty(), "leave-joint entry carries no data, as Go's nil change");
    }

    @Test
    void rawNodeTreatsANullV1ChangeAsLeaveJointToo() throws Exception {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rn = new RawNode(newTestConfig(1, 10, 1, s).build());
        rn.campaign();
        while (rn.hasReady()) {
            Ready rd = rn.ready();
            s.append(rd.entries());
            rn.advance(rd);
        }
        List<Entry> applied = new ArrayList<>();
        rn.proposeConfChange(ENTER_JOINT);
        runUntilConfChangeApplies(rn, s, applied);

        rn.proposeConfChange((ConfChange) null);
        ConfState left = runUntilConfChangeApplies(rn, s, applied);

        assertEquals(List.of(), left.getVotersOutgoingList());
    }

    @Test
    @Timeout(60)
    void nodeProposesLeaveJointForANullV2Change() throws Exception {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        NodeLoop n = new NodeLoop(new RawNode(newTestConfig(1, 10, 1, s).build()));
        n.startThread();
        try {
            Node.await(n.campaign(), WAIT);
            ConfState joint = null;
            ConfState left = null;
            boolean enterProposed = false;
            boolean leaveProposed = false;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (left == null && System.nanoTime() < deadline) {
                Ready rd = n.ready(100, TimeUnit.MILLISECONDS);
                if (rd == null) {
                    continue;
                }
                s.append(rd.entries());
                for (Entry e : rd.committedEntries()) {
                    if (e.getType() != EntryType.EntryConfChangeV2) {
                        continue;
                    }
                    ConfState cs = n.applyConfChange(ConfChangeV2.parseFrom(e.getData()));
                    if (joint == null) {
                        joint = cs;
                    } else {
                        assertTrue(e.getData().isEmpty());
                        left = cs;
                    }
                }
                n.advance();
                if (!enterProposed && rd.softState() != null && rd.softState().lead() == 1) {
                    Node.await(n.proposeConfChange(ENTER_JOINT), WAIT);
                    enterProposed = true;
                } else if (joint != null && !leaveProposed) {
                    Node.await(n.proposeConfChange((ConfChangeV2) null), WAIT);
                    leaveProposed = true;
                }
            }
            assertNotNull(joint, "entered the joint configuration");
            assertEquals(List.of(1L), joint.getVotersOutgoingList());
            assertNotNull(left, "left the joint configuration");
            assertFalse(left.getVotersOutgoingCount() > 0);
        } finally {
            n.stop();
        }
    }
}
