package org.raftexample.kvstore;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Handler;
import org.raftexample.raft.SoftState;
import org.raftexample.raft.Status;
import org.raftexample.raftpb.HardState;
import org.raftexample.server.NodeEvents;
import org.raftexample.transport.PeerTrafficListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything an operator of a node gets beyond the key-value API, wired in one place: the metrics,
 * the leader watch that answers 503s at once and with a reason, the operational endpoints, and the
 * start-up check of the data directory's membership. The glue sees only {@link NodeEvents}; the HTTP
 * side sees a {@link KVService} and a {@link Handler}.
 *
 * <p>Owns one daemon timer thread (leader-loss deadlines, the start-up check); {@link #close} stops it.
 */
final class Operability implements NodeEvents, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Operability.class);

    private final Options opts;
    private final NodeView view;
    private final ScheduledExecutorService timer;
    private final ServerMetrics metrics;
    private final LeaderWatch leader;
    private final String version = version();
    private volatile GuardedKVService guarded; // set once by guard(), read by the metrics scrape

    Operability(Options opts, NodeView view) {
        this.opts = opts;
        this.view = view;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "raftexample-ops-" + opts.id());
            t.setDaemon(true);
            return t;
        });
        this.metrics = new ServerMetrics(view, () -> guarded == null ? 0 : guarded.pendingWrites(), version);
        this.leader = new LeaderWatch(
                opts.electionTimeout(), timer, metrics::leaderChanged, this::leaderLost, System::nanoTime);
    }

    /** The project version, from the build (version.properties), or "unknown" outside a build. */
    static String version() {
        try (InputStream in = Operability.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            }
        } catch (IOException e) {
            // fall through: the version is only informative
        }
        return "unknown";
    }

    /** The key-value service with fast, explained refusals in front of {@code inner}. */
    synchronized KVService guard(KVService inner) {
        guarded = new GuardedKVService(inner, view, leader, metrics);
        return guarded;
    }

    /** The handler of the key-value port: operational paths first, every request counted. */
    Handler handler(Handler keyValue) {
        return new HttpMetricsHandler(metrics, new OpsApi(view, metrics, version, keyValue));
    }

    /**
     * Called once the node serves: checks, as soon as the replayed log is applied, that the recorded
     * membership can be reached with the peer URLs given, and says once what to do if not.
     */
    void started() {
        checkMembershipOnce(System.nanoTime() + TimeUnit.SECONDS.toNanos(30));
    }

    private void checkMembershipOnce(long deadline) {
        timer.schedule(
                () -> {
                    try {
                        Status st = view.raftStatus();
                        if (view.appliedIndex() < st.commit() && System.nanoTime() < deadline) {
                            checkMembershipOnce(deadline); // still replaying: the membership may yet change
                            return;
                        }
                        Optional<String> problem = MembershipCheck.problem(
                                st.config(),
                                view.peerUrls(),
                                opts.cluster().size(),
                                opts.id(),
                                opts.join(),
                                opts.walDir().toString(),
                                opts.snapDir().toString());
                        problem.ifPresent(p -> LOG.warn("membership does not match the command line: {}", p));
                    } catch (RuntimeException e) {
                        LOG.debug("membership check skipped: {}", e.toString());
                    }
                },
                opts.tickInterval().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void leaderLost(String reason) {
        GuardedKVService g;
        synchronized (this) {
            g = guarded;
        }
        if (g == null) {
            return;
        }
        // Called by the leader watch on the raft loop (a state change) or on this timer: the 503s are
        // written by the thread that fails the requests, which must not be the raft loop.
        try {
            timer.execute(() -> g.failInFlight(reason));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Stopping: the requests fail when the registry shuts down.
        }
    }

    @Override
    public void stateChanged(SoftState soft, HardState hard) {
        leader.stateChanged(soft, hard);
    }

    @Override
    public void walSynced(long nanos) {
        metrics.walSynced(nanos);
    }

    @Override
    public void snapshotSaved(long index, long nanos) {
        // Only timed here: SnapshotWriter logs the snapshot once, with its size.
        metrics.snapshotSaved(nanos);
    }

    @Override
    public PeerTrafficListener peerTraffic() {
        return metrics;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
