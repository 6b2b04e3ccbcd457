package org.raftexample.transport;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.raftexample.raft.SnapshotStatus;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything this node keeps for one remote member: two stream writers (messages to the peer over streams
 * the peer opened), two stream readers (streams we open to receive from the peer), the pipeline used while no
 * stream is up, and the snapshot sender. Picks the route for each outgoing message.
 */
final class RemotePeer {
    private static final Logger LOG = LoggerFactory.getLogger(RemotePeer.class);

    private final PeerContext ctx;
    private final long id;
    private final UrlPicker urls;
    private final PeerStatus status;
    private final StreamWriter msgAppWriter;
    private final StreamWriter messageWriter;
    private final StreamReader msgAppReader;
    private final StreamReader messageReader;
    private final Pipeline pipeline;
    private final SnapshotSender snapshots;
    private final Prober prober;

    RemotePeer(PeerContext ctx, long id, List<URI> urls) {
        this.ctx = ctx;
        this.id = id;
        this.urls = new UrlPicker(urls);
        this.status = new PeerStatus(ctx.localId(), id);
        this.msgAppWriter = new StreamWriter(this, StreamType.MSGAPP);
        this.messageWriter = new StreamWriter(this, StreamType.MESSAGE);
        this.msgAppReader = new StreamReader(this, StreamType.MSGAPP);
        this.messageReader = new StreamReader(this, StreamType.MESSAGE);
        this.pipeline = new Pipeline(this);
        this.snapshots = new SnapshotSender(this);
        this.prober = new Prober(this);
    }

    void start() {
        msgAppWriter.start();
        messageWriter.start();
        pipeline.start();
        msgAppReader.start();
        messageReader.start();
        prober.start();
    }

    /**
     * Stops every thread of this peer. A part that fails to stop does not keep the others running:
     * all are asked, then the first failure is thrown.
     */
    void stop() {
        RuntimeException failure = null;
        for (Runnable part : new Runnable[] {
            prober::stop,
            msgAppReader::stop,
            messageReader::stop,
            msgAppWriter::stop,
            messageWriter::stop,
            pipeline::stop,
            snapshots::stop
        }) {
            try {
                part.run();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    long id() {
        return id;
    }

    PeerContext context() {
        return ctx;
    }

    UrlPicker urls() {
        return urls;
    }

    PeerStatus status() {
        return status;
    }

    Optional<Instant> activeSince() {
        return status.activeSince();
    }

    void update(List<URI> newUrls) {
        urls.update(newUrls);
    }

    String threadName(String role) {
        return ctx.threadPrefix() + Protocol.formatId(id) + "-" + role;
    }

    /**
     * Routes one message: snapshots to the snapshot sender, MsgApp to the msgapp stream, the rest to the
     * message stream, and everything to the pipeline while the stream it would use is down. A full buffer drops
     * the message; raft hears the peer is unreachable (and that a snapshot failed) and will retry.
     */
    void send(Message m) {
        boolean queued;
        String route;
        if (m.getType() == MessageType.MsgSnap) {
            queued = snapshots.offer(m);
            route = "snapshot";
        } else if (StreamType.isMsgApp(m) && msgAppWriter.isWorking()) {
            queued = msgAppWriter.offer(m);
            route = "msgappv2 stream";
        } else if (messageWriter.isWorking()) {
            queued = messageWriter.offer(m);
            route = "message stream";
        } else {
            queued = pipeline.offer(m);
            route = "pipeline";
        }
        if (!queued) {
            // A peer that is down fills its buffers at every heartbeat: said once, then every 30 s at most.
            status.warnThrottled("dropped " + m.getType() + " since the " + route + " buffer is full");
            ctx.traffic().sendFailed(id);
            ctx.raft().reportUnreachable(id);
            reportSnapshotIfSnap(m, false);
        }
    }

    /** Whether both outgoing streams are attached, so that nothing goes through the pipeline. */
    boolean streamsWorking() {
        return msgAppWriter.isWorking() && messageWriter.isWorking();
    }

    void attachStream(StreamType type, Response response, Callback callback) {
        (type == StreamType.MSGAPP ? msgAppWriter : messageWriter).attach(response, callback);
    }

    void reportSnapshotIfSnap(Message m, boolean delivered) {
        if (m.getType() == MessageType.MsgSnap) {
            ctx.raft().reportSnapshot(id, delivered ? SnapshotStatus.SnapshotFinish : SnapshotStatus.SnapshotFailure);
        }
    }

    /** A pipeline or snapshot request got an answer: 204 means delivered, anything else failed. */
    void answered(Message m, URI base, ContentResponse response) {
        if (response.getStatus() == HttpStatus.NO_CONTENT_204) {
            status.activate();
            reportSnapshotIfSnap(m, true);
        } else {
            deliveryFailed(m, base, response.getStatus(), response.getContentAsString());
        }
    }

    /** A pipeline or snapshot request failed; {@code httpStatus} is 0 when no answer came. */
    void deliveryFailed(Message m, URI base, int httpStatus, String reason) {
        if (httpStatus == HttpStatus.GONE_410) {
            ctx.errors()
                    .report(new TransportError(
                            TransportError.Kind.MEMBER_REMOVED,
                            id,
                            "peer " + Protocol.formatId(id) + " says this member was removed",
                            null));
        }
        String why = httpStatus == 0 ? reason : httpStatus + " " + reason.strip();
        LOG.debug(
                "{} -> {}: failed to send {} via {}: {}",
                Protocol.formatId(ctx.localId()),
                Protocol.formatId(id),
                m.getType(),
                base,
                why);
        if (httpStatus == 0) {
            urls.unreachable(base);
        }
        status.deactivate("send failed: " + why);
        status.warnThrottled("cannot send " + m.getType() + " via " + base + ": " + why);
        ctx.traffic().sendFailed(id);
        ctx.raft().reportUnreachable(id);
        reportSnapshotIfSnap(m, false);
    }

    static void join(Thread t) {
        if (t == Thread.currentThread()) {
            return;
        }
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            throw new IllegalStateException("thread " + t.getName() + " did not stop");
        }
    }
}
