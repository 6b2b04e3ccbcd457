package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

class MsgAppFramesTest {
    private static final long LEADER = 1;
    private static final long FOLLOWER = 2;

    /** A MsgApp as raft builds it: entries after (index, logTerm), in the given term. */
    private static Message app(long term, long logTerm, long index, int entries, long commit) {
        Message.Builder b = Message.newBuilder()
                .setType(MessageType.MsgApp)
                .setTo(FOLLOWER)
                .setFrom(LEADER)
                .setTerm(term)
                .setLogTerm(logTerm)
                .setIndex(index)
                .setCommit(commit);
        for (int i = 0; i < entries; i++) {
            b.addEntries(Entry.newBuilder()
                    .setTerm(term)
                    .setIndex(index + 1 + i)
                    .setData(ByteString.copyFromUtf8("entry " + (index + 1 + i))));
        }
        return b.build();
    }

    private static byte[] encode(List<Message> messages) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        MsgAppFrames.Writer w = new MsgAppFrames.Writer(buf, LEADER, FOLLOWER);
        for (Message m : messages) {
            w.write(m);
        }
        w.writeHeartbeat();
        w.flush();
        return buf.toByteArray();
    }

    private static MsgAppFrames.Reader reader(byte[] bytes) {
        return new MsgAppFrames.Reader(new ByteArrayInputStream(bytes), 1 << 20, LEADER, FOLLOWER);
    }

    @Test
    void everyMessageDecodesToItsOriginal() throws Exception {
        List<Message> sent = List.of(
                app(2, 1, 10, 3, 9), // first: full frame
                app(2, 2, 13, 2, 12), // continues: compact
                app(2, 2, 15, 0, 15), // empty continuation (commit only): compact
                app(2, 2, 15, 4, 15), // continues again
                app(2, 1, 12, 1, 15), // a retry from an earlier index: full
                app(3, 2, 13, 1, 15), // a new term: full
                app(3, 3, 14, 2, 16), // continues in the new term
                app(3, 3, 16, 1, 16).toBuilder().setReject(false).build(), // unusual field: full
                TestSupport.heartbeat(LEADER, FOLLOWER, 16), // not a MsgApp: full, resets
                app(3, 3, 17, 1, 17)); // after a reset: full
        byte[] bytes = encode(sent);
        MsgAppFrames.Reader r = reader(bytes);
        for (Message m : sent) {
            Message got = r.read();
            assertEquals(m, got);
            assertEquals(m.getSerializedSize(), got.getSerializedSize());
        }
        assertNull(r.read(), "heartbeat");
        assertThrows(EOFException.class, r::read);
    }

    @Test
    void aContinuingAppendWithAnyOtherFieldIsSentWhole() throws Exception {
        // Each follows a MsgApp it would continue, but carries something the compact frame cannot:
        // a field raft leaves unset (even set to its default), an unknown field, other stream ends.
        Message first = app(4, 4, 20, 1, 20);
        Message next = app(4, 4, 21, 2, 21);
        List<Message> unusual = List.of(
                next.toBuilder().setVote(0).build(),
                next.toBuilder().setRejectHint(0).build(),
                next.toBuilder().setContext(ByteString.EMPTY).build(),
                next.toBuilder()
                        .setSnapshot(org.raftexample.raftpb.Snapshot.getDefaultInstance())
                        .build(),
                next.toBuilder().addResponses(Message.getDefaultInstance()).build(),
                next.toBuilder()
                        .setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                                .addField(
                                        99,
                                        com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                                                .addVarint(1)
                                                .build())
                                .build())
                        .build(),
                next.toBuilder().setTo(FOLLOWER + 1).build(),
                next.toBuilder().setFrom(LEADER + 1).build(),
                next.toBuilder().clearCommit().build());
        int full = encode(List.of(first, next.toBuilder().setReject(false).build())).length;
        for (Message m : unusual) {
            byte[] bytes = encode(List.of(first, m));
            MsgAppFrames.Reader r = reader(bytes);
            assertEquals(first, r.read());
            assertEquals(m, r.read(), m.toString());
            assertTrue(bytes.length >= full - 4, "sent whole: " + bytes.length + " bytes against " + full);
        }
        // And the plain one continues compactly.
        assertTrue(encode(List.of(first, next)).length < full - 10);
    }

    @Test
    void continuingAppendsAreSmallerThanFullFrames() throws Exception {
        Message first = app(5, 5, 100, 1, 100);
        Message next = app(5, 5, 101, 1, 101);
        int oneFull = encode(List.of(first)).length;
        int fullThenCompact = encode(List.of(first, next)).length;
        assertTrue(
                fullThenCompact - oneFull <= oneFull - 10,
                "continuation frame is smaller: " + (fullThenCompact - oneFull) + " vs " + oneFull);
    }

    @Test
    void malformedFramesAreRejected() throws Exception {
        byte[] orphanContinuation = {MsgAppFrames.CONTINUATION, 0, 0};
        assertThrows(
                Frames.FrameException.class, () -> reader(orphanContinuation).read());
        assertThrows(Frames.FrameException.class, () -> reader(new byte[] {9}).read());

        byte[] valid = encode(List.of(app(2, 1, 10, 3, 9), app(2, 2, 13, 2, 12)));
        for (int cut = 1; cut < valid.length - 1; cut++) {
            MsgAppFrames.Reader r = reader(Arrays.copyOf(valid, cut));
            assertThrows(
                    java.io.IOException.class,
                    () -> {
                        r.read();
                        r.read();
                    },
                    "cut at " + cut);
        }

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        buf.writeBytes(encode(List.of(app(2, 1, 10, 1, 9))));
        buf.write(MsgAppFrames.CONTINUATION);
        buf.writeBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f});
        MsgAppFrames.Reader r = reader(buf.toByteArray());
        r.read();
        assertNull(r.read());
        assertThrows(Frames.FrameException.class, r::read);

        byte[] endlessVarint = new byte[20];
        Arrays.fill(endlessVarint, (byte) 0xff);
        ByteArrayOutputStream buf2 = new ByteArrayOutputStream();
        buf2.writeBytes(encode(List.of(app(2, 1, 10, 1, 9))));
        buf2.write(MsgAppFrames.CONTINUATION);
        buf2.writeBytes(endlessVarint);
        MsgAppFrames.Reader r2 = reader(buf2.toByteArray());
        r2.read();
        r2.read();
        assertThrows(Frames.FrameException.class, r2::read);
    }
}
