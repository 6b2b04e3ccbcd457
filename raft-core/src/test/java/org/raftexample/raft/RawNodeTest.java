package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.RaftTestUtil.newTestConfig;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRawNode;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.TrackerConfig;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeSingle;
import org.raftexample.raftpb.ConfChangeTransition;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfChanges;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/** The RawNode API driven the way an application drives it (etcd's rawnode_test.go). */
@Timeout(30)
class RawNodeTest {
    private static final ByteString SOMEDATA = ByteString.copyFromUtf8("somedata");

    /** Local message types are refused when they come through RawNode.step. */
    @ParameterizedTest
    @EnumSource(MessageType.class)
    void stepRefusesLocalMessages(MessageType msgt) {
        MemoryStorage s = new MemoryStorage();
        s.setHardState(HardState.newBuilder().setTerm(1).setCommit(1).build());
        s.append(List.of(RaftTestUtil.entry(1, 1)));
        s.applySnapshot(Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder()
                .setConfState(ConfState.newBuilder().addVoters(1)).setIndex(1).setTerm(1)).build());
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s));
        Message m = Message.newBuilder().setType(msgt).build();
        if (Util.isLocalMsg(msgt)) {
            assertThrows(StepLocalMsgException.class, () -> rawNode.step(m));
        } else {
            try {
                rawNode.step(m);
            } catch (ProposalDroppedException | StepPeerNotFoundException e) {
                // Other errors are fine here: only local messages must be refused.
            }
        }
    }

    private record ConfChangeCase(MessageLite cc, ConfState exp, ConfState exp2) {
        ConfChangeV2 v2() {
            return cc instanceof ConfChange v1 ? ConfChanges.asV2(v1) : (ConfChangeV2) cc;
        }
    }

    private static ConfChangeSingle single(ConfChangeType type, long id) {
        return ConfChangeSingle.newBuilder().setType(type).setNodeId(id).build();
    }

    private static ConfState cs(long[] voters, long[] outgoing, long[] learners, long[] learnersNext,
            boolean autoLeave) {
        ConfState.Builder b = ConfState.newBuilder().setAutoLeave(autoLeave);
        for (long v : voters) {
            b.addVoters(v);
        }
        for (long v : outgoing) {
            b.addVotersOutgoing(v);
        }
        for (long v : learners) {
            b.addLearners(v);
        }
        for (long v : learnersNext) {
            b.addLearnersNext(v);
        }
        return b.build();
    }

    private static long[] ids(long... ids) {
        return ids;
    }

    static Stream<ConfChangeCase> confChangeCases() {
        ConfChangeSingle add2 = single(ConfChangeType.ConfChangeAddNode, 2);
        ConfChangeSingle learner2 = single(ConfChangeType.ConfChangeAddLearnerNode, 2);
        List<ConfChangeSingle> demote1 = List.of(add2, single(ConfChangeType.ConfChangeAddLearnerNode, 1),
                single(ConfChangeType.ConfChangeAddLearnerNode, 3));
        ConfState demoted = cs(ids(2), ids(), ids(1, 3), ids(), false);
        return Stream.of(
                // A V1 change.
                new ConfChangeCase(ConfChange.newBuilder().setType(ConfChangeType.ConfChangeAddNode).setNodeId(2).build(),
                        cs(ids(1, 2), ids(), ids(), ids(), false), null),
                // The same as V2, without entering a joint configuration.
                new ConfChangeCase(ConfChangeV2.newBuilder().addChanges(add2).build(),
                        cs(ids(1, 2), ids(), ids(), ids(), false), null),
                // Ditto, adding a learner.
                new ConfChangeCase(ConfChangeV2.newBuilder().addChanges(learner2).build(),
                        cs(ids(1), ids(), ids(2), ids(), false), null),
                // Joint consensus on request, left explicitly.
                new ConfChangeCase(ConfChangeV2.newBuilder().addChanges(learner2)
                        .setTransition(ConfChangeTransition.ConfChangeTransitionJointExplicit).build(),
                        cs(ids(1), ids(1), ids(2), ids(), false), cs(ids(1), ids(), ids(2), ids(), false)),
                // Ditto, implicit (left automatically).
                new ConfChangeCase(ConfChangeV2.newBuilder().addChanges(learner2)
                        .setTransition(ConfChangeTransition.ConfChangeTransitionJointImplicit).build(),
                        cs(ids(1), ids(1), ids(2), ids(), true), cs(ids(1), ids(), ids(2), ids(), false)),
                // Add a node and demote n1: needs joint consensus and learnersNext.
                new ConfChangeCase(ConfChangeV2.newBuilder().addAllChanges(demote1).build(),
                        cs(ids(2), ids(1), ids(3), ids(1), true), demoted),
                // Ditto explicit.
                new ConfChangeCase(ConfChangeV2.newBuilder().addAllChanges(demote1)
                        .setTransition(ConfChangeTransition.ConfChangeTransitionJointExplicit).build(),
                        cs(ids(2), ids(1), ids(3), ids(1), false), demoted),
                // Ditto implicit.
                new ConfChangeCase(ConfChangeV2.newBuilder().addAllChanges(demote1)
                        .setTransition(ConfChangeTransition.ConfChangeTransitionJointImplicit).build(),
                        cs(ids(2), ids(1), ids(3), ids(1), true), demoted));
    }

    /** The configuration change an entry carries, or null. */
    private static MessageLite confChangeOf(Entry ent) throws InvalidProtocolBufferException {
        if (ent.getType() == EntryType.EntryConfChange) {
            return ConfChange.parseFrom(ent.getData());
        } else if (ent.getType() == EntryType.EntryConfChangeV2) {
            return ConfChangeV2.parseFrom(ent.getData());
        }
        return null;
    }

    private static ConfState apply(RawNode rn, MessageLite cc) {
        return cc instanceof ConfChange v1 ? rn.applyConfChange(v1) : rn.applyConfChange((ConfChangeV2) cc);
    }

    /**
     * A simple or joint configuration change is proposed, committed and applied, giving the
     * expected conf state; a joint one is then left (automatically or by an explicit empty change).
     */
    @ParameterizedTest
    @MethodSource("confChangeCases")
    void proposedConfChangeAppliesAndJointStateIsLeft(ConfChangeCase tc) throws Exception {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s));

        rawNode.campaign();
        boolean proposed = false;
        ByteString ccdata = null;
        // Propose the change, wait until it applies, keep the resulting conf state.
        ConfState cs = null;
        while (cs == null) {
            Ready rd = rawNode.ready();
            s.append(rd.entries());
            for (Entry ent : rd.committedEntries()) {
                MessageLite cc = confChangeOf(ent);
                if (cc != null) {
                    cs = apply(rawNode, cc);
                }
            }
            rawNode.advance(rd);
            // Once leader, propose a command and the change.
            if (!proposed && rd.softState() != null && rd.softState().lead() == rawNode.raft.id) {
                rawNode.propose(SOMEDATA);
                ccdata = tc.cc().toByteString();
                if (tc.cc() instanceof ConfChange v1) {
                    rawNode.proposeConfChange(v1);
                } else {
                    rawNode.proposeConfChange((ConfChangeV2) tc.cc());
                }
                proposed = true;
            }
        }

        // The last index in storage is exactly the change we put in, down to the bits.
        long lastIndex = s.lastIndex();
        List<Entry> entries = s.entries(lastIndex - 1, lastIndex + 1, Long.MAX_VALUE);
        assertEquals(2, entries.size());
        assertEquals(SOMEDATA, entries.get(0).getData());
        EntryType typ = tc.cc() instanceof ConfChange ? EntryType.EntryConfChange : EntryType.EntryConfChangeV2;
        assertEquals(typ, entries.get(1).getType());
        assertEquals(ccdata, entries.get(1).getData());

        assertEquals(tc.exp(), cs);

        // An auto-leaving change has already appended the entry that leaves (not yet stable).
        long maybePlusOne = ConfChanges.enterJoint(tc.v2()) && ConfChanges.autoLeave(tc.v2()) ? 1 : 0;
        assertEquals(lastIndex + maybePlusOne, rawNode.raft.pendingConfIndex);

        // Move along: a simple change is done; a joint state is left automatically or, if not,
        // by proposing the empty change manually.
        Ready rd = rawNode.ready();
        ByteString context = null;
        if (!tc.exp().getAutoLeave()) {
            assertTrue(rd.entries().isEmpty());
            rawNode.advance(rd);
            if (tc.exp2() == null) {
                return;
            }
            context = ByteString.copyFromUtf8("manual");
            rawNode.proposeConfChange(ConfChangeV2.newBuilder().setContext(context).build());
            rd = rawNode.ready();
        }

        assertEquals(1, rd.entries().size());
        assertEquals(EntryType.EntryConfChangeV2, rd.entries().get(0).getType());
        ConfChangeV2 cc = ConfChangeV2.parseFrom(rd.entries().get(0).getData());
        ConfChangeV2.Builder want = ConfChangeV2.newBuilder();
        if (context != null) {
            want.setContext(context);
        }
        assertEquals(want.build(), cc);
        // Pretend it applied (with one node it cannot commit under the joint quorum).
        cs = rawNode.applyConfChange(cc);
        assertEquals(tc.exp2(), cs);

        rawNode.advance(rd);
    }

    /** A joint configuration is left automatically even after the leader lost and regained leadership. */
    @Test
    void jointStateIsLeftAutomaticallyAfterLeadershipChange() throws Exception {
        ConfChangeV2 testCc = ConfChangeV2.newBuilder()
                .addChanges(single(ConfChangeType.ConfChangeAddLearnerNode, 2))
                .setTransition(ConfChangeTransition.ConfChangeTransitionJointImplicit).build();
        ConfState expCs = cs(ids(1), ids(1), ids(2), ids(), true);
        ConfState exp2Cs = cs(ids(1), ids(), ids(2), ids(), false);

        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s));

        rawNode.campaign();
        boolean proposed = false;
        ConfState cs = null;
        while (cs == null) {
            Ready rd = rawNode.ready();
            s.append(rd.entries());
            for (Entry ent : rd.committedEntries()) {
                if (ent.getType() == EntryType.EntryConfChangeV2) {
                    ConfChangeV2 cc = ConfChangeV2.parseFrom(ent.getData());
                    // Force it to step down.
                    rawNode.step(Message.newBuilder().setType(MessageType.MsgHeartbeatResp).setFrom(1)
                            .setTerm(rawNode.raft.term + 1).build());
                    cs = rawNode.applyConfChange(cc);
                }
            }
            rawNode.advance(rd);
            if (!proposed && rd.softState() != null && rd.softState().lead() == rawNode.raft.id) {
                rawNode.propose(SOMEDATA);
                rawNode.proposeConfChange(testCc);
                proposed = true;
            }
        }

        long lastIndex = s.lastIndex();
        List<Entry> entries = s.entries(lastIndex - 1, lastIndex + 1, Long.MAX_VALUE);
        assertEquals(2, entries.size());
        assertEquals(SOMEDATA, entries.get(0).getData());
        assertEquals(EntryType.EntryConfChangeV2, entries.get(1).getType());
        assertEquals(testCc.toByteString(), entries.get(1).getData());

        assertEquals(expCs, cs);
        assertEquals(0, rawNode.raft.pendingConfIndex);

        // A follower does not leave the joint state.
        Ready rd = rawNode.readyWithoutAccept();
        assertTrue(rd.entries().isEmpty());

        // As leader again, it leaves automatically once the applied index moves.
        rawNode.campaign();
        for (int i = 0; i < 3; i++) {
            rd = rawNode.ready();
            s.append(rd.entries());
            rawNode.advance(rd);
        }
        rd = rawNode.ready();
        s.append(rd.entries());
        assertEquals(1, rd.entries().size());
        assertEquals(EntryType.EntryConfChangeV2, rd.entries().get(0).getType());
        ConfChangeV2 cc = ConfChangeV2.parseFrom(rd.entries().get(0).getData());
        assertEquals(ConfChangeV2.getDefaultInstance(), cc);
        // Pretend it applied.
        cs = rawNode.applyConfChange(cc);
        assertEquals(exp2Cs, cs);
    }

    /** Proposing to add the same node twice does not stop a later addition of another node. */
    @Test
    void duplicateAddNodeDoesNotBlockLaterChanges() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s));

        Ready rd = rawNode.ready();
        s.append(rd.entries());
        rawNode.advance(rd);

        rawNode.campaign();
        while (true) {
            rd = rawNode.ready();
            s.append(rd.entries());
            rawNode.advance(rd);
            if (rd.softState() != null && rd.softState().lead() == rawNode.raft.id) {
                break;
            }
        }

        ConfChange cc1 = ConfChange.newBuilder().setType(ConfChangeType.ConfChangeAddNode).setNodeId(1).build();
        proposeConfChangeAndApply(rawNode, s, cc1);
        // Try to add the same node again.
        proposeConfChangeAndApply(rawNode, s, cc1);
        // Adding a new node still works.
        ConfChange cc2 = ConfChange.newBuilder().setType(ConfChangeType.ConfChangeAddNode).setNodeId(2).build();
        proposeConfChangeAndApply(rawNode, s, cc2);

        long lastIndex = s.lastIndex();
        // The last three entries are cc1, cc1, cc2.
        List<Entry> entries = s.entries(lastIndex - 2, lastIndex + 1, Long.MAX_VALUE);
        assertEquals(3, entries.size());
        assertEquals(cc1.toByteString(), entries.get(0).getData());
        assertEquals(cc2.toByteString(), entries.get(2).getData());
    }

    private static void proposeConfChangeAndApply(RawNode rawNode, MemoryStorage s, ConfChange cc) {
        rawNode.proposeConfChange(cc);
        Ready rd = rawNode.ready();
        s.append(rd.entries());
        for (Entry entry : rd.committedEntries()) {
            if (entry.getType() == EntryType.EntryConfChange) {
                try {
                    rawNode.applyConfChange(ConfChange.parseFrom(entry.getData()));
                } catch (InvalidProtocolBufferException e) {
                    throw new AssertionError(e);
                }
            }
        }
        rawNode.advance(rd);
    }

    /** readIndex hands a MsgReadIndex to raft, and read states come out through Ready. */
    @Test
    void readIndexReachesRaftAndReadStatesComeOut() {
        List<Message> msgs = new ArrayList<>();
        List<ReadState> wrs = List.of(new ReadState(1, SOMEDATA));

        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s));

        rawNode.raft.readStates = new ArrayList<>(wrs);
        // The read states can be read out...
        assertTrue(rawNode.hasReady());
        Ready rd = rawNode.ready();
        assertEquals(wrs, rd.readStates());
        s.append(rd.entries());
        rawNode.advance(rd);
        // ...and are cleared once accepted.
        assertTrue(rawNode.raft.readStates.isEmpty());

        ByteString wrequestCtx = ByteString.copyFromUtf8("somedata2");
        rawNode.campaign();
        while (true) {
            rd = rawNode.ready();
            s.append(rd.entries());
            if (rd.softState() != null && rd.softState().lead() == rawNode.raft.id) {
                rawNode.advance(rd);
                // Once leader, issue a read request.
                rawNode.raft.step = (r, m) -> msgs.add(m);
                rawNode.readIndex(wrequestCtx);
                break;
            }
            rawNode.advance(rd);
        }
        assertEquals(1, msgs.size());
        assertEquals(MessageType.MsgReadIndex, msgs.get(0).getType());
        assertEquals(wrequestCtx, msgs.get(0).getEntries(0).getData());
    }

    /**
     * A node started from a storage bootstrapped with a conf state at index 1 (no faux
     * configuration entries) campaigns, proposes and applies.
     */
    @Test
    void startsFromBootstrappedStorage() {
        List<Entry> entries = List.of(
                RaftTestUtil.entry(1, 2), // the empty entry of the new leader
                RaftTestUtil.entry(1, 3, "foo"));

        MemoryStorage storage = new MemoryStorage();
        storage.setEnts(List.of(Entry.newBuilder().setIndex(1).build()));

        // Bootstrap: the log starts after index 1, so that empty followers need a snapshot
        // (and learn the initial configuration from it).
        assertTrue(storage.firstIndex() >= 2, "FirstIndex >= 2 is prerequisite for bootstrap");
        long fi = storage.firstIndex();
        assertThrows(StorageException.class, () -> storage.entries(fi, fi, Long.MAX_VALUE));
        long li = storage.lastIndex();
        assertThrows(StorageException.class, () -> storage.entries(li, li, Long.MAX_VALUE));
        Storage.InitialState initial = storage.initialState();
        assertTrue(Util.isEmptyHardState(initial.hardState()));
        assertEquals(0, initial.confState().getVotersCount());
        storage.applySnapshot(Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder()
                .setIndex(1).setTerm(0).setConfState(ConfState.newBuilder().addVoters(1))).build());

        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, storage));
        assertFalse(rawNode.hasReady());

        rawNode.campaign();
        Ready rd = rawNode.ready();
        storage.append(rd.entries());
        rawNode.advance(rd);
        rawNode.propose(ByteString.copyFromUtf8("foo"));
        assertTrue(rawNode.hasReady());

        rd = rawNode.ready();
        assertEquals(entries, rd.entries());
        storage.append(rd.entries());
        rawNode.advance(rd);

        assertTrue(rawNode.hasReady());
        rd = rawNode.ready();
        assertTrue(rd.entries().isEmpty());
        assertFalse(rd.mustSync());
        rawNode.advance(rd);

        Ready want = new Ready(null, HardState.newBuilder().setTerm(1).setVote(1).setCommit(3).build(),
                List.of(), List.of(), null, entries, List.of(), false);
        assertEquals(want, new Ready(null, rd.hardState(), rd.readStates(), rd.entries(), rd.snapshot(),
                List.copyOf(rd.committedEntries()), rd.messages(), rd.mustSync()));
        assertFalse(rawNode.hasReady());
    }

    /** A restarted node hands out the committed entries of its log, without a new hard state. */
    @Test
    void restartHandsOutCommittedEntries() {
        List<Entry> entries = List.of(RaftTestUtil.entry(1, 1), RaftTestUtil.entry(1, 2, "foo"));
        HardState st = HardState.newBuilder().setTerm(1).setCommit(1).build();

        MemoryStorage storage = newTestMemoryStorage(withPeers(1));
        storage.setHardState(st);
        storage.append(entries);
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, storage));
        Ready rd = rawNode.ready();
        assertEquals(new Ready(null, null, List.of(), List.of(), null, entries.subList(0, 1), List.of(), false),
                copy(rd));
        rawNode.advance(rd);
        assertFalse(rawNode.hasReady());
    }

    /** A node restarted from a snapshot plus entries hands out the committed entries after it. */
    @Test
    void restartFromSnapshotHandsOutEntriesAfterIt() {
        Snapshot snap = Snapshot.newBuilder().setMetadata(SnapshotMetadata.newBuilder()
                .setConfState(ConfState.newBuilder().addVoters(1).addVoters(2)).setIndex(2).setTerm(1)).build();
        List<Entry> entries = List.of(RaftTestUtil.entry(1, 3, "foo"));
        HardState st = HardState.newBuilder().setTerm(1).setCommit(3).build();

        MemoryStorage s = new MemoryStorage();
        s.setHardState(st);
        s.applySnapshot(snap);
        s.append(entries);
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s));
        Ready rd = rawNode.ready();
        assertEquals(new Ready(null, null, List.of(), List.of(), null, entries, List.of(), false), copy(rd));
        rawNode.advance(rd);
        assertFalse(rawNode.hasReady());
    }

    /** A Ready with its entry lists copied into plain lists, for comparison. */
    private static Ready copy(Ready rd) {
        return new Ready(rd.softState(), rd.hardState(), rd.readStates(), List.copyOf(rd.entries()),
                rd.snapshot(), List.copyOf(rd.committedEntries()), rd.messages(), rd.mustSync());
    }

    /** Status shows the progress map only on the leader, plus the configuration. */
    @Test
    void statusShowsLeaderProgressAndConfig() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rn = new RawNode(newTestConfig(1, 10, 1, s));
        assertTrue(rn.status().progress().isEmpty());
        rn.campaign();

        Ready rd = rn.ready();
        s.append(rd.entries());
        rn.advance(rd);
        Status status = rn.status();
        assertEquals(1, status.lead());
        assertEquals(StateType.StateLeader, status.raftState());
        Progress live = rn.raft.trk.progress().get(1L);
        Progress copied = status.progress().get(1L);
        assertEquals(live.toString(), copied.toString());
        assertEquals(live.match(), copied.match());
        assertEquals(live.next(), copied.next());
        assertEquals(live.inflights().count(), copied.inflights().count());
        assertNotEquals(System.identityHashCode(live.inflights()), System.identityHashCode(copied.inflights()));

        TrackerConfig expCfg = new TrackerConfig();
        expCfg.voters().incoming().add(1L);
        assertEquals(expCfg, status.config());
    }

    /**
     * A storage that returns more than the size limit asks for must not make raft skip an entry
     * when applying after a restart (etcd's regression test for lost writes).
     */
    @Test
    void commitPaginationAfterRestartLeavesNoGap() {
        MemoryStorage ms = newTestMemoryStorage(withPeers(1));
        ms.setHardState(HardState.newBuilder().setTerm(1).setVote(1).setCommit(10).build());
        List<Entry> ents = new ArrayList<>();
        long size = 0;
        for (int i = 0; i < 10; i++) {
            Entry ent = Entry.newBuilder().setTerm(1).setIndex(i + 1).setType(EntryType.EntryNormal)
                    .setData(ByteString.copyFromUtf8("a")).build();
            ents.add(ent);
            size += ent.getSerializedSize();
        }
        Config cfg = newTestConfig(1, 10, 1, new IgnoreSizeHintStorage(ms));
        // A size limit that should keep the last committed entry out of the first batch; the
        // storage ignores it and returns it anyway (which is how commit got to 10).
        cfg.maxSizePerMsg = size - ents.get(ents.size() - 1).getSerializedSize() - 1;
        ents.add(Entry.newBuilder().setTerm(1).setIndex(11).setType(EntryType.EntryNormal)
                .setData(ByteString.copyFromUtf8("boom")).build());
        ms.setEnts(ents);

        RawNode rawNode = new RawNode(cfg);
        long highestApplied = 0;
        while (highestApplied != 11) {
            Ready rd = rawNode.ready();
            int n = rd.committedEntries().size();
            assertNotEquals(0, n, "stopped applying entries at index " + highestApplied);
            long next = rd.committedEntries().get(0).getIndex();
            assertFalse(highestApplied != 0 && highestApplied + 1 != next,
                    "attempting to apply index " + next + " after index " + highestApplied + ", leaving a gap");
            highestApplied = rd.committedEntries().get(n - 1).getIndex();
            rawNode.advance(rd);
            rawNode.step(Message.newBuilder().setType(MessageType.MsgHeartbeat).setTo(1)
                    .setFrom(2) // not a member, but heartbeats are not checked
                    .setTerm(1).setCommit(11).build());
        }
    }

    /** A storage that ignores the size limit raft passes to entries() (etcd's ignoreSizeHintMemStorage). */
    private record IgnoreSizeHintStorage(MemoryStorage ms) implements Storage {
        @Override
        public InitialState initialState() {
            return ms.initialState();
        }

        @Override
        public List<Entry> entries(long lo, long hi, long maxSize) {
            return ms.entries(lo, hi, Long.MAX_VALUE);
        }

        @Override
        public long term(long i) {
            return ms.term(i);
        }

        @Override
        public long lastIndex() {
            return ms.lastIndex();
        }

        @Override
        public long firstIndex() {
            return ms.firstIndex();
        }

        @Override
        public Snapshot snapshot() {
            return ms.snapshot();
        }
    }

    /** A partitioned leader's uncommitted log stays within maxUncommittedEntriesSize. */
    @Test
    void partitionedLeaderLogGrowthIsBounded() {
        int maxEntries = 16;
        ByteString data = ByteString.copyFromUtf8("testdata");
        long maxEntrySize = maxEntries * EntrySizes.payloadSize(Entry.newBuilder().setData(data).build());

        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        Config cfg = newTestConfig(1, 10, 1, s);
        cfg.maxUncommittedEntriesSize = maxEntrySize;
        RawNode rawNode = new RawNode(cfg);

        // Become leader and apply the empty entry.
        rawNode.campaign();
        while (true) {
            Ready rd = rawNode.ready();
            s.append(rd.entries());
            rawNode.advance(rd);
            if (!rd.committedEntries().isEmpty()) {
                break;
            }
        }

        // Partitioned: nothing commits while we keep proposing.
        int dropped = 0;
        for (int i = 0; i < 1024; i++) {
            try {
                rawNode.propose(data);
            } catch (ProposalDroppedException e) {
                dropped++;
            }
        }
        assertEquals(1024 - maxEntries, dropped);
        assertEquals(maxEntrySize, rawNode.raft.uncommittedSize);

        // Recovering from the partition, the uncommitted tail goes away as entries commit.
        Ready rd = rawNode.ready();
        assertEquals(maxEntries, rd.entries().size());
        s.append(rd.entries());
        rawNode.advance(rd);
        // Appended, not yet applied.
        assertEquals(maxEntrySize, rawNode.raft.uncommittedSize);

        rd = rawNode.ready();
        assertTrue(rd.entries().isEmpty());
        assertEquals(maxEntries, rd.committedEntries().size());
        rawNode.advance(rd);
        assertEquals(0, rawNode.raft.uncommittedSize);
    }

    /** readyWithoutAccept leaves the messages in raft; ready() takes them; advance() keeps new ones. */
    @Test
    void onlyAcceptedReadyConsumesMessages() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rn = newTestRawNode(1, 3, 1, s);
        Message m1 = Message.newBuilder().setContext(ByteString.copyFromUtf8("foo")).build();
        Message m2 = Message.newBuilder().setContext(ByteString.copyFromUtf8("bar")).build();

        rn.raft.msgs.add(m1);
        Ready rd = rn.readyWithoutAccept();
        assertEquals(List.of(m1), rd.messages());
        assertEquals(List.of(m1), rn.raft.msgs);

        rd = rn.ready();
        assertTrue(rn.raft.msgs.isEmpty());
        assertEquals(List.of(m1), rd.messages());

        rn.raft.msgs.add(m2);
        rn.advance(rd);
        assertEquals(List.of(m2), rn.raft.msgs);
    }

    /** bootstrap refuses no peers and a non-empty storage, and otherwise commits one change per peer. */
    @Test
    void bootstrapAddsOneCommittedConfChangePerPeer() {
        MemoryStorage s = new MemoryStorage();
        RawNode rn = new RawNode(newTestConfig(1, 10, 1, s));
        assertThrows(IllegalArgumentException.class, () -> rn.bootstrap(List.of()));
        rn.bootstrap(List.of(new Peer(1), new Peer(2, ByteString.copyFromUtf8("ctx"))));

        Ready rd = rn.ready();
        assertEquals(HardState.newBuilder().setTerm(1).setVote(0).setCommit(2).build(), rd.hardState());
        assertEquals(2, rd.entries().size());
        assertEquals(rd.entries(), rd.committedEntries());
        assertEquals(EntryType.EntryConfChange, rd.entries().get(1).getType());
        assertEquals("1/2 EntryConfChange v2", Util.describeEntry(rd.entries().get(1), null));
        assertEquals(List.of(1L, 2L), rn.status().config().voters().incoming().slice());

        s.append(rd.entries());
        RawNode again = new RawNode(newTestConfig(1, 10, 1, s));
        assertThrows(IllegalStateException.class, () -> again.bootstrap(List.of(new Peer(1))));
        assertEquals(Raft.NONE, rn.basicStatus().lead());
    }
}
