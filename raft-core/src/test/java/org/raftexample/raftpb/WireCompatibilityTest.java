package org.raftexample.raftpb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The raft wire types encode exactly as etcd's raftpb does.
 *
 * <p>The expected bytes are written out by hand from the protobuf encoding rules and etcd's
 * raft.proto (field numbers, proto2 varints, unpacked repeated uint64, fields in field-number
 * order as Go's protoc-gen-go writes them), independently of protobuf-java: so a message etcd
 * encodes decodes here, and what this port encodes decodes in etcd.
 */
class WireCompatibilityTest {
    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    // MsgApp 1->2, term 5, logTerm 4, index 7, one entry {Term 5, Index 8, EntryNormal, "hi"},
    // commit 6, a snapshot {data "s", index 3, term 2, voters 1 2}, reject, rejectHint 11,
    // context "ctx", vote 9 and one response {MsgAppResp to 1}.
    private static final String MESSAGE = "08 03 10 02 18 01 20 05 28 04 30 07"
            + " 3a 0a 08 00 10 05 18 08 22 02 68 69"
            + " 40 06"
            + " 4a 0f 0a 01 73 12 0a 0a 04 08 01 08 02 10 03 18 02"
            + " 50 01 58 0b 62 03 63 74 78 68 09"
            + " 72 04 08 04 10 01";

    private static Message expectedMessage() {
        return Message.newBuilder()
                .setType(MessageType.MsgApp)
                .setTo(2)
                .setFrom(1)
                .setTerm(5)
                .setLogTerm(4)
                .setIndex(7)
                .addEntries(Entry.newBuilder()
                        .setType(EntryType.EntryNormal)
                        .setTerm(5)
                        .setIndex(8)
                        .setData(ByteString.copyFromUtf8("hi")))
                .setCommit(6)
                .setSnapshot(Snapshot.newBuilder()
                        .setData(ByteString.copyFromUtf8("s"))
                        .setMetadata(SnapshotMetadata.newBuilder()
                                .setConfState(
                                        ConfState.newBuilder().addVoters(1).addVoters(2))
                                .setIndex(3)
                                .setTerm(2)))
                .setReject(true)
                .setRejectHint(11)
                .setContext(ByteString.copyFromUtf8("ctx"))
                .setVote(9)
                .addResponses(
                        Message.newBuilder().setType(MessageType.MsgAppResp).setTo(1))
                .build();
    }

    @Test
    void messageEncodedByEtcdDecodesFieldForField() throws Exception {
        Message m = Message.parseFrom(hex(MESSAGE));
        assertEquals(expectedMessage(), m);
        assertEquals(MessageType.MsgApp, m.getType());
        assertEquals(
                List.of(1L, 2L), m.getSnapshot().getMetadata().getConfState().getVotersList());
        assertTrue(m.getReject());
        assertEquals(9, m.getVote());
    }

    @Test
    void messageEncodesToEtcdsBytes() {
        assertArrayEquals(hex(MESSAGE), expectedMessage().toByteArray());
        // Sizes drive raft's flow control; they must agree with Go's proto.Size.
        assertEquals(hex(MESSAGE).length, expectedMessage().getSerializedSize());
    }

    @Test
    void unsetFieldsAreNotEncodedButZeroValuesThatWereSetAre() {
        // Go's proto2 types have presence too: an entry with an explicit zero type and term
        // carries them on the wire, one without does not.
        assertArrayEquals(
                hex("08 00 10 00 18 01"),
                Entry.newBuilder()
                        .setType(EntryType.EntryNormal)
                        .setTerm(0)
                        .setIndex(1)
                        .build()
                        .toByteArray());
        assertArrayEquals(hex("18 01"), Entry.newBuilder().setIndex(1).build().toByteArray());
        assertFalse(Entry.newBuilder().setIndex(1).build().hasTerm());
    }

    @Test
    void hardStateAndConfChangesMatchEtcdsEncoding() throws Exception {
        byte[] hs = hex("08 05 10 02 18 07");
        assertEquals(HardState.newBuilder().setTerm(5).setVote(2).setCommit(7).build(), HardState.parseFrom(hs));

        // ConfChange numbers its fields id=1, type=2, node_id=3, context=4.
        byte[] cc = hex("08 01 10 03 18 04 22 01 75");
        ConfChange expected = ConfChange.newBuilder()
                .setId(1)
                .setType(ConfChangeType.ConfChangeAddLearnerNode)
                .setNodeId(4)
                .setContext(ByteString.copyFromUtf8("u"))
                .build();
        assertEquals(expected, ConfChange.parseFrom(cc));
        assertArrayEquals(cc, expected.toByteArray());

        // ConfChangeV2 {JointExplicit, [{RemoveNode 3}], "c"}.
        byte[] v2 = hex("08 02 12 04 08 01 10 03 1a 01 63");
        ConfChangeV2 expectedV2 = ConfChangeV2.newBuilder()
                .setTransition(ConfChangeTransition.ConfChangeTransitionJointExplicit)
                .addChanges(ConfChangeSingle.newBuilder()
                        .setType(ConfChangeType.ConfChangeRemoveNode)
                        .setNodeId(3))
                .setContext(ByteString.copyFromUtf8("c"))
                .build();
        assertEquals(expectedV2, ConfChangeV2.parseFrom(v2));
        assertArrayEquals(v2, expectedV2.toByteArray());
    }

    @Test
    void packedVotersFromOtherEncodersDecodeToo() throws Exception {
        // A proto3-style encoder may pack repeated varints; proto2 parsers accept both forms.
        byte[] packed = hex("0a 02 01 02");
        assertEquals(List.of(1L, 2L), ConfState.parseFrom(packed).getVotersList());
    }
}
