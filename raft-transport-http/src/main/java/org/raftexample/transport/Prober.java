package org.raftexample.transport;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Measures the round trip to one peer every few seconds with a {@code GET /raft/probing}, as etcd's
 * prober does, and reports it to the {@link PeerTrafficListener}. A failed probe reports nothing: the
 * senders already count failures.
 *
 * <p>Needs no thread of its own: probes are scheduled on the HTTP client's scheduler and sent
 * asynchronously; {@code task} is guarded by {@code this}.
 */
final class Prober {
    /** etcd probes every stream read timeout minus a second; with our 5 s default, 4 s. */
    static final Duration INTERVAL = Duration.ofSeconds(4);

    private final RemotePeer peer;
    private volatile boolean running;
    private Scheduler.Task task;

    Prober(RemotePeer peer) {
        this.peer = peer;
    }

    void start() {
        running = true;
        schedule(0);
    }

    void stop() {
        running = false;
        synchronized (this) {
            if (task != null) {
                task.cancel();
            }
        }
    }

    private synchronized void schedule(long delayMillis) {
        if (running) {
            task = peer.context().client().getScheduler().schedule(this::probe, delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void probe() {
        if (!running) {
            return;
        }
        PeerContext ctx = peer.context();
        URI base = peer.urls().pick();
        long start = System.nanoTime();
        try {
            ctx.client()
                    .newRequest(base.resolve(Protocol.PROBING_PATH))
                    .method(HttpMethod.GET)
                    .timeout(ctx.timeouts().dial().toMillis() * 2, TimeUnit.MILLISECONDS)
                    .send(result -> {
                        if (result.isSucceeded() && result.getResponse().getStatus() == HttpStatus.OK_200) {
                            ctx.traffic().roundTrip(peer.id(), System.nanoTime() - start);
                        }
                        schedule(INTERVAL.toMillis());
                    });
        } catch (RuntimeException e) {
            // The client is stopping (the transport is shutting down): nothing more to measure.
            schedule(INTERVAL.toMillis());
        }
    }
}
