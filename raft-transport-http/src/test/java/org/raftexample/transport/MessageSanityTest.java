package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.transport.MessageSanity.Channel;

class MessageSanityTest {
    private static final long FROM = 1;
    private static final long HIGH = 1L << 63; // 2^63, negative as a long

    private static Message.Builder msg(MessageType t, long term) {
        return Message.newBuilder().setType(t).setFrom(FROM).setTo(2).setTerm(term);
    }

    private static Entry entry(long term, long index) {
        return Entry.newBuilder().setTerm(term).setIndex(index).build();
    }

    private static Optional<String> check(Message.Builder b) {
        return MessageSanity.check(b.build(), Channel.MESSAGE);
    }

    private static void assertRefused(Message.Builder b) {
        assertTrue(check(b).isPresent(), () -> "should be refused: " + b.build());
    }

    private static void assertPasses(Message.Builder b) {
        assertEquals(Optional.empty(), check(b), () -> "should pass: " + b.build());
    }

    private static Message.Builder snap(long term, long snapTerm, long snapIndex) {
        return msg(MessageType.MsgSnap, term)
                .setSnapshot(Snapshot.newBuilder()
                        .setMetadata(
                                SnapshotMetadata.newBuilder().setTerm(snapTerm).setIndex(snapIndex)));
    }

    @Test
    void messagesAsRaftSendsThemPass() {
        assertPasses(msg(MessageType.MsgApp, 3)
                .setLogTerm(2)
                .setIndex(10)
                .setCommit(9)
                .addEntries(entry(2, 11))
                .addEntries(entry(3, 12)));
        assertPasses(msg(MessageType.MsgApp, 3).setLogTerm(3).setIndex(12).setCommit(12)); // empty append
        assertPasses(msg(MessageType.MsgApp, 1).setIndex(0).addEntries(entry(1, 1))); // probe from the start
        assertPasses(msg(MessageType.MsgHeartbeat, 3).setCommit(12));
        assertPasses(msg(MessageType.MsgAppResp, 3)
                .setIndex(12)
                .setReject(true)
                .setRejectHint(7)
                .setLogTerm(2));
        assertPasses(msg(MessageType.MsgVote, 4).setLogTerm(3).setIndex(12));
        assertPasses(msg(MessageType.MsgPreVoteResp, 5).setReject(true));
        assertPasses(msg(MessageType.MsgProp, 0).addEntries(Entry.getDefaultInstance()));
        assertPasses(msg(MessageType.MsgReadIndex, 0).addEntries(Entry.getDefaultInstance()));
        assertPasses(msg(MessageType.MsgTimeoutNow, 3));
        // The largest values a term or index may take.
        assertPasses(msg(MessageType.MsgHeartbeat, Long.MAX_VALUE).setCommit(Long.MAX_VALUE));
        assertEquals(Optional.empty(), MessageSanity.check(snap(3, 2, 100).build(), Channel.SNAPSHOT));
    }

    @Test
    void termsAndIndexesOfTwoToTheSixtyThreeAndAboveAreRefused() {
        assertRefused(msg(MessageType.MsgVote, HIGH));
        assertRefused(msg(MessageType.MsgVote, -1L)); // 2^64 - 1
        assertRefused(msg(MessageType.MsgVote, 3).setLogTerm(HIGH + 1));
        assertRefused(msg(MessageType.MsgAppResp, 3).setIndex(HIGH));
        assertRefused(msg(MessageType.MsgHeartbeat, 3).setCommit(HIGH));
        assertRefused(msg(MessageType.MsgAppResp, 3).setReject(true).setRejectHint(HIGH));
        assertRefused(msg(MessageType.MsgApp, 3).setIndex(HIGH - 1).addEntries(entry(3, HIGH)));
        assertRefused(msg(MessageType.MsgProp, 0).addEntries(entry(HIGH, 0)));
        assertTrue(MessageSanity.check(snap(3, HIGH + 1, 10001).build(), Channel.SNAPSHOT)
                .isPresent());
        assertTrue(
                MessageSanity.check(snap(3, 2, HIGH).build(), Channel.SNAPSHOT).isPresent());
    }

    @Test
    void idsUseTheWholeUnsignedRange() {
        Message m = msg(MessageType.MsgHeartbeat, 3).setFrom(-1L).setTo(HIGH).build();
        assertEquals(Optional.empty(), MessageSanity.check(m, Channel.MESSAGE));
    }

    @Test
    void localMessageTypesAreRefused() {
        for (MessageType t : new MessageType[] {
            MessageType.MsgHup,
            MessageType.MsgBeat,
            MessageType.MsgUnreachable,
            MessageType.MsgSnapStatus,
            MessageType.MsgCheckQuorum,
            MessageType.MsgStorageAppend,
            MessageType.MsgStorageAppendResp,
            MessageType.MsgStorageApply,
            MessageType.MsgStorageApplyResp
        }) {
            assertRefused(msg(t, 3));
        }
    }

    @Test
    void proposalsWithoutEntriesAndReadRequestsWithoutOneContextAreRefused() {
        assertRefused(msg(MessageType.MsgProp, 0));
        assertRefused(msg(MessageType.MsgReadIndex, 0));
        assertRefused(msg(MessageType.MsgReadIndex, 0)
                .addEntries(Entry.getDefaultInstance())
                .addEntries(Entry.getDefaultInstance()));
    }

    @Test
    void termsAreSetExactlyWhereRaftSetsThem() {
        assertRefused(msg(MessageType.MsgHeartbeat, 0));
        assertRefused(msg(MessageType.MsgApp, 0));
        assertRefused(msg(MessageType.MsgVote, 0));
        assertRefused(msg(MessageType.MsgProp, 2));
        assertRefused(msg(MessageType.MsgReadIndex, 2));
    }

    @Test
    void appendsWhoseEntriesDoNotFollowOneAnotherAreRefused() {
        assertRefused(msg(MessageType.MsgApp, 3).setLogTerm(2).setIndex(10).addEntries(entry(2, 12))); // gap
        assertRefused(msg(MessageType.MsgApp, 3).setLogTerm(2).setIndex(10).addEntries(entry(2, 10))); // overlap
        assertRefused(msg(MessageType.MsgApp, 3).setLogTerm(2).setIndex(10).addEntries(entry(1, 11))); // older term
        assertRefused(
                msg(MessageType.MsgApp, 3).setLogTerm(2).setIndex(10).addEntries(entry(4, 11))); // newer than leader
        assertRefused(msg(MessageType.MsgApp, 3).setLogTerm(4).setIndex(10)); // log term too
        assertRefused(
                msg(MessageType.MsgApp, 3).setIndex(10).addEntries(entry(3, 11)).addEntries(entry(2, 12)));
    }

    @Test
    void snapshotsTravelOnlyOnTheirEndpointAndAreNeverEmptyOrFromTheFuture() {
        assertTrue(MessageSanity.check(snap(3, 2, 100).build(), Channel.MESSAGE).isPresent());
        assertTrue(MessageSanity.check(msg(MessageType.MsgHeartbeat, 3).build(), Channel.SNAPSHOT)
                .isPresent());
        assertTrue(MessageSanity.check(snap(3, 0, 0).build(), Channel.SNAPSHOT).isPresent());
        assertTrue(
                MessageSanity.check(snap(3, 4, 100).build(), Channel.SNAPSHOT).isPresent());
    }
}
