package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/** The describe functions, message classification and Go formatting (etcd's util_test.go and more). */
class UtilTest {
    private static final EntryFormatter UPPER = data -> data.toStringUtf8().toUpperCase(Locale.ROOT);

    /** etcd's TestDescribeEntry: data is Go-quoted, or rendered by the formatter when one is given. */
    @Test
    void describeEntryQuotesDataLikeGoOrUsesFormatter() {
        Entry entry = Entry.newBuilder()
                .setTerm(1)
                .setIndex(2)
                .setType(EntryType.EntryNormal)
                .setData(ByteString.copyFrom("hello\u0000world", StandardCharsets.UTF_8))
                .build();
        assertEquals("1/2 EntryNormal \"hello\\x00world\"", Util.describeEntry(entry, null));
        assertEquals("1/2 EntryNormal HELLO\u0000WORLD", Util.describeEntry(entry, UPPER));
    }

    @Test
    void describeEntryShowsConfChangesCompactly() {
        ConfChange cc = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddLearnerNode)
                .setNodeId(3)
                .build();
        Entry e = Entry.newBuilder()
                .setTerm(2)
                .setIndex(5)
                .setType(EntryType.EntryConfChange)
                .setData(cc.toByteString())
                .build();
        assertEquals("2/5 EntryConfChange l3", Util.describeEntry(e, null));
        // An empty entry of the normal type still shows the quoted empty payload.
        assertEquals("0/0 EntryNormal \"\"", Util.describeEntry(Entry.getDefaultInstance(), null));
    }

    @Test
    void goQuoteEscapesLikeStrconvQuote() {
        assertEquals("\"a\\\"b\\\\c\\n\\t\\a\\x7f\"", GoFormat.quote("a\"b\\c\n\t\u0007\u007f"));
        assertEquals("\"héllo ✓\"", GoFormat.quote("héllo ✓"));
        assertEquals("\"\\xff\\xfe\"", GoFormat.quote(new byte[] {(byte) 0xff, (byte) 0xfe}));
        assertEquals("\"\\u00a0\\u200b\"", GoFormat.quote("\u00a0\u200b"));
        assertEquals("\"\"", GoFormat.quote((ByteString) null));
    }

    @Test
    void describeMessageListsEntriesAndResponses() {
        Message inner = Message.newBuilder()
                .setType(MessageType.MsgAppResp)
                .setFrom(1)
                .setTo(2)
                .setTerm(3)
                .setIndex(7)
                .build();
        Message m = Message.newBuilder()
                .setType(MessageType.MsgStorageAppend)
                .setFrom(1)
                .setTo(Raft.LOCAL_APPEND_THREAD)
                .setTerm(3)
                .setCommit(4)
                .setVote(1)
                .addEntries(Entry.newBuilder().setTerm(3).setIndex(6).setData(ByteString.copyFromUtf8("x")))
                .addEntries(Entry.newBuilder().setTerm(3).setIndex(7))
                .addResponses(inner)
                .build();
        assertEquals(
                "1->AppendThread MsgStorageAppend Term:3 Log:0/0 Commit:4 Vote:1 Entries:[\n"
                        + "  3/6 EntryNormal \"x\"\n"
                        + "  3/7 EntryNormal \"\"\n"
                        + "] Responses:[\n"
                        + "  1->2 MsgAppResp Term:3 Log:0/7\n"
                        + "]",
                Util.describeMessage(m, null));
        Message rej = Message.newBuilder()
                .setType(MessageType.MsgAppResp)
                .setFrom(0x1a)
                .setTo(0)
                .setReject(true)
                .setRejectHint(5)
                .build();
        assertEquals("1a->None MsgAppResp Term:0 Log:0/0 Rejected (Hint: 5)", Util.describeMessage(rej, null));
    }

    @Test
    void describeReadyListsEachPartOrSaysEmpty() {
        assertEquals("<empty Ready>", Util.describeReady(Ready.empty(), null));
        Snapshot snap = Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setIndex(9)
                        .setTerm(2)
                        .setConfState(
                                ConfState.newBuilder().addVoters(1).addVoters(2).addLearners(3)))
                .build();
        Ready rd = new Ready(
                new SoftState(1, StateType.StateLeader),
                HardState.newBuilder().setTerm(2).setVote(1).setCommit(9).build(),
                List.of(new ReadState(9, ByteString.copyFromUtf8("ab"))),
                List.of(Entry.newBuilder().setTerm(2).setIndex(10).build()),
                snap,
                List.of(),
                List.of(),
                true);
        assertEquals(
                "Ready MustSync=true:\n"
                        + "Lead:1 State:StateLeader\n"
                        + "HardState Term:2 Vote:1 Commit:9\n"
                        + "ReadStates [{9 [97 98]}]\n"
                        + "Entries:\n"
                        + "2/10 EntryNormal \"\"\n"
                        + "Snapshot Index:9 Term:2 ConfState:Voters:[1 2] VotersOutgoing:[] Learners:[3] LearnersNext:[] AutoLeave:false\n",
                Util.describeReady(rd, null));
    }

    /**
     * etcd's TestIsLocalMsg: the table there, extended to every message type (MsgForgetLeader,
     * missing from etcd's table, is not local).
     */
    @Test
    void localMessagesAreExactlyTheNodeInternalOnes() {
        Set<MessageType> local = EnumSet.of(
                MessageType.MsgHup,
                MessageType.MsgBeat,
                MessageType.MsgUnreachable,
                MessageType.MsgSnapStatus,
                MessageType.MsgCheckQuorum,
                MessageType.MsgStorageAppend,
                MessageType.MsgStorageAppendResp,
                MessageType.MsgStorageApply,
                MessageType.MsgStorageApplyResp);
        for (MessageType t : MessageType.values()) {
            assertEquals(local.contains(t), Util.isLocalMsg(t), t.toString());
        }
    }

    /**
     * etcd's TestIsResponseMsg: the table there, extended to every message type (MsgForgetLeader,
     * missing from etcd's table, is not a response).
     */
    @Test
    void responseMessagesAreExactlyTheAnswers() {
        Set<MessageType> responses = EnumSet.of(
                MessageType.MsgUnreachable,
                MessageType.MsgAppResp,
                MessageType.MsgVoteResp,
                MessageType.MsgHeartbeatResp,
                MessageType.MsgReadIndexResp,
                MessageType.MsgPreVoteResp,
                MessageType.MsgStorageAppendResp,
                MessageType.MsgStorageApplyResp);
        for (MessageType t : MessageType.values()) {
            assertEquals(responses.contains(t), Util.isResponseMsg(t), t.toString());
        }
    }

    @Test
    void localTargetsAreTheTwoStorageThreads() {
        assertTrue(Util.isLocalMsgTarget(Raft.LOCAL_APPEND_THREAD));
        assertTrue(Util.isLocalMsgTarget(Raft.LOCAL_APPLY_THREAD));
        assertFalse(Util.isLocalMsgTarget(1));
        assertFalse(Util.isLocalMsgTarget(Raft.NONE));
        assertEquals("ffffffffffffffff", String.format("%x", Raft.LOCAL_APPEND_THREAD));
    }

    @Test
    void emptyHardStateAndSnapshotAreRecognized() {
        assertTrue(Util.isEmptyHardState(null));
        assertTrue(Util.isEmptyHardState(
                HardState.newBuilder().setTerm(0).setVote(0).setCommit(0).build()));
        assertFalse(Util.isEmptyHardState(HardState.newBuilder().setCommit(1).build()));
        assertTrue(Util.isEmptySnap(null));
        assertTrue(Util.isEmptySnap(Snapshot.getDefaultInstance()));
    }

    @Test
    void configValidationRejectsBadValuesWithEtcdText() {
        assertEquals("cannot use none as id", invalid(c -> c.id(0)));
        assertEquals("cannot use local target as id", invalid(c -> c.id(Raft.LOCAL_APPLY_THREAD)));
        assertEquals("heartbeat tick must be greater than 0", invalid(c -> c.heartbeatTick(0)));
        assertEquals("election tick must be greater than heartbeat tick", invalid(c -> c.electionTick(1)));
        assertEquals("storage cannot be nil", invalid(c -> c.storage(null)));
        assertEquals("max inflight messages must be greater than 0", invalid(c -> c.maxInflightMsgs(0)));
        assertEquals("max inflight bytes must be >= max message size", invalid(c -> {
            c.maxSizePerMsg(100);
            c.maxInflightBytes(99);
        }));
        assertEquals(
                "CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased",
                invalid(c -> c.readOnlyOption(ReadOnlyOption.ReadOnlyLeaseBased)));
    }

    @Test
    void configValidationFillsDefaults() {
        Config c = RaftTestUtil.newTestConfig(1, 10, 1, new MemoryStorage())
                .maxSizePerMsg(1024)
                .build();
        assertEquals(Long.MAX_VALUE, c.maxUncommittedEntriesSize());
        assertEquals(1024, c.maxCommittedSizePerReady());
        assertEquals(Long.MAX_VALUE, c.maxInflightBytes());
        assertTrue(c.logger() != null);
    }

    private static String invalid(java.util.function.Consumer<Config.Builder> edit) {
        Config.Builder c = RaftTestUtil.newTestConfig(1, 10, 1, new MemoryStorage());
        edit.accept(c);
        return assertThrows(IllegalArgumentException.class, c::build).getMessage();
    }

    @Test
    void statusPrintsEtcdJson() {
        MemoryStorage s = RaftTestUtil.newTestMemoryStorage(RaftTestUtil.withPeers(1, 2));
        RawNode rn = RaftTestUtil.newTestRawNode(1, 10, 1, s);
        rn.campaign();
        // Deliver the vote of node 2.
        rn.step(Message.newBuilder()
                .setType(MessageType.MsgVoteResp)
                .setFrom(2)
                .setTo(1)
                .setTerm(1)
                .build());
        // The first round delivers the self-vote (the node becomes leader), the second the
        // leader's acknowledgement of its own empty entry.
        for (int i = 0; i < 2; i++) {
            rn.ready();
            rn.advance();
        }
        assertEquals(StateType.StateLeader, rn.status().raftState());
        assertEquals(
                "{\"id\":\"1\",\"term\":1,\"vote\":\"1\",\"commit\":0,\"lead\":\"1\",\"raftState\":\"StateLeader\","
                        + "\"applied\":0,\"progress\":{\"1\":{\"match\":1,\"next\":2,\"state\":\"StateReplicate\"},"
                        + "\"2\":{\"match\":0,\"next\":1,\"state\":\"StateProbe\"}},\"leadtransferee\":\"0\"}",
                rn.status().toString());
    }
}
