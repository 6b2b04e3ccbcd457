package org.raftexample.kvstore;

import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpStatus;
import org.raftexample.raft.ProposalDroppedException;
import org.raftexample.raft.tracker.TrackerConfig;
import org.raftexample.server.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key-value service as the HTTP API sees it once operability is added in front of it: requests
 * that cannot succeed now are refused at once with the reason ({@link ServiceUnavailable}), requests
 * in flight fail as soon as this node knows they cannot commit, membership requests that make no
 * sense are refused with a 4xx ({@link RequestRefused}), and writes are counted for the metrics.
 *
 * <p>Called from HTTP threads; {@link #failInFlight} from the operability timer thread (never the raft
 * loop: the requests' 503s are written by the thread that fails them).
 * The in-flight sets are concurrent; the only other mutable field, whether the store was last seen at
 * its quota, is volatile and only decides what is logged.
 */
final class GuardedKVService implements KVService {

    private static final Logger LOG = LoggerFactory.getLogger(GuardedKVService.class);

    private final KVService inner;
    private final NodeView node;
    private final LeaderWatch leader;
    private final ServerMetrics metrics;
    private final Set<CompletableFuture<Void>> inFlight = ConcurrentHashMap.newKeySet();
    private final Set<CompletableFuture<Void>> writesInFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean atQuota; // whether the last write saw the store at its quota (for the log)

    GuardedKVService(KVService inner, NodeView node, LeaderWatch leader, ServerMetrics metrics) {
        this.inner = inner;
        this.node = node;
        this.leader = leader;
        this.metrics = metrics;
    }

    @Override
    public Optional<byte[]> lookup(String key) {
        return inner.lookup(key);
    }

    @Override
    public CompletableFuture<Void> put(String key, byte[] value) {
        Optional<RequestRefused> full = overQuota();
        if (full.isPresent()) {
            return CompletableFuture.failedFuture(full.get());
        }
        CompletableFuture<Void> f = guard(() -> inner.put(key, value));
        writesInFlight.add(f);
        f.whenComplete((v, e) -> {
            writesInFlight.remove(f);
            if (e != null) {
                metrics.proposalFailed();
            }
        });
        return f;
    }

    @Override
    public CompletableFuture<Void> readBarrier() {
        return guard(inner::readBarrier);
    }

    @Override
    public CompletableFuture<Void> addNode(long id, URI peerUrl) {
        TrackerConfig cfg = node.raftStatus().config();
        if (isMember(cfg, id)) {
            return CompletableFuture.failedFuture(new RequestRefused(
                    HttpStatus.CONFLICT_409, "node " + Long.toUnsignedString(id) + " is already a member"));
        }
        for (Map.Entry<Long, String> e : node.peerUrls().entrySet()) {
            if (e.getKey() != id
                    && isMember(cfg, e.getKey())
                    && peerUrl.toString().equals(e.getValue())) {
                return CompletableFuture.failedFuture(new RequestRefused(
                        HttpStatus.CONFLICT_409,
                        "peer URL " + peerUrl + " is already used by member " + Long.toUnsignedString(e.getKey())));
            }
        }
        return guard(() -> inner.addNode(id, peerUrl));
    }

    @Override
    public CompletableFuture<Void> removeNode(long id) {
        if (!isMember(node.raftStatus().config(), id)) {
            return CompletableFuture.failedFuture(new RequestRefused(
                    HttpStatus.NOT_FOUND_404, "node " + Long.toUnsignedString(id) + " is not a member"));
        }
        return guard(() -> inner.removeNode(id));
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.of(leader.whyTimedOut());
    }

    /**
     * The refusal of a write while the store is at or above its quota (etcd's NOSPACE alarm, answered
     * here with 507 Insufficient Storage): the data stays readable and the node stays up; the write is
     * never proposed. Crossing the quota in either direction is logged once.
     */
    private Optional<RequestRefused> overQuota() {
        long quota = node.quotaBytes();
        if (quota <= 0) {
            return Optional.empty();
        }
        long size = node.storeBytes();
        boolean full = size >= quota;
        if (full != atQuota) {
            atQuota = full; // a race between two HTTP threads at most logs the crossing twice
            if (full) {
                LOG.warn(
                        "the store holds {} bytes, at its quota of {} (--quota-bytes): writes are refused",
                        size,
                        quota);
            } else {
                LOG.info("the store holds {} bytes, below its quota of {}: writes are accepted again", size, quota);
            }
        }
        if (!full) {
            return Optional.empty();
        }
        return Optional.of(new RequestRefused(
                HttpStatus.INSUFFICIENT_STORAGE_507,
                "the store is full: it holds " + size + " bytes and its quota is " + quota
                        + " (--quota-bytes); the data stays readable, raise the quota (or the heap) to write more"));
    }

    /** Fails every request still waiting (this node just learned none of them can complete soon). */
    void failInFlight(String reason) {
        ServiceUnavailable e = new ServiceUnavailable(reason, false); // proposed already: outcome unknown
        int failed = 0;
        for (CompletableFuture<Void> f : inFlight) {
            if (f.completeExceptionally(e)) {
                failed++;
            }
        }
        if (failed > 0) {
            LOG.info("answered {} request(s) in flight with 503: {}", failed, reason);
        }
    }

    /** Writes proposed through this node and not yet answered. */
    long pendingWrites() {
        return writesInFlight.size();
    }

    private static boolean isMember(TrackerConfig cfg, long id) {
        return cfg.voters().incoming().contains(id)
                || cfg.voters().outgoing().contains(id)
                || cfg.learners().contains(id)
                || cfg.learnersNext().contains(id);
    }

    private interface Op {
        CompletableFuture<Void> start();
    }

    /**
     * Runs {@code op} unless this node has been without a leader long enough that it cannot succeed;
     * the returned future is tracked until it completes and translates raft's refusal into words.
     */
    private CompletableFuture<Void> guard(Op op) {
        Optional<String> refuse = leader.refuseNow();
        if (refuse.isPresent()) {
            return CompletableFuture.failedFuture(new ServiceUnavailable(refuse.get(), true));
        }
        CompletableFuture<Void> out = new CompletableFuture<>();
        inFlight.add(out);
        out.whenComplete((v, e) -> inFlight.remove(out));
        CompletableFuture<Void> started;
        try {
            started = op.start();
        } catch (RuntimeException e) {
            out.completeExceptionally(e);
            return out;
        }
        started.whenComplete((v, e) -> {
            if (e == null) {
                out.complete(null);
            } else {
                Throwable cause = Failures.unwrap(e);
                out.completeExceptionally(
                        cause instanceof ProposalDroppedException
                                ? new ServiceUnavailable(
                                        leader.lead() == 0
                                                ? leader.whyTimedOut()
                                                : "the proposal was dropped by raft (a leader change is under way): retry",
                                        true) // raft never appended it
                                : cause);
            }
        });
        // A caller that stops waiting (timeout) withdraws what it asked for, as the inner service expects.
        out.whenComplete((v, e) -> {
            if (e != null) {
                started.cancel(false);
            }
        });
        return out;
    }
}
