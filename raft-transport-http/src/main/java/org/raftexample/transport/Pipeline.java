package org.raftexample.transport;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpMethod;
import org.raftexample.raftpb.Message;

/**
 * Sends messages one per {@code POST /raft} request from a small fixed set of threads. Used while no stream to
 * the peer is up; concurrent requests mean it does not preserve order, which raft tolerates.
 */
final class Pipeline {
    private final RemotePeer peer;
    private final BlockingQueue<Message> queue;
    private final List<Thread> senders = new ArrayList<>();
    private volatile boolean running = true;

    Pipeline(RemotePeer peer) {
        this.peer = peer;
        PeerContext ctx = peer.context();
        this.queue = new ArrayBlockingQueue<>(ctx.limits().pipelineBufferSize());
        for (int i = 0; i < ctx.limits().pipelineSenders(); i++) {
            Thread t = new Thread(this::run, peer.threadName("pipeline-" + i));
            t.setDaemon(true);
            senders.add(t);
        }
    }

    void start() {
        senders.forEach(Thread::start);
    }

    /** Queues a message; false when the buffer is full (the caller drops it and reports the peer unreachable). */
    boolean offer(Message m) {
        return running && queue.offer(m);
    }

    void stop() {
        running = false;
        senders.forEach(Thread::interrupt);
        for (Thread t : senders) {
            RemotePeer.join(t);
        }
        queue.clear();
    }

    private void run() {
        while (running) {
            Message m;
            try {
                m = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            post(m);
        }
    }

    private void post(Message m) {
        PeerContext ctx = peer.context();
        URI base = peer.urls().pick();
        try {
            byte[] body = m.toByteArray();
            ContentResponse response = ctx.client()
                    .newRequest(base.resolve(Protocol.RAFT_PATH))
                    .method(HttpMethod.POST)
                    .headers(h -> Protocol.addRequestHeaders(h, ctx.clusterId(), ctx.localId(), peer.id()))
                    .body(new BytesRequestContent(Protocol.CONTENT_TYPE_PROTOBUF, body))
                    .timeout(ctx.timeouts().request().toMillis(), TimeUnit.MILLISECONDS)
                    .send();
            if (response.getStatus() == 204) {
                ctx.traffic().sent(peer.id(), body.length);
            }
            peer.answered(m, base, response);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (running) {
                peer.deliveryFailed(m, base, 0, "interrupted");
            }
        } catch (Exception e) {
            if (running) {
                peer.deliveryFailed(m, base, 0, String.valueOf(e));
            }
        }
    }
}
