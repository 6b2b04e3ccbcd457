package org.raftexample.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

class ProposalFilterTest {

    private static Message prop(Entry... entries) {
        Message.Builder b =
                Message.newBuilder().setType(MessageType.MsgProp).setFrom(2).setTo(1);
        for (Entry e : entries) {
            b.addEntries(e);
        }
        return b.build();
    }

    private static Entry entry(EntryType type, ByteString data) {
        return Entry.newBuilder().setType(type).setData(data).build();
    }

    private static final ByteString GARBAGE = ByteString.copyFrom(new byte[] {(byte) 0xff, 0x01});
    private static final ByteString GOOD = ByteString.copyFromUtf8(ChecksummedBytes.PREFIX + "x=1");
    private static final ProposalFilter FILTER = new ProposalFilter(new ChecksummedBytes());

    /** A command the state machine accepts, framed by the glue's header as a forwarding follower sends it. */
    private static ByteString framed(ByteString command) {
        return Proposal.encode(2, 9, command);
    }

    @Test
    void proposalsOfAcceptedCommandsFramedOrNotAndEmptyEntriesPass() {
        assertTrue(FILTER.acceptable(prop(entry(EntryType.EntryNormal, framed(GOOD)))));
        assertTrue(FILTER.acceptable(prop(entry(EntryType.EntryNormal, GOOD))), "an entry of an older version");
        assertTrue(FILTER.acceptable(prop(entry(EntryType.EntryNormal, ByteString.EMPTY))));
        assertTrue(FILTER.acceptable(prop()));
    }

    @Test
    void aProposalWithOneUndecodableNormalEntryIsRefused() {
        assertFalse(FILTER.acceptable(prop(
                entry(EntryType.EntryNormal, framed(GOOD)),
                entry(EntryType.EntryNormal, ByteString.copyFromUtf8("not a command")))));
        assertFalse(FILTER.acceptable(prop(entry(EntryType.EntryNormal, GARBAGE))));
        assertFalse(FILTER.acceptable(prop(entry(EntryType.EntryNormal, framed(GARBAGE)))));
        ByteString tornHeader = ByteString.copyFrom(new byte[] {0x00, 0x01, (byte) 0x80});
        assertFalse(FILTER.acceptable(prop(entry(EntryType.EntryNormal, tornHeader))));
        ByteString unknownVersion = ByteString.copyFrom(new byte[] {0x00, 0x07, 0x01, 0x01});
        assertFalse(FILTER.acceptable(prop(entry(EntryType.EntryNormal, unknownVersion.concat(GOOD)))));
    }

    @Test
    void confChangeEntriesMustDecodeAsTheirType() {
        ByteString cc = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(4)
                .build()
                .toByteString();
        ByteString cc2 = ConfChangeV2.getDefaultInstance().toByteString();
        assertTrue(FILTER.acceptable(prop(entry(EntryType.EntryConfChange, cc))));
        assertTrue(FILTER.acceptable(prop(entry(EntryType.EntryConfChangeV2, cc2))));
        assertFalse(FILTER.acceptable(prop(entry(EntryType.EntryConfChange, GARBAGE))));
        assertFalse(FILTER.acceptable(prop(entry(EntryType.EntryConfChangeV2, GARBAGE))));
    }

    @Test
    void otherMessagesAreNotLookedAt() {
        Message app = Message.newBuilder()
                .setType(MessageType.MsgApp)
                .setFrom(1)
                .setTo(2)
                .addEntries(entry(EntryType.EntryNormal, GARBAGE))
                .build();
        assertTrue(FILTER.acceptable(app));
    }

    @Test
    void admitDropsAndCountsWhatIsNotAcceptableOnItsOwnNodeOnly() {
        ProposalFilter one = new ProposalFilter(new ChecksummedBytes());
        ProposalFilter other = new ProposalFilter(new ChecksummedBytes());
        assertFalse(one.admit(prop(entry(EntryType.EntryNormal, GARBAGE))));
        assertFalse(one.admit(prop(entry(EntryType.EntryConfChange, GARBAGE))));
        assertTrue(one.admit(prop(entry(EntryType.EntryNormal, ByteString.EMPTY))));
        assertTrue(one.admit(Message.newBuilder()
                .setType(MessageType.MsgApp)
                .addEntries(entry(EntryType.EntryNormal, GARBAGE))
                .build()));
        assertEquals(2, one.droppedCount());
        assertEquals(0, other.droppedCount(), "each node counts its own drops");
    }
}
