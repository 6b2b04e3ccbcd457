package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.raftexample.raft.RaftTestUtil.data;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.newTestConfig;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.readMessages;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * The four byte limits are uint64 in etcd, where {@code math.MaxUint64} means "no limit". Its bits
 * are {@code -1L} here, and every such value must behave as no limit, never as "smaller than
 * everything".
 */
class UnsignedSizeLimitsTest {
    private static final long MAX_UINT64 = -1L;

    @Test
    void valuesAtOrAbove2To63ReadBackAsNoLimit() {
        Config c = newTestConfig(1, 10, 1, new MemoryStorage())
                .maxSizePerMsg(MAX_UINT64)
                .maxCommittedSizePerReady(Long.MIN_VALUE)
                .maxUncommittedEntriesSize(MAX_UINT64)
                .maxInflightBytes(MAX_UINT64)
                .build();
        assertEquals(Config.NO_LIMIT, c.maxSizePerMsg());
        assertEquals(Config.NO_LIMIT, c.maxCommittedSizePerReady());
        assertEquals(Config.NO_LIMIT, c.maxUncommittedEntriesSize());
        assertEquals(Config.NO_LIMIT, c.maxInflightBytes());
    }

    @Test
    void maxInflightBytesOfMaxUint64IsAcceptedAboveAnyMessageSize() {
        Config c = newTestConfig(1, 10, 1, new MemoryStorage())
                .maxSizePerMsg(1 << 20)
                .maxInflightBytes(MAX_UINT64)
                .build();
        assertEquals(Config.NO_LIMIT, c.maxInflightBytes());
    }

    @Test
    void maxSizePerMsgOfMaxUint64PutsTheWholeLogIntoOneAppend() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2));
        Raft r = Raft.newRaft(
                newTestConfig(1, 10, 1, s).maxSizePerMsg(MAX_UINT64).build());
        r.becomeCandidate();
        r.becomeLeader();
        readMessages(r);
        // Keep the follower probing so that nothing is sent until it answers.
        r.trk.progress().get(2L).becomeProbe();
        for (int i = 0; i < 5; i++) {
            r.appendEntry(List.of(data("e" + i)));
        }
        r.sendAppend(2);
        List<Message> apps = readMessages(r).stream()
                .filter(m -> m.getType() == MessageType.MsgApp)
                .toList();
        assertEquals(1, apps.size());
        // The leader's empty entry plus the five appended ones.
        assertEquals(6, apps.get(0).getEntriesCount());
    }

    @Test
    void maxInflightBytesOfMaxUint64DoesNotStallReplication() {
        Network nt =
                Network.newNetworkWithConfig(c -> c.maxSizePerMsg(1).maxInflightBytes(MAX_UINT64), null, null, null);
        nt.send(msg(1, 1, MessageType.MsgHup).build());
        for (int i = 0; i < 20; i++) {
            nt.send(msg(1, 1, MessageType.MsgProp).addEntries(data("x" + i)).build());
        }
        for (long id = 1; id <= 3; id++) {
            assertEquals(21, nt.raft(id).raftLog.committed, "committed index on " + id);
        }
    }

    @Test
    void maxUncommittedEntriesSizeOfMaxUint64AcceptsEveryProposal() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2, 3));
        Raft r = Raft.newRaft(
                newTestConfig(1, 10, 1, s).maxUncommittedEntriesSize(MAX_UINT64).build());
        r.becomeCandidate();
        r.becomeLeader();
        // Nobody answers, so nothing commits and the uncommitted tail only grows.
        for (int i = 0; i < 100; i++) {
            Message prop = msg(1, 1, MessageType.MsgProp)
                    .addEntries(data("payload-" + i))
                    .build();
            assertDoesNotThrow(() -> r.step(prop));
        }
        assertEquals(101, r.raftLog.lastIndex());
    }

    @Test
    void maxCommittedSizePerReadyOfMaxUint64HandsOutCommittedEntries() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rn = new RawNode(
                newTestConfig(1, 10, 1, s).maxCommittedSizePerReady(MAX_UINT64).build());
        rn.campaign();
        int committed = drain(rn, s);
        for (int i = 0; i < 3; i++) {
            rn.propose(("v" + i).getBytes());
        }
        committed += drain(rn, s);
        assertEquals(4, committed, "the leader's empty entry and three proposals");
    }

    /** Handles every Ready of a single-node group; returns how many entries it applied. */
    private static int drain(RawNode rn, MemoryStorage s) {
        int applied = 0;
        while (rn.hasReady()) {
            Ready rd = rn.ready();
            s.append(rd.entries());
            applied += rd.committedEntries().size();
            rn.advance(rd);
        }
        return applied;
    }
}
