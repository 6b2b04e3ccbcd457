package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.raftexample.fuzz.Fuzz;
import org.raftexample.fuzz.Mutations;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * The stream and pipeline frame decoders, fuzzed with damaged and random bytes: every input decodes to messages
 * that carry a type, or stops with a {@link Frames.FrameException} (or a clean end of stream); never another
 * exception, a hang, or an allocation larger than the message limit.
 *
 * <p>Seeded: {@code -Dfuzz.seed=N} replays a run, {@code -Dfuzz.tries=N} sets the tries per property (default
 * 1000); see {@link Fuzz}.
 */
class FrameFuzzTest {
    private static final int LIMIT = 64 << 10;
    private static final int TRIES = 1000;
    private static final AtomicLong TRIED = new AtomicLong();
    private static final byte[] MESSAGE_STREAM;
    private static final byte[] MSGAPP_STREAM;

    static {
        try {
            List<Message> messages = sample();
            ByteArrayOutputStream a = new ByteArrayOutputStream();
            Frames.Writer fw = new Frames.Writer(a);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            MsgAppFrames.Writer mw = new MsgAppFrames.Writer(b, 1, 2);
            for (Message m : messages) {
                fw.write(m);
                mw.write(m);
                fw.writeHeartbeat();
                mw.writeHeartbeat();
            }
            fw.flush();
            mw.flush();
            MESSAGE_STREAM = a.toByteArray();
            MSGAPP_STREAM = b.toByteArray();
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** MsgApps that continue each other (so msgappv2 writes compact frames), then other kinds. */
    static List<Message> sample() {
        List<Message> out = new ArrayList<>();
        long index = 10;
        for (int i = 0; i < 6; i++) {
            Message.Builder m = Message.newBuilder()
                    .setType(MessageType.MsgApp)
                    .setFrom(1)
                    .setTo(2)
                    .setTerm(3)
                    .setLogTerm(3)
                    .setIndex(index)
                    .setCommit(index);
            for (int e = 0; e < i; e++) {
                index++;
                m.addEntries(Entry.newBuilder()
                        .setTerm(3)
                        .setIndex(index)
                        .setData(ByteString.copyFromUtf8("value " + index)));
            }
            out.add(m.build());
        }
        out.add(TestSupport.heartbeat(1, 2, index));
        out.add(Message.newBuilder()
                .setType(MessageType.MsgVote)
                .setFrom(1)
                .setTo(2)
                .setTerm(4)
                .setIndex(index)
                .setLogTerm(3)
                .build());
        return out;
    }

    @AfterAll
    static void report() {
        System.out.println("fuzz: stream and pipeline frame decoders, " + TRIED.get() + " inputs decoded");
    }

    @Test
    void damagedMessageStreamsDecodeOrFailCleanly() {
        Fuzz.forAll(
                0xf4a3_0001L,
                TRIES,
                r -> Mutations.damage(r, MESSAGE_STREAM),
                Mutations.Damaged::toString,
                d -> drain(d.bytes(), in -> new Frames.Reader(in, LIMIT)));
    }

    @Test
    void damagedMsgAppStreamsDecodeOrFailCleanly() {
        Fuzz.forAll(
                0xf4a3_0002L,
                TRIES,
                r -> Mutations.damage(r, MSGAPP_STREAM),
                Mutations.Damaged::toString,
                d -> drain(d.bytes(), in -> new MsgAppFrames.Reader(in, LIMIT, 1, 2)));
    }

    @Test
    void randomBytesOnEitherStreamFailCleanly() {
        Fuzz.forAll(0xf4a3_0003L, TRIES, r -> Mutations.randomBytes(r, 4096), Fuzz::hex, bytes -> {
            drain(bytes, in -> new Frames.Reader(in, LIMIT));
            drain(bytes, in -> new MsgAppFrames.Reader(in, LIMIT, 1, 2));
        });
    }

    @Test
    void randomPipelineBodiesDecodeToATypedMessageOrAreRefused() {
        Fuzz.forAll(0xf4a3_0004L, TRIES, r -> Mutations.randomBytes(r, 4096), Fuzz::hex, bytes -> {
            TRIED.incrementAndGet();
            try {
                assertTrue(Frames.decode(bytes).hasType());
            } catch (Frames.FrameException refused) {
                // the pipeline answers 400
            }
        });
    }

    /**
     * Length fields of continuation frames are varints of up to 64 bits: one with the top bit set is a negative
     * {@code long}, which must be refused like any other length beyond the limit (not reach an allocation).
     */
    @Test
    void aContinuationWithANegativeEntryLengthIsRefused() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        MsgAppFrames.Writer w = new MsgAppFrames.Writer(b, 1, 2);
        w.write(sample().get(1));
        w.flush();
        b.write(MsgAppFrames.CONTINUATION);
        b.write(1); // one entry
        for (int i = 0; i < 9; i++) {
            b.write(0xff);
        }
        b.write(0x01); // its length: 2^64 - 1, a negative long
        MsgAppFrames.Reader r = new MsgAppFrames.Reader(new ByteArrayInputStream(b.toByteArray()), LIMIT, 1, 2);
        r.read();
        org.junit.jupiter.api.Assertions.assertThrows(Frames.FrameException.class, r::read);
    }

    private static void drain(byte[] bytes, Function<ByteArrayInputStream, Frames.Decoder> open) {
        TRIED.incrementAndGet();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            Frames.Decoder d = open.apply(new ByteArrayInputStream(bytes));
            // Each frame consumes at least one byte, so this bounds the loop for a finite input.
            for (int i = 0; i <= bytes.length; i++) {
                Message m;
                try {
                    m = d.read();
                } catch (Frames.FrameException | EOFException end) {
                    return;
                }
                assertTrue(m == null || m.hasType());
            }
            throw new AssertionError("decoder did not reach the end of a " + bytes.length + "-byte input");
        });
    }
}
