package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.Message;

class FramesTest {

    @Test
    void messagesAndHeartbeatsRoundTripInOrder() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Frames.Writer w = new Frames.Writer(buf);
        Message a = TestSupport.app(1, 2, 5, 3, 100);
        Message b = TestSupport.heartbeat(1, 2, 6);
        w.write(a);
        w.writeHeartbeat();
        w.write(b);
        w.flush();

        Frames.Reader r = new Frames.Reader(new ByteArrayInputStream(buf.toByteArray()), 1 << 20);
        assertEquals(a, r.read());
        assertNull(r.read());
        assertEquals(b, r.read());
        assertThrows(EOFException.class, r::read);
    }

    @Test
    void frameOverTheLimitIsRejected() throws Exception {
        Frames.Reader r = new Frames.Reader(new ByteArrayInputStream(frame(TestSupport.app(1, 2, 5, 1, 2000))), 1000);
        assertThrows(Frames.FrameException.class, r::read);
    }

    @Test
    void negativeLengthTruncatedFrameAndGarbageAreRejected() throws Exception {
        byte[] negative = {(byte) 0x80, 0, 0, 0};
        assertThrows(
                Frames.FrameException.class, () -> new Frames.Reader(new ByteArrayInputStream(negative), 1000).read());

        byte[] whole = frame(TestSupport.heartbeat(1, 2, 3));
        byte[] truncated = Arrays.copyOf(whole, whole.length - 1);
        assertThrows(
                Frames.FrameException.class, () -> new Frames.Reader(new ByteArrayInputStream(truncated), 1000).read());

        byte[] garbage = {0, 0, 0, 3, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        assertThrows(
                Frames.FrameException.class, () -> new Frames.Reader(new ByteArrayInputStream(garbage), 1000).read());
    }

    /** One message as the writer frames it (the writer buffers until flushed). */
    private static byte[] frame(Message m) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Frames.Writer w = new Frames.Writer(buf);
        w.write(m);
        w.flush();
        return buf.toByteArray();
    }
}
