package org.raftexample.transport;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpStatus;
import org.raftexample.raftpb.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the messages a peer sends us on one stream type: dials {@code GET /raft/stream/<type>/<our id>} on
 * the peer, reads frames from the response body and hands each message to raft in order. Redials with
 * exponential backoff whenever the stream fails or goes silent for longer than the read timeout.
 */
final class StreamReader {
    private static final Logger LOG = LoggerFactory.getLogger(StreamReader.class);
    /** Refused messages: one WARN per second at most, however many a peer streams. */
    private static final RateLimitedLog REFUSED = new RateLimitedLog(LOG, 1_000_000_000L);

    private final RemotePeer peer;
    private final StreamType type;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile StreamConnection inFlight;

    StreamReader(RemotePeer peer, StreamType type) {
        this.peer = peer;
        this.type = type;
        this.thread = new Thread(this::run, peer.threadName("reader-" + type.path));
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void stop() {
        running = false;
        stopped.countDown();
        StreamConnection c = inFlight;
        if (c != null) {
            c.close();
        }
        thread.interrupt();
        RemotePeer.join(thread);
    }

    private void run() {
        TransportTimeouts t = peer.context().timeouts();
        long backoff = t.reconnectMin().toMillis();
        while (running) {
            URI base = peer.urls().pick();
            boolean connected = false;
            try {
                InputStream in = dial(base);
                connected = true;
                backoff = t.reconnectMin().toMillis();
                peer.status().activate();
                LOG.info("{} <- {}: {} stream connected", id(peer.context().localId()), id(peer.id()), type.path);
                decodeLoop(in);
            } catch (Exception e) {
                if (running) {
                    LOG.debug(
                            "{} <- {}: {} stream failed: {}",
                            id(peer.context().localId()),
                            id(peer.id()),
                            type.path,
                            e.toString());
                }
            } finally {
                StreamConnection c = inFlight;
                inFlight = null;
                if (c != null) {
                    c.close();
                }
            }
            if (!running) {
                break;
            }
            if (connected) {
                LOG.warn("{} <- {}: {} stream lost", id(peer.context().localId()), id(peer.id()), type.path);
            }
            peer.status().deactivate(type.path + " stream to " + base + " is down");
            peer.urls().unreachable(base);
            try {
                if (stopped.await(backoff, TimeUnit.MILLISECONDS)) {
                    break;
                }
            } catch (InterruptedException e) {
                break;
            }
            backoff = Math.min(backoff * 2, t.reconnectMax().toMillis());
        }
    }

    /** Opens the stream and returns its body, or throws if the peer refused or did not answer in time. */
    private InputStream dial(URI base) throws IOException {
        PeerContext ctx = peer.context();
        HttpFields.Mutable headers = HttpFields.build();
        Protocol.addRequestHeaders(headers, ctx.clusterId(), ctx.localId(), peer.id());
        if (!running) {
            throw new IOException("transport stopped");
        }
        StreamConnection conn = StreamConnection.open(
                base,
                Protocol.STREAM_PREFIX + type.path + "/" + id(ctx.localId()),
                headers,
                base.getScheme().equals("https") ? ctx.client().getSslContextFactory() : null,
                ctx.timeouts().dial(),
                ctx.timeouts().streamRead());
        inFlight = conn;
        if (!running) {
            conn.close();
            throw new IOException("transport stopped");
        }
        int status = conn.status();
        if (status == HttpStatus.OK_200) {
            return conn.body();
        }
        if (status == HttpStatus.GONE_410) {
            ctx.errors()
                    .report(new TransportError(
                            TransportError.Kind.MEMBER_REMOVED,
                            peer.id(),
                            "peer " + id(peer.id()) + " says this member was removed",
                            null));
        } else if (status == HttpStatus.PRECONDITION_FAILED_412) {
            LOG.warn(
                    "{} <- {}: {} stream refused with 412 (cluster id, target id or version mismatch)",
                    id(ctx.localId()),
                    id(peer.id()),
                    type.path);
        }
        throw new IOException("stream refused with status " + status);
    }

    private void decodeLoop(InputStream body) throws IOException {
        Frames.Decoder reader = type.decoder(
                new BufferedInputStream(body, 64 * 1024),
                peer.context().limits().maxMessageBytes(),
                peer.id(),
                peer.context().localId());
        RaftReceiver raft = peer.context().raft();
        while (running) {
            Message m;
            try {
                m = reader.read();
            } catch (EOFException e) {
                return; // the writer closed the stream cleanly
            }
            if (m == null) {
                continue; // link heartbeat: only proves the stream is alive
            }
            var why = MessageSanity.check(m, MessageSanity.Channel.MESSAGE);
            if (why.isPresent()) {
                // Dropped, as raft expects of a lossy network; the stream itself stays up.
                REFUSED.warn(
                        "{} <- {}: refused a {} on the {} stream: {}",
                        id(peer.context().localId()),
                        id(peer.id()),
                        m.getType(),
                        type.path,
                        why.get());
                continue;
            }
            peer.context().traffic().received(peer.id(), m.getSerializedSize());
            try {
                raft.process(m);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (MessageDroppedException e) {
                // Expected under overload; raft's retries recover a message lost on a stream.
                LOG.debug("{} <- {}: {}", id(peer.context().localId()), id(peer.id()), e.getMessage());
            } catch (Exception e) {
                LOG.warn(
                        "{} <- {}: raft failed to process {}: {}",
                        id(peer.context().localId()),
                        id(peer.id()),
                        m.getType(),
                        e.toString());
            }
        }
    }

    private static String id(long id) {
        return Protocol.formatId(id);
    }
}
