package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.Message;

/** A stream reader facing a misbehaving peer resets the stream, redials and keeps delivering. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StreamRobustnessTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    private Server fakePeer;
    private Transport transport;

    @AfterEach
    void stop() throws Exception {
        if (transport != null) {
            transport.stop();
        }
        if (fakePeer != null) {
            fakePeer.stop();
        }
    }

    /** Serves the message stream: each dial gets the next scripted body, then the response ends or hangs. */
    private static final class ScriptedStream extends Handler.Abstract {
        final AtomicInteger dials = new AtomicInteger();
        final List<byte[]> bodies;
        final boolean hangAfterBody;

        ScriptedStream(List<byte[]> bodies, boolean hangAfterBody) {
            this.bodies = bodies;
            this.hangAfterBody = hangAfterBody;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            if (!Request.getPathInContext(request).equals("/raft/stream/message/1")) {
                response.setStatus(HttpStatus.NOT_FOUND_404);
                callback.succeeded();
                return true;
            }
            int n = dials.getAndIncrement();
            byte[] body = bodies.get(Math.min(n, bodies.size() - 1));
            response.setStatus(HttpStatus.OK_200);
            // The last scripted body stays open (a live stream); earlier ones may hang to simulate a dead peer.
            boolean last = !hangAfterBody && n < bodies.size() - 1;
            response.write(last, ByteBuffer.wrap(body), last ? callback : Callback.NOOP);
            return true;
        }
    }

    private void startFakePeer(ScriptedStream handler) throws Exception {
        fakePeer = new Server();
        ServerConnector connector = new ServerConnector(fakePeer);
        connector.setHost("127.0.0.1");
        fakePeer.addConnector(connector);
        fakePeer.setHandler(handler);
        fakePeer.start();
        RecordingRaft raft = new RecordingRaft();
        recorded = raft;
        transport = TestSupport.start(1, raft);
        transport.addPeer(2, List.of("http://127.0.0.1:" + connector.getLocalPort()));
    }

    private RecordingRaft recorded;

    private static byte[] frames(Message... messages) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Frames.Writer w = new Frames.Writer(out);
        for (Message m : messages) {
            w.write(m);
        }
        w.flush();
        return out.toByteArray();
    }

    @Test
    void garbageAndOversizedFramesResetTheStreamAndTheNextStreamDelivers() throws Exception {
        byte[] oversized = {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        byte[] undecodable = {0, 0, 0, 4, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        byte[] truncated = java.util.Arrays.copyOf(frames(TestSupport.heartbeat(2, 1, 1)), 6);
        ScriptedStream script = new ScriptedStream(
                List.of(oversized, undecodable, truncated, frames(TestSupport.heartbeat(2, 1, 77))), false);
        startFakePeer(script);

        Message m = TestSupport.drain(recorded, 1, WAIT).get(0);
        assertEquals(77, m.getCommit());
        assertTrue(script.dials.get() >= 4, "the reader redialed after each bad stream");
    }

    @Test
    void messagesNoMemberSendsAreDroppedAndTheStreamStaysUp() throws Exception {
        // A term of 2^63, a local message type and an append with a gap, between two good heartbeats, on one
        // live stream: the bad ones never reach raft, the good ones do, and the stream is not redialed.
        Message huge =
                TestSupport.heartbeat(2, 1, 5).toBuilder().setTerm(1L << 63).build();
        Message local = TestSupport.heartbeat(2, 1, 6).toBuilder()
                .setType(org.raftexample.raftpb.MessageType.MsgSnapStatus)
                .build();
        Message gap = TestSupport.app(2, 1, 10, 1, 8).toBuilder()
                .setEntries(
                        0,
                        TestSupport.app(2, 1, 10, 1, 8).getEntries(0).toBuilder()
                                .setIndex(13))
                .build();
        ScriptedStream script = new ScriptedStream(
                List.of(frames(TestSupport.heartbeat(2, 1, 1), huge, local, gap, TestSupport.heartbeat(2, 1, 2))),
                false);
        startFakePeer(script);

        List<Message> got = TestSupport.drain(recorded, 2, WAIT);
        assertEquals(List.of(1L, 2L), got.stream().map(Message::getCommit).toList());
        Thread.sleep(300);
        assertTrue(recorded.received.isEmpty(), "nothing else was delivered: " + recorded.received);
        assertEquals(1, script.dials.get(), "the stream was not reset");
    }

    @Test
    void silentStreamIsDeclaredDeadAndRedialed() throws Exception {
        // Every dial gets headers and one heartbeat, then silence: the read timeout must end each stream.
        ScriptedStream script = new ScriptedStream(List.of(new byte[] {0, 0, 0, 0}), true);
        startFakePeer(script);

        TestSupport.await(() -> script.dials.get() >= 3, WAIT, "reader redials silent streams");
        assertTrue(recorded.received.isEmpty());
    }
}
