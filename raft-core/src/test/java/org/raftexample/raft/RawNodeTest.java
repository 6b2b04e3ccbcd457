package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.RaftTestUtil.NO_LIMIT;
import static org.raftexample.raft.RaftTestUtil.newTestConfig;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRawNode;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.raftexample.raft.quorum.JointConfig;
import org.raftexample.raft.quorum.MajorityConfig;
import org.raftexample.raft.tracker.Inflights;
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

/**
 * The RawNode API driven the way an application drives it: Ready in, persist, apply, Advance
 * (etcd's rawnode_test.go, every test function; its benchmarks are left out).
 */
@Timeout(30)
class RawNodeTest {
    private static final ByteString SOMEDATA = ByteString.copyFromUtf8("somedata");

    // ---------------------------------------------------------------------------------------
    // Stepping

    /** etcd's TestRawNodeStep: local message types coming from the network are refused. */
    @ParameterizedTest
    @EnumSource(MessageType.class)
    void stepRefusesLocalMessagesFromTheNetwork(MessageType msgt) {
        MemoryStorage s = new MemoryStorage();
        s.setHardState(HardState.newBuilder().setTerm(1).setCommit(1).build());
        s.append(List.of(Entry.newBuilder().setTerm(1).setIndex(1).build()));
        s.applySnapshot(Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setConfState(ConfState.newBuilder().addVoters(1))
                        .setIndex(1)
                        .setTerm(1))
                .build());
        // The log holds an entry so that non-local messages (vote requests, say) are handled
        // without tripping any assertion.
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s).build());
        Message m = Message.newBuilder().setType(msgt).build();
        if (Util.isLocalMsg(msgt)) {
            assertThrows(StepLocalMsgException.class, () -> rawNode.step(m));
            return;
        }
        // etcd only checks the local case; the errors etcd returns for other messages are
        // exceptions here, and only those may come out (a panic would fail etcd's test too).
        try {
            rawNode.step(m);
        } catch (ProposalDroppedException | StepPeerNotFoundException e) {
            // an error result in etcd, not checked there
        }
    }

    // ---------------------------------------------------------------------------------------
    // Configuration changes

    /** One case of etcd's TestRawNodeProposeAndConfChange. */
    record ConfChangeCase(String name, MessageLite cc, ConfState exp, ConfState exp2) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<ConfChangeCase> confChangeCases() {
        ConfChangeSingle add2 = single(ConfChangeType.ConfChangeAddNode, 2);
        ConfChangeSingle learner2 = single(ConfChangeType.ConfChangeAddLearnerNode, 2);
        List<ConfChangeSingle> addTwoDemoteOne = List.of(
                single(ConfChangeType.ConfChangeAddNode, 2),
                single(ConfChangeType.ConfChangeAddLearnerNode, 1),
                single(ConfChangeType.ConfChangeAddLearnerNode, 3));
        return Stream.of(
                // A V1 config change.
                new ConfChangeCase(
                        "v1 add voter",
                        ConfChange.newBuilder()
                                .setType(ConfChangeType.ConfChangeAddNode)
                                .setNodeId(2)
                                .build(),
                        confState(ids(1, 2), ids(), ids(), ids(), null),
                        null),
                // The same as a V2 change works just the same, without a joint config.
                new ConfChangeCase(
                        "v2 add voter",
                        ConfChangeV2.newBuilder().addChanges(add2).build(),
                        confState(ids(1, 2), ids(), ids(), ids(), null),
                        null),
                // Ditto, adding it as a learner instead.
                new ConfChangeCase(
                        "v2 add learner",
                        ConfChangeV2.newBuilder().addChanges(learner2).build(),
                        confState(ids(1), ids(), ids(2), ids(), null),
                        null),
                // Joint consensus, asked for explicitly.
                new ConfChangeCase(
                        "v2 add learner, joint explicit",
                        ConfChangeV2.newBuilder()
                                .addChanges(learner2)
                                .setTransition(ConfChangeTransition.ConfChangeTransitionJointExplicit)
                                .build(),
                        confState(ids(1), ids(1), ids(2), ids(), null),
                        confState(ids(1), ids(), ids(2), ids(), null)),
                // Ditto, with the implicit transition.
                new ConfChangeCase(
                        "v2 add learner, joint implicit",
                        ConfChangeV2.newBuilder()
                                .addChanges(learner2)
                                .setTransition(ConfChangeTransition.ConfChangeTransitionJointImplicit)
                                .build(),
                        confState(ids(1), ids(1), ids(2), ids(), true),
                        confState(ids(1), ids(), ids(2), ids(), null)),
                // Add a new node and demote n1: joint consensus is really needed, and so is
                // LearnersNext.
                new ConfChangeCase(
                        "v2 add voter and demote, auto",
                        ConfChangeV2.newBuilder().addAllChanges(addTwoDemoteOne).build(),
                        confState(ids(2), ids(1), ids(3), ids(1), true),
                        confState(ids(2), ids(), ids(1, 3), ids(), null)),
                // Ditto explicit.
                new ConfChangeCase(
                        "v2 add voter and demote, joint explicit",
                        ConfChangeV2.newBuilder()
                                .addAllChanges(addTwoDemoteOne)
                                .setTransition(ConfChangeTransition.ConfChangeTransitionJointExplicit)
                                .build(),
                        confState(ids(2), ids(1), ids(3), ids(1), null),
                        confState(ids(2), ids(), ids(1, 3), ids(), null)),
                // Ditto implicit.
                new ConfChangeCase(
                        "v2 add voter and demote, joint implicit",
                        ConfChangeV2.newBuilder()
                                .addAllChanges(addTwoDemoteOne)
                                .setTransition(ConfChangeTransition.ConfChangeTransitionJointImplicit)
                                .build(),
                        confState(ids(2), ids(1), ids(3), ids(1), true),
                        confState(ids(2), ids(), ids(1, 3), ids(), null)));
    }

    /**
     * etcd's TestRawNodeProposeAndConfChange: a proposed simple or joint configuration change
     * lands in the log bit for bit, applies to the expected ConfState, and a joint configuration
     * is then left, automatically or by an explicit empty ConfChangeV2.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("confChangeCases")
    void proposedConfChangeAppliesAndJointConfigIsLeft(ConfChangeCase tc) throws Exception {
        // Go's EnsureConfState on the expectations: AutoLeave present (false unless set).
        ConfState exp = ConfChanges.ensureConfState(tc.exp());
        ConfState exp2 = tc.exp2() == null ? null : ConfChanges.ensureConfState(tc.exp2());
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s).build());

        rawNode.campaign();
        boolean proposed = false;
        ByteString ccdata = null;
        ConfChange ccv1 = ConfChanges.asV1(tc.cc());
        // Propose the change, run until it applies, keep the resulting ConfState.
        ConfState cs = null;
        while (cs == null) {
            Ready rd = rawNode.ready();
            s.append(rd.entries());
            for (Entry ent : rd.committedEntries()) {
                MessageLite cc = confChangeOf(ent);
                if (cc != null) {
                    cs = applyConfChange(rawNode, cc);
                }
            }
            rawNode.advance(rd);
            // Once leader, propose a command and the configuration change.
            if (!proposed && rd.softState().lead() == rawNode.raft.id) {
                rawNode.propose(SOMEDATA);
                if (ccv1 != null) {
                    ccdata = ccv1.toByteString();
                    rawNode.proposeConfChange(ccv1);
                } else {
                    ConfChangeV2 ccv2 = ConfChanges.asV2(tc.cc());
                    ccdata = ccv2.toByteString();
                    rawNode.proposeConfChange(ccv2);
                }
                proposed = true;
            }
        }

        // The last index of the storage (which does not see the entries of the next Ready yet)
        // is exactly the change we proposed, down to the bits.
        long lastIndex = s.lastIndex();
        List<Entry> entries = s.entries(lastIndex - 1, lastIndex + 1, NO_LIMIT);
        assertEquals(2, entries.size());
        assertEquals(SOMEDATA, entries.get(0).getData());
        EntryType typ = ccv1 != null ? EntryType.EntryConfChange : EntryType.EntryConfChangeV2;
        assertEquals(typ, entries.get(1).getType());
        assertEquals(ccdata, entries.get(1).getData());

        assertEquals(exp, cs);

        ConfChangeV2 asV2 = ConfChanges.asV2(tc.cc());
        // An auto-leaving joint change has already appended the entry that leaves the joint
        // config (not in stable storage yet), and pendingConfIndex points at it.
        long maybePlusOne = ConfChanges.enterJoint(asV2) && ConfChanges.autoLeave(asV2) ? 1 : 0;
        assertEquals(lastIndex + maybePlusOne, rawNode.raft.pendingConfIndex);

        // Move along. After a simple change nothing else happens; a joint config is left
        // either automatically or by the proposal added here.
        Ready rd = rawNode.ready();
        ByteString context = null;
        if (!exp.getAutoLeave()) {
            assertTrue(rd.entries().isEmpty(), rd.entries().toString());
            rawNode.advance(rd);
            if (exp2 == null) {
                return;
            }
            context = ByteString.copyFromUtf8("manual");
            // leaving the joint state manually
            rawNode.proposeConfChange(
                    ConfChangeV2.newBuilder().setContext(context).build());
            rd = rawNode.ready();
        }

        // The change that leaves the joint config comes out.
        assertEquals(1, rd.entries().size());
        assertEquals(EntryType.EntryConfChangeV2, rd.entries().get(0).getType());
        ConfChangeV2 cc = ConfChangeV2.parseFrom(rd.entries().get(0).getData());
        ConfChangeV2.Builder want = ConfChangeV2.newBuilder();
        if (context != null) {
            want.setContext(context);
        }
        assertEquals(want.build(), cc);

        // Pretend it applied: it cannot commit, as the joint quorum needs more than this node.
        cs = rawNode.applyConfChange(cc);
        assertEquals(exp2, cs);

        rawNode.advance(rd);
    }

    /**
     * etcd's TestRawNodeJointAutoLeave: an auto-leaving joint configuration is left even when
     * the leader lost leadership in between, once it is leader again and has applied the change.
     */
    @Test
    void jointConfigIsLeftAutomaticallyAfterLeadershipIsRegained() throws Exception {
        ConfChangeV2 testCc = ConfChangeV2.newBuilder()
                .addChanges(single(ConfChangeType.ConfChangeAddLearnerNode, 2))
                .setTransition(ConfChangeTransition.ConfChangeTransitionJointImplicit)
                .build();
        ConfState expCs = confState(ids(1), ids(1), ids(2), ids(), true);
        ConfState exp2Cs = confState(ids(1), ids(), ids(2), ids(), false);

        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s).build());

        rawNode.campaign();
        boolean proposed = false;
        ByteString ccdata = null;
        // Propose the change, run until it applies, keep the resulting ConfState.
        ConfState cs = null;
        while (cs == null) {
            Ready rd = rawNode.ready();
            s.append(rd.entries());
            for (Entry ent : rd.committedEntries()) {
                if (ent.getType() == EntryType.EntryConfChangeV2) {
                    ConfChangeV2 cc = ConfChangeV2.parseFrom(ent.getData());
                    // Force it to step down.
                    rawNode.step(Message.newBuilder()
                            .setType(MessageType.MsgHeartbeatResp)
                            .setFrom(1)
                            .setTerm(rawNode.raft.term + 1)
                            .build());
                    cs = rawNode.applyConfChange(cc);
                }
            }
            rawNode.advance(rd);
            // Once leader, propose a command and the configuration change.
            if (!proposed && rd.softState().lead() == rawNode.raft.id) {
                rawNode.propose(SOMEDATA);
                ccdata = testCc.toByteString();
                rawNode.proposeConfChange(testCc);
                proposed = true;
            }
        }

        // The last index of the storage is exactly the change we proposed, down to the bits.
        long lastIndex = s.lastIndex();
        List<Entry> entries = s.entries(lastIndex - 1, lastIndex + 1, NO_LIMIT);
        assertEquals(2, entries.size());
        assertEquals(SOMEDATA, entries.get(0).getData());
        assertEquals(EntryType.EntryConfChangeV2, entries.get(1).getType());
        assertEquals(ccdata, entries.get(1).getData());

        assertEquals(expCs, cs);

        assertEquals(0, rawNode.raft.pendingConfIndex);

        // A follower does not leave the joint config.
        Ready rd = rawNode.readyWithoutAccept();
        assertTrue(rd.entries().isEmpty(), rd.entries().toString());

        // Leader again: it leaves the joint config automatically once the apply index moved.
        rawNode.campaign();
        for (int i = 0; i < 3; i++) {
            rd = rawNode.ready();
            s.append(rd.entries());
            rawNode.advance(rd);
        }
        rd = rawNode.ready();
        s.append(rd.entries());
        // The change that leaves the joint config comes out.
        assertEquals(1, rd.entries().size(), rd.toString());
        assertEquals(EntryType.EntryConfChangeV2, rd.entries().get(0).getType());
        ConfChangeV2 cc = ConfChangeV2.parseFrom(rd.entries().get(0).getData());
        assertEquals(ConfChangeV2.getDefaultInstance(), cc);
        // Pretend it applied: it cannot commit, as the joint quorum needs more than this node.
        cs = rawNode.applyConfChange(cc);
        assertEquals(exp2Cs, cs);
    }

    /**
     * etcd's TestRawNodeProposeAddDuplicateNode: proposing to add the same node twice does not
     * stop a later proposal that adds another node.
     */
    @Test
    void duplicateAddNodeDoesNotBlockALaterAddition() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s).build());

        Ready rd = rawNode.ready();
        s.append(rd.entries());
        rawNode.advance(rd);

        rawNode.campaign();
        while (true) {
            rd = rawNode.ready();
            s.append(rd.entries());
            if (rd.softState().lead() == rawNode.raft.id) {
                rawNode.advance(rd);
                break;
            }
            rawNode.advance(rd);
        }

        ConfChange cc1 = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(1)
                .build();
        ByteString ccdata1 = cc1.toByteString();
        proposeConfChangeAndApply(rawNode, s, cc1);

        // Try to add the same node again.
        proposeConfChangeAndApply(rawNode, s, cc1);

        // Adding a new node works.
        ConfChange cc2 = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(2)
                .build();
        ByteString ccdata2 = cc2.toByteString();
        proposeConfChangeAndApply(rawNode, s, cc2);

        long lastIndex = s.lastIndex();

        // The last three entries are the changes cc1, cc1, cc2.
        List<Entry> entries = s.entries(lastIndex - 2, lastIndex + 1, NO_LIMIT);
        assertEquals(3, entries.size());
        assertEquals(ccdata1, entries.get(0).getData());
        assertEquals(ccdata2, entries.get(2).getData());
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

    // ---------------------------------------------------------------------------------------
    // Reads

    /**
     * etcd's TestRawNodeReadIndex: readIndex hands a MsgReadIndex to the raft state machine, and
     * read states come out through Ready and are cleared once accepted.
     */
    @Test
    void readIndexReachesRaftAndReadStatesComeOutThroughReady() {
        List<Message> msgs = new ArrayList<>();
        Raft.StepFunc appendStep = (r, m) -> msgs.add(m);
        List<ReadState> wrs = List.of(new ReadState(1, SOMEDATA));

        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s).build());

        rawNode.raft.readStates = new ArrayList<>(wrs);
        // The read states can be read out.
        assertTrue(rawNode.hasReady());
        Ready rd = rawNode.ready();
        assertEquals(wrs, rd.readStates());
        s.append(rd.entries());
        rawNode.advance(rd);
        // raft's read states are reset once the Ready is accepted.
        assertTrue(rawNode.raft.readStates.isEmpty(), rawNode.raft.readStates.toString());

        ByteString wrequestCtx = ByteString.copyFromUtf8("somedata2");
        rawNode.campaign();
        while (true) {
            rd = rawNode.ready();
            s.append(rd.entries());

            if (rd.softState().lead() == rawNode.raft.id) {
                rawNode.advance(rd);

                // Leader now: issue a ReadIndex request.
                rawNode.raft.step = appendStep;
                rawNode.readIndex(wrequestCtx);
                break;
            }
            rawNode.advance(rd);
        }
        // The MsgReadIndex reached the state machine.
        assertEquals(1, msgs.size());
        assertEquals(MessageType.MsgReadIndex, msgs.get(0).getType());
        assertEquals(wrequestCtx, msgs.get(0).getEntries(0).getData());
    }

    // ---------------------------------------------------------------------------------------
    // Start and restart

    /**
     * etcd's TestRawNodeStart: a node starts from a storage the application bootstrapped with a
     * snapshot holding the initial configuration (no peers, no faux ConfChange entries), elects
     * itself and commits its empty entry and a proposal.
     */
    @Test
    void startsFromStorageBootstrappedWithAConfState() {
        List<Entry> entries = List.of(
                Entry.newBuilder().setTerm(1).setIndex(2).build(), // empty entry
                Entry.newBuilder()
                        .setTerm(1)
                        .setIndex(3)
                        .setData(ByteString.copyFromUtf8("foo"))
                        .build());
        Ready want = new Ready(
                new SoftState(1, StateType.StateLeader),
                HardState.newBuilder().setTerm(1).setCommit(3).setVote(1).build(),
                null,
                null, // emitted and checked in an intermediate Ready
                null,
                entries,
                null,
                false); // only applying, not appending

        MemoryStorage storage = new MemoryStorage();
        storage.setEnts(List.of(Entry.newBuilder().setIndex(1).build()));

        // A first prototype of bootstrapping without the faux ConfChanges (etcd's TODO): the
        // ConfState is persisted at an index that log position 1 cannot reach, so that
        // followers have to pick it up from a snapshot (what CockroachDB does: its log really
        // begins at index 10).
        bootstrap(storage, ConfState.newBuilder().addVoters(1).build());

        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, storage).build());
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
        assertTrue(rd.entries().isEmpty(), rd.entries().toString());
        assertFalse(rd.mustSync());
        rawNode.advance(rd);

        assertEquals(withoutSoftState(want), withoutSoftState(rd));
        assertFalse(rawNode.hasReady());
    }

    /** The bootstrap of etcd's TestRawNodeStart: checks the storage is blank, then applies the snapshot. */
    private static void bootstrap(MemoryStorage storage, ConfState cs) {
        assertNotEquals(0, cs.getVotersCount(), "no voters specified");
        long fi = storage.firstIndex();
        assertTrue(fi >= 2, "FirstIndex >= 2 is prerequisite for bootstrap");

        assertThrows(
                StorageException.class,
                () -> storage.entries(fi, fi, NO_LIMIT),
                "should not have been able to load first index");

        long li = storage.lastIndex();
        assertThrows(
                StorageException.class,
                () -> storage.entries(li, li, NO_LIMIT),
                "should not have been able to load last index");

        Storage.InitialState st = storage.initialState();
        assertTrue(Util.isEmptyHardState(st.hardState()));
        assertEquals(0, st.confState().getVotersCount());

        storage.applySnapshot(Snapshot.newBuilder()
                .setMetadata(
                        SnapshotMetadata.newBuilder().setIndex(1).setTerm(0).setConfState(cs))
                .build());
    }

    /** etcd's TestRawNodeRestart: a restarted node hands out its committed entries, and no hard state. */
    @Test
    void restartHandsOutCommittedEntriesWithoutHardState() {
        List<Entry> entries = List.of(
                Entry.newBuilder().setTerm(1).setIndex(1).build(),
                Entry.newBuilder()
                        .setTerm(1)
                        .setIndex(2)
                        .setData(ByteString.copyFromUtf8("foo"))
                        .build());
        HardState st = HardState.newBuilder().setTerm(1).setCommit(1).build();

        Ready want = new Ready(
                null,
                null,
                null,
                null,
                null,
                entries.subList(0, (int) st.getCommit()), // up to the commit index of st
                null,
                false);

        MemoryStorage storage = newTestMemoryStorage(withPeers(1));
        storage.setHardState(st);
        storage.append(entries);
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, storage).build());
        Ready rd = rawNode.ready();
        assertEquals(want, rd);
        rawNode.advance(rd);
        assertFalse(rawNode.hasReady());
    }

    /**
     * etcd's TestRawNodeRestartFromSnapshot: a node restarted from a snapshot plus later entries
     * hands out the committed entries after the snapshot, and no hard state.
     */
    @Test
    void restartFromSnapshotHandsOutTheCommittedEntriesAfterIt() {
        Snapshot snap = Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setConfState(ConfState.newBuilder().addVoters(1).addVoters(2))
                        .setIndex(2)
                        .setTerm(1))
                .build();
        List<Entry> entries = List.of(Entry.newBuilder()
                .setTerm(1)
                .setIndex(3)
                .setData(ByteString.copyFromUtf8("foo"))
                .build());
        HardState st = HardState.newBuilder().setTerm(1).setCommit(3).build();

        Ready want = new Ready(null, null, null, null, null, entries, null, false);

        MemoryStorage s = new MemoryStorage();
        s.setHardState(st);
        s.applySnapshot(snap);
        s.append(entries);
        RawNode rawNode = new RawNode(newTestConfig(1, 10, 1, s).build());
        Ready rd = rawNode.ready();
        assertEquals(want, rd);
        rawNode.advance(rd);
        assertFalse(rawNode.hasReady());
    }

    // ---------------------------------------------------------------------------------------
    // Status

    /**
     * etcd's TestRawNodeStatus: no progress before leading; once leader, the status carries a
     * copy of the leader's progress and the active configuration.
     */
    @Test
    void statusCarriesProgressOnlyOnTheLeaderAndTheConfig() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rn = new RawNode(newTestConfig(1, 10, 1, s).build());
        // Go's nil map: the Java status has an empty one.
        assertTrue(rn.status().progress().isEmpty(), rn.status().progress().toString());
        rn.campaign();

        Ready rd = rn.ready();
        s.append(rd.entries());
        rn.advance(rd);
        Status status = rn.status();
        assertEquals(1, status.lead());
        assertEquals(StateType.StateLeader, status.raftState());
        Progress live = rn.raft.trk.progress().get(1L);
        Progress copied = status.progress().get(1L);
        assertProgressEquals(live, copied);
        // A copy: the status does not share the leader's in-flight window.
        assertNotSame(live.inflights(), copied.inflights());

        TrackerConfig expCfg = new TrackerConfig(
                new JointConfig(MajorityConfig.of(1), new MajorityConfig()), false, new HashSet<>(), new HashSet<>());
        assertEquals(expCfg, status.config());
    }

    /** Go's require.Equal on two Progress values: every field, the in-flight window deeply. */
    private static void assertProgressEquals(Progress exp, Progress act) {
        assertNotNull(act);
        assertFieldsEqual(Progress.class, exp, act);
    }

    private static void assertFieldsEqual(Class<?> type, Object exp, Object act) {
        try {
            for (Field f : type.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) {
                    continue;
                }
                f.setAccessible(true);
                Object e = f.get(exp);
                Object a = f.get(act);
                if (f.getType() == Inflights.class && e != null && a != null) {
                    assertFieldsEqual(Inflights.class, e, a);
                } else if (f.getType() == long[].class) {
                    assertArrayEquals((long[]) e, (long[]) a, f.getName());
                } else {
                    assertEquals(e, a, f.getName());
                }
            }
        } catch (IllegalAccessException e) {
            throw new AssertionError(e);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Pagination and flow limits

    /**
     * etcd's TestRawNodeCommitPaginationAfterRestart: after a restart, a storage that returns
     * more than raft's size hint must not make raft skip an entry when applying. The anomaly
     * this guards against lost a write: raft counted index 10 as applied while handing out 1..9
     * only, then asked the application to apply 11.
     */
    @Test
    void commitPaginationAfterRestartLeavesNoGapInAppliedEntries() {
        MemoryStorage ms = newTestMemoryStorage(withPeers(1));
        Storage s = new IgnoreSizeHintMemStorage(ms);
        HardState persistedHardState =
                HardState.newBuilder().setTerm(1).setVote(1).setCommit(10).build();

        ms.setHardState(persistedHardState);
        List<Entry> ents = new ArrayList<>();
        long size = 0;
        for (int i = 0; i < 10; i++) {
            Entry ent = Entry.newBuilder()
                    .setTerm(1)
                    .setIndex(i + 1)
                    .setType(EntryType.EntryNormal)
                    .setData(ByteString.copyFromUtf8("a"))
                    .build();
            ents.add(ent);
            size += ent.getSerializedSize();
        }
        ms.setEnts(ents);

        Config.Builder cfg = newTestConfig(1, 10, 1, s);
        // A MaxSizePerMsg that tells raft to leave the last committed entry out of the first
        // committed entries; the storage ignores it and returns that entry anyway (which is how
        // the commit index came to be 10).
        cfg.maxSizePerMsg(size - ents.get(ents.size() - 1).getSerializedSize() - 1);

        ents.add(Entry.newBuilder()
                .setTerm(1)
                .setIndex(11)
                .setType(EntryType.EntryNormal)
                .setData(ByteString.copyFromUtf8("boom"))
                .build());
        ms.setEnts(ents);

        RawNode rawNode = new RawNode(cfg.build());

        for (long highestApplied = 0; highestApplied != 11; ) {
            Ready rd = rawNode.ready();
            int n = rd.committedEntries().size();
            assertNotEquals(0, n, "stopped applying entries at index " + highestApplied);
            long next = rd.committedEntries().get(0).getIndex();
            assertFalse(
                    highestApplied != 0 && highestApplied + 1 != next,
                    "attempting to apply index " + next + " after index " + highestApplied + ", leaving a gap");

            highestApplied = rd.committedEntries().get(n - 1).getIndex();
            rawNode.advance(rd);
            rawNode.step(Message.newBuilder()
                    .setType(MessageType.MsgHeartbeat)
                    .setTo(1)
                    .setFrom(2) // illegal, but we get away with it
                    .setTerm(1)
                    .setCommit(11)
                    .build());
        }
    }

    /**
     * etcd's TestRawNodeBoundedLogGrowthWithPartition: a leader cut off from its quorum keeps
     * accepting proposals only up to MaxUncommittedEntriesSize, and the uncommitted tail
     * disappears as entries commit.
     */
    @Test
    void partitionedLeaderLogGrowthIsBoundedByMaxUncommittedSize() {
        final int maxEntries = 16;
        ByteString data = ByteString.copyFromUtf8("testdata");
        Entry testEntry = Entry.newBuilder().setData(data).build();
        long maxEntrySize = maxEntries * EntrySizes.payloadSize(testEntry);

        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        Config.Builder cfg = newTestConfig(1, 10, 1, s);
        cfg.maxUncommittedEntriesSize(maxEntrySize);
        RawNode rawNode = new RawNode(cfg.build());

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

        // Simulate a partition by never committing anything while proposing: the leader's log
        // must not grow without bound.
        int dropped = 0;
        for (int i = 0; i < 1024; i++) {
            try {
                rawNode.propose(data);
            } catch (ProposalDroppedException e) {
                dropped++; // etcd ignores the error; here it also shows which proposals were refused
            }
        }
        assertEquals(1024 - maxEntries, dropped);

        // The uncommitted tail is within MaxUncommittedEntriesSize.
        assertEquals(maxEntrySize, rawNode.raft.uncommittedSize);

        // Recover from the partition: the uncommitted tail disappears as entries commit.
        Ready rd = rawNode.ready();
        assertEquals(maxEntries, rd.entries().size());
        s.append(rd.entries());
        rawNode.advance(rd);

        // Appended, not applied yet.
        assertEquals(maxEntrySize, rawNode.raft.uncommittedSize);

        rd = rawNode.ready();
        assertTrue(rd.entries().isEmpty(), rd.entries().toString());
        assertEquals(maxEntries, rd.committedEntries().size());
        rawNode.advance(rd);

        assertEquals(0, rawNode.raft.uncommittedSize);
    }

    // ---------------------------------------------------------------------------------------
    // Ready bookkeeping

    /**
     * etcd's TestRawNodeConsumeReady: readyWithoutAccept leaves the messages in raft, ready()
     * moves them into the Ready, and advance() keeps messages queued after it.
     */
    @Test
    void onlyAnAcceptedReadyConsumesTheMessages() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        RawNode rn = newTestRawNode(1, 3, 1, s);
        Message m1 =
                Message.newBuilder().setContext(ByteString.copyFromUtf8("foo")).build();
        Message m2 =
                Message.newBuilder().setContext(ByteString.copyFromUtf8("bar")).build();

        // The first message is visible through readyWithoutAccept.
        rn.raft.msgs.add(m1);
        Ready rd = rn.readyWithoutAccept();
        assertEquals(List.of(m1), rd.messages());
        assertEquals(List.of(m1), rn.raft.msgs);

        // ready() moves it into the Ready instead of leaving it in both places.
        rd = rn.ready();
        assertTrue(rn.raft.msgs.isEmpty(), rn.raft.msgs.toString());
        assertEquals(List.of(m1), rd.messages());

        // advance() does not drop a message queued in the meantime.
        rn.raft.msgs.add(m2);
        rn.advance(rd);
        assertEquals(List.of(m2), rn.raft.msgs);
    }

    // ---------------------------------------------------------------------------------------
    // Bootstrap (not in rawnode_test.go: etcd covers RawNode.Bootstrap through its Node tests)

    /** bootstrap refuses no peers and a non-empty storage, and otherwise commits one change per peer. */
    @Test
    void bootstrapAddsOneCommittedConfChangePerPeer() {
        MemoryStorage s = new MemoryStorage();
        RawNode rn = new RawNode(newTestConfig(1, 10, 1, s).build());
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
        RawNode again = new RawNode(newTestConfig(1, 10, 1, s).build());
        assertThrows(IllegalStateException.class, () -> again.bootstrap(List.of(new Peer(1))));
        assertEquals(Raft.NONE, rn.basicStatus().lead());
    }

    // ---------------------------------------------------------------------------------------
    // Helpers

    private static ConfChangeSingle single(ConfChangeType type, long id) {
        return ConfChangeSingle.newBuilder().setType(type).setNodeId(id).build();
    }

    private static long[] ids(long... ids) {
        return ids;
    }

    /** A ConfState with the given id lists; autoLeave null leaves the field unset. */
    private static ConfState confState(
            long[] voters, long[] outgoing, long[] learners, long[] learnersNext, Boolean autoLeave) {
        ConfState.Builder b = ConfState.newBuilder();
        for (long id : voters) {
            b.addVoters(id);
        }
        for (long id : outgoing) {
            b.addVotersOutgoing(id);
        }
        for (long id : learners) {
            b.addLearners(id);
        }
        for (long id : learnersNext) {
            b.addLearnersNext(id);
        }
        if (autoLeave != null) {
            b.setAutoLeave(autoLeave);
        }
        return b.build();
    }

    /** The configuration change a committed entry carries, or null for other entries. */
    private static MessageLite confChangeOf(Entry ent) throws InvalidProtocolBufferException {
        if (ent.getType() == EntryType.EntryConfChange) {
            return ConfChange.parseFrom(ent.getData());
        }
        if (ent.getType() == EntryType.EntryConfChangeV2) {
            return ConfChangeV2.parseFrom(ent.getData());
        }
        return null;
    }

    private static ConfState applyConfChange(RawNode rn, MessageLite cc) {
        return cc instanceof ConfChange v1 ? rn.applyConfChange(v1) : rn.applyConfChange((ConfChangeV2) cc);
    }

    /** The Ready with its soft state cleared, as etcd's TestRawNodeStart compares it. */
    private static Ready withoutSoftState(Ready rd) {
        return new Ready(
                null,
                rd.hardState(),
                rd.readStates(),
                rd.entries(),
                rd.snapshot(),
                rd.committedEntries(),
                rd.messages(),
                rd.mustSync());
    }
}
