package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.EntryFactory.index;
import static org.raftexample.raft.Network.newNetwork;
import static org.raftexample.raft.RaftTestUtil.hup;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.newTestConfig;
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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * Linearizable reads through ReadIndex, confirmed by a heartbeat round (ReadOnlySafe) or by
 * the leader lease (ReadOnlyLeaseBased) (etcd's raft_test.go, read-only part).
 */
@Timeout(60)
class RaftReadOnlyTest {

    private static Message readIndex(long id, String ctx) {
        return msg(id, id, MessageType.MsgReadIndex)
                .addEntries(Entry.newBuilder().setData(ByteString.copyFromUtf8(ctx)))
                .build();
    }

    /** Ports TestRaftFreesReadOnlyMem: confirmed reads are dropped from the pending list. */
    @Test
    void confirmedReadsAreFreed() {
        Raft sm = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2)));
        sm.becomeCandidate();
        sm.becomeLeader();
        sm.raftLog.commitTo(sm.raftLog.lastIndex());

        ByteString reqCtx = ByteString.copyFromUtf8("ctx");

        // The leader starts a linearizable read (raft dissertation 6.4, step 2).
        sm.step(Message.newBuilder()
                .setFrom(2)
                .setType(MessageType.MsgReadIndex)
                .addEntries(Entry.newBuilder().setData(reqCtx))
                .build());
        List<Message> msgs = readMessages(sm);
        assertEquals(1, msgs.size());
        assertEquals(MessageType.MsgHeartbeat, msgs.get(0).getType());
        assertEquals(1, sm.readOnly.unconfirmedReads.size());

        // Heartbeat responses from a majority (here 1 follower) confirm the leadership
        // (dissertation 6.4, step 3).
        sm.step(Message.newBuilder()
                .setFrom(2)
                .setType(MessageType.MsgHeartbeatResp)
                .setContext(msgs.get(0).getContext())
                .build());
        assertTrue(sm.readOnly.unconfirmedReads.isEmpty());
    }

    private record ReadCase(Raft sm, int proposals, long wri, String wctx) {}

    /** Ports TestReadOnlyOptionSafe. */
    @Test
    void safeReadIndexFromAnyNode() {
        Raft a = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Raft b = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Raft c = newTestRaft(3, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));

        Network nt = newNetwork(a, b, c);
        setRandomizedElectionTimeout(b, b.electionTimeout + 1);

        for (int i = 0; i < b.electionTimeout; i++) {
            b.tick();
        }
        nt.send(hup(1));

        assertEquals(StateType.StateLeader, a.state);

        List<ReadCase> tests = List.of(
                new ReadCase(a, 10, 11, "ctx1"),
                new ReadCase(b, 10, 21, "ctx2"),
                new ReadCase(c, 10, 31, "ctx3"),
                new ReadCase(a, 10, 41, "ctx4"),
                new ReadCase(b, 10, 51, "ctx5"),
                new ReadCase(c, 10, 61, "ctx6"));

        for (int i = 0; i < tests.size(); i++) {
            ReadCase tt = tests.get(i);
            for (int j = 0; j < tt.proposals(); j++) {
                nt.send(propEmpty(1));
            }

            nt.send(readIndex(tt.sm().id, tt.wctx()));

            Raft r = tt.sm();
            assertFalse(r.readStates.isEmpty(), "#" + i);
            ReadState rs = r.readStates.get(0);
            assertEquals(tt.wri(), rs.index(), "#" + i);
            assertEquals(ByteString.copyFromUtf8(tt.wctx()), rs.requestCtx(), "#" + i);
            r.readStates = new ArrayList<>();
        }
    }

    /** Ports TestReadOnlyWithLearner: a learner's read is confirmed by the voters. */
    @Test
    void safeReadIndexFromLearner() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1), withLearners(2));
        Raft a = newTestLearnerRaft(1, 10, 1, s);
        Raft b = newTestLearnerRaft(2, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));

        Network nt = newNetwork(a, b);
        setRandomizedElectionTimeout(b, b.electionTimeout + 1);

        for (int i = 0; i < b.electionTimeout; i++) {
            b.tick();
        }
        nt.send(hup(1));

        assertEquals(StateType.StateLeader, a.state);

        List<ReadCase> tests = List.of(
                new ReadCase(a, 10, 11, "ctx1"),
                new ReadCase(b, 10, 21, "ctx2"),
                new ReadCase(a, 10, 31, "ctx3"),
                new ReadCase(b, 10, 41, "ctx4"));

        for (int i = 0; i < tests.size(); i++) {
            ReadCase tt = tests.get(i);
            for (int j = 0; j < tt.proposals(); j++) {
                nt.send(propEmpty(1));
                nextEnts(a, s); // append the entries on the leader
            }

            nt.send(readIndex(tt.sm().id, tt.wctx()));

            Raft r = tt.sm();
            assertFalse(r.readStates.isEmpty(), "#" + i);
            ReadState rs = r.readStates.get(0);
            assertEquals(tt.wri(), rs.index(), "#" + i);
            assertEquals(ByteString.copyFromUtf8(tt.wctx()), rs.requestCtx(), "#" + i);
            r.readStates = new ArrayList<>();
        }
    }

    /** Ports TestReadOnlyOptionLease. */
    @Test
    void leaseBasedReadIndexFromAnyNode() {
        Raft a = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Raft b = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Raft c = newTestRaft(3, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        for (Raft r : List.of(a, b, c)) {
            // ReadOnly's option is final; a fresh ReadOnly with the option is the same as
            // etcd's in-place assignment on a node that has no pending reads.
            r.readOnly = new ReadOnly(ReadOnlyOption.ReadOnlyLeaseBased);
            r.checkQuorum = true;
        }

        Network nt = newNetwork(a, b, c);
        setRandomizedElectionTimeout(b, b.electionTimeout + 1);

        for (int i = 0; i < b.electionTimeout; i++) {
            b.tick();
        }
        nt.send(hup(1));

        assertEquals(StateType.StateLeader, a.state);

        List<ReadCase> tests = List.of(
                new ReadCase(a, 10, 11, "ctx1"),
                new ReadCase(b, 10, 21, "ctx2"),
                new ReadCase(c, 10, 31, "ctx3"),
                new ReadCase(a, 10, 41, "ctx4"),
                new ReadCase(b, 10, 51, "ctx5"),
                new ReadCase(c, 10, 61, "ctx6"));

        for (int i = 0; i < tests.size(); i++) {
            ReadCase tt = tests.get(i);
            for (int j = 0; j < tt.proposals(); j++) {
                nt.send(propEmpty(1));
            }

            nt.send(readIndex(tt.sm().id, tt.wctx()));

            Raft r = tt.sm();
            ReadState rs = r.readStates.get(0);
            assertEquals(tt.wri(), rs.index(), "#" + i);
            assertEquals(ByteString.copyFromUtf8(tt.wctx()), rs.requestCtx(), "#" + i);
            r.readStates = new ArrayList<>();
        }
    }

    /**
     * Ports TestReadOnlyForNewLeader: a new leader answers reads only once it committed an
     * entry of its term, and then answers the postponed ones.
     */
    @Test
    void newLeaderPostponesReadsUntilItCommitsInItsTerm() {
        record NodeConfig(long id, long committed, long applied, long compactIndex) {}
        List<NodeConfig> nodeConfigs =
                List.of(new NodeConfig(1, 1, 1, 0), new NodeConfig(2, 2, 2, 2), new NodeConfig(3, 2, 2, 2));
        List<Object> peers = new ArrayList<>();
        for (NodeConfig c : nodeConfigs) {
            MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2, 3));
            storage.append(index(1).terms(1, 1));
            storage.setHardState(
                    HardState.newBuilder().setTerm(1).setCommit(c.committed()).build());
            if (c.compactIndex() != 0) {
                storage.compact(c.compactIndex());
            }
            Config.Builder cfg = newTestConfig(c.id(), 10, 1, storage);
            cfg.applied(c.applied());
            peers.add(Raft.newRaft(cfg.build()));
        }
        Network nt = newNetwork(peers.toArray());

        // Drop MsgApp, so that a cannot commit an entry of its term once leader.
        nt.ignore(MessageType.MsgApp);
        // Force a to become leader.
        nt.send(hup(1));

        Raft sm = nt.raft(1);
        assertEquals(StateType.StateLeader, sm.state);

        // a holds the read back.
        long windex = 4;
        ByteString wctx = ByteString.copyFromUtf8("ctx");
        nt.send(readIndex(1, "ctx"));
        assertTrue(sm.readStates.isEmpty());

        nt.recover();

        // Force a to commit an entry of its term.
        for (int i = 0; i < sm.heartbeatTimeout; i++) {
            sm.tick();
        }
        nt.send(propEmpty(1));
        assertEquals(4, sm.raftLog.committed);
        long lastLogTerm = sm.raftLog.zeroTermOnOutOfBounds(sm.raftLog.committed);
        assertEquals(sm.term, lastLogTerm);

        // a answered the postponed read after committing in its term.
        assertEquals(1, sm.readStates.size());
        ReadState rs = sm.readStates.get(0);
        assertEquals(windex, rs.index());
        assertEquals(wctx, rs.requestCtx());

        // a answers new reads now.
        nt.send(readIndex(1, "ctx"));
        assertEquals(2, sm.readStates.size());
        rs = sm.readStates.get(1);
        assertEquals(windex, rs.index());
        assertEquals(wctx, rs.requestCtx());
    }

    /**
     * Ports TestReadOnlyDuplicateRequest: duplicate requests with the same context never yield
     * a read index that is too small.
     */
    @Test
    void duplicateReadRequestsNeverReadStale() {
        Raft r1 = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Raft r2 = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Raft r3 = newTestRaft(3, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Network net = newNetwork(r1, r2, r3);

        // Delayed until a new leader is elected and commits a new entry.
        List<Message> delayedMsgs = new ArrayList<>();

        // Delays (without duplicating) only heartbeat responses.
        java.util.function.Predicate<Message> delayHeartbeatResps = m -> {
            if (m.getType() == MessageType.MsgHeartbeatResp) {
                delayedMsgs.add(m);
                return false;
            }
            return true;
        };

        // Elect r1.
        net.send(hup(1));

        // Read A must get an index of at least readIndexMinimumA.
        Message readIndexMsgA = msg(2, 1, MessageType.MsgReadIndex)
                .addEntries(Entry.newBuilder().setData(ByteString.copyFromUtf8("A")))
                .build();
        long readIndexMinimumA = r1.raftLog.committed;

        // Duplicate A for later, as the network or a retrying client might.
        delayedMsgs.add(readIndexMsgA);

        // Process A, delaying the heartbeat responses.
        net.msgHook = delayHeartbeatResps;
        net.send(readIndexMsgA);
        net.msgHook = null;

        // Tick and send what raft wants to send; this finishes processing A.
        r1.tick();
        RaftTestUtil.advanceMessagesAfterAppend(r1);
        List<Message> msgs = r1.msgs;
        r1.msgs = new ArrayList<>();
        net.send(msgs.toArray(new Message[0]));

        net.isolate(r1.id);

        // Elect r2 and commit a new entry.
        net.send(hup(2));
        net.send(prop(2, "someOp"));

        // Read B from the disconnected, stale leader r1 must get at least readIndexMinimumB.
        Message readIndexMsgB = readIndex(1, "B");
        long readIndexMinimumB = r2.raftLog.committed;

        net.send(readIndexMsgB);
        net.recover();
        // The delayed A first, then the delayed heartbeat responses: B must not be confirmed.
        net.send(delayedMsgs.toArray(new Message[0]));

        // No read index is too small (which would break linearizability).
        List<ReadState> all = new ArrayList<>();
        all.addAll(r1.readStates);
        all.addAll(r2.readStates);
        all.addAll(r3.readStates);
        for (ReadState rd : all) {
            String ctx = rd.requestCtx().toStringUtf8();
            if (ctx.equals("A")) {
                assertTrue(
                        rd.index() >= readIndexMinimumA,
                        "readIndex for A is " + rd.index() + " (should be >= " + readIndexMinimumA + ")");
            } else if (ctx.equals("B")) {
                assertTrue(
                        rd.index() >= readIndexMinimumB,
                        "readIndex for B is " + rd.index() + " (should be >= " + readIndexMinimumB + ")");
            }
        }
    }
}
