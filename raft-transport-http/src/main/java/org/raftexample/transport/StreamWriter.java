package org.raftexample.transport;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.raftexample.raftpb.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes messages to a peer over the response of a stream request that the peer made to us.
 *
 * <p>The peer dials ({@code GET /raft/stream/...}); our handler {@link #attach attaches} the response here and
 * returns; this writer's thread then owns it, writing frames until the connection breaks or a newer one
 * replaces it. While nothing is attached, {@link #isWorking()} is false and the peer sends through the
 * pipeline instead; messages already queued wait for the next connection.
 */
final class StreamWriter {
    private static final Logger LOG = LoggerFactory.getLogger(StreamWriter.class);
    private static final int OUTPUT_BUFFER = 64 * 1024;

    private final RemotePeer peer;
    private final StreamType type;
    private final BlockingQueue<Message> queue;
    private final Thread thread;
    private final Object lock = new Object();
    private Attachment attached; // guarded by lock: the newest connection handed over by the handler
    private volatile boolean working;
    private volatile boolean running = true;

    StreamWriter(RemotePeer peer, StreamType type) {
        this.peer = peer;
        this.type = type;
        this.queue = new ArrayBlockingQueue<>(peer.context().limits().streamBufferSize());
        this.thread = new Thread(this::run, peer.threadName("writer-" + type.path));
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Whether a connection is attached and has not failed: only then should messages be routed here. */
    boolean isWorking() {
        return working;
    }

    boolean offer(Message m) {
        return running && queue.offer(m);
    }

    /** Hands over the response of an accepted stream request; the writer completes {@code callback} later. */
    void attach(Response response, Callback callback) {
        Attachment fresh = new Attachment(
                response, callback, peer.context().timeouts().streamRead().toMillis());
        Attachment replaced;
        synchronized (lock) {
            if (!running) {
                fresh.fail(new IOException("transport stopped"));
                return;
            }
            replaced = attached;
            attached = fresh;
            working = true;
            lock.notifyAll();
        }
        // The writer thread may be blocked writing to the old connection; aborting it frees the thread.
        if (replaced != null) {
            replaced.fail(new IOException("replaced by a newer stream"));
        }
        peer.status().activate();
    }

    void stop() {
        Attachment last;
        synchronized (lock) {
            running = false;
            working = false;
            last = attached;
            attached = null;
            lock.notifyAll();
        }
        if (last != null) {
            last.fail(new IOException("transport stopped"));
        }
        thread.interrupt();
        RemotePeer.join(thread);
        queue.clear();
    }

    private void run() {
        Attachment conn = null;
        Frames.Encoder enc = null;
        long heartbeatMillis = peer.context().timeouts().linkHeartbeat().toMillis();
        int batchLimit = Math.max(1, peer.context().limits().streamBufferSize() / 2);
        int batched = 0;
        Message pending = null;
        while (running) {
            try {
                Attachment current = awaitAttachment();
                if (current == null) {
                    break;
                }
                if (current != conn) {
                    conn = current;
                    enc = type.encoder(conn.out, peer.context().localId(), peer.id());
                    batched = 0;
                    // An immediate heartbeat commits the response, so the dialer knows the stream is up.
                    enc.writeHeartbeat();
                    enc.flush();
                    LOG.info(
                            "{} -> {}: {} stream established",
                            Protocol.formatId(peer.context().localId()),
                            Protocol.formatId(peer.id()),
                            type.path);
                }
                Message m = pending != null ? pending : queue.poll(heartbeatMillis, TimeUnit.MILLISECONDS);
                pending = null;
                if (m != null && attachedNow() != conn) {
                    // A newer connection arrived while we waited: the old one is likely dead, so the message
                    // goes to the new one.
                    pending = m;
                    continue;
                }
                if (m == null) {
                    enc.writeHeartbeat();
                    enc.flush();
                    batched = 0;
                    continue;
                }
                enc.write(m);
                peer.context().traffic().sent(peer.id(), m.getSerializedSize());
                batched++;
                if (queue.isEmpty() || batched >= batchLimit) {
                    enc.flush();
                    batched = 0;
                }
            } catch (InterruptedException e) {
                break;
            } catch (IOException | RuntimeException e) {
                if (conn != null) {
                    connectionFailed(conn, e);
                    conn = null;
                }
            }
        }
        if (conn != null) {
            conn.fail(new IOException("stream writer stopped"));
        }
    }

    private Attachment attachedNow() {
        synchronized (lock) {
            return attached;
        }
    }

    private Attachment awaitAttachment() throws InterruptedException {
        synchronized (lock) {
            while (running && attached == null) {
                lock.wait();
            }
            return running ? attached : null;
        }
    }

    private void connectionFailed(Attachment conn, Exception cause) {
        boolean wasCurrent;
        synchronized (lock) {
            wasCurrent = attached == conn;
            if (wasCurrent) {
                attached = null;
                working = false;
            }
        }
        conn.fail(cause);
        if (wasCurrent && running) {
            LOG.warn(
                    "{} -> {}: {} stream broke: {}",
                    Protocol.formatId(peer.context().localId()),
                    Protocol.formatId(peer.id()),
                    type.path,
                    cause.toString());
            peer.status().deactivate(type.path + " stream write failed");
            peer.context().traffic().sendFailed(peer.id());
            // Whatever was being written is lost; raft learns the peer is unreachable and will resend.
            peer.context().raft().reportUnreachable(peer.id());
        }
    }

    /** An accepted stream response, completed exactly once. */
    private static final class Attachment {
        final Response response;
        final Callback callback;
        final OutputStream out;
        private final AtomicBoolean done = new AtomicBoolean();

        Attachment(Response response, Callback callback, long writeTimeoutMillis) {
            this.response = response;
            this.callback = callback;
            this.out = new ResponseOutput(response, OUTPUT_BUFFER, writeTimeoutMillis);
        }

        void fail(Throwable cause) {
            if (done.compareAndSet(false, true)) {
                callback.failed(cause);
            }
        }
    }
}
