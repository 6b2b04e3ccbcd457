package org.raftexample.kvstore;

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

    @Test
    void proposalsOfKeyValueRecordsAndEmptyEntriesPass() {
        assertTrue(ProposalFilter.acceptable(prop(entry(EntryType.EntryNormal, KVStoreTest.kv("k", "v", 2, 9)))));
        assertTrue(ProposalFilter.acceptable(prop(entry(EntryType.EntryNormal, ByteString.EMPTY))));
        assertTrue(ProposalFilter.acceptable(prop()));
    }

    @Test
    void aProposalWithOneUndecodableNormalEntryIsRefused() {
        assertFalse(ProposalFilter.acceptable(prop(
                entry(EntryType.EntryNormal, KVStoreTest.kv("k", "v", 0, 0)),
                entry(EntryType.EntryNormal, ByteString.copyFromUtf8("not a key-value record")))));
        assertFalse(ProposalFilter.acceptable(prop(entry(EntryType.EntryNormal, GARBAGE))));
    }

    @Test
    void confChangeEntriesMustDecodeAsTheirType() {
        ByteString cc = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(4)
                .build()
                .toByteString();
        ByteString cc2 = ConfChangeV2.getDefaultInstance().toByteString();
        assertTrue(ProposalFilter.acceptable(prop(entry(EntryType.EntryConfChange, cc))));
        assertTrue(ProposalFilter.acceptable(prop(entry(EntryType.EntryConfChangeV2, cc2))));
        assertFalse(ProposalFilter.acceptable(prop(entry(EntryType.EntryConfChange, GARBAGE))));
        assertFalse(ProposalFilter.acceptable(prop(entry(EntryType.EntryConfChangeV2, GARBAGE))));
    }

    @Test
    void otherMessagesAreNotLookedAt() {
        Message app = Message.newBuilder()
                .setType(MessageType.MsgApp)
                .setFrom(1)
                .setTo(2)
                .addEntries(entry(EntryType.EntryNormal, GARBAGE))
                .build();
        assertTrue(ProposalFilter.acceptable(app));
    }

    @Test
    void admitDropsAndCountsWhatIsNotAcceptableOnItsOwnNodeOnly() {
        ProposalFilter one = new ProposalFilter();
        ProposalFilter other = new ProposalFilter();
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
