package org.raftexample.kvstore;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;
import org.raftexample.raft.StateType;
import org.raftexample.transport.PeerTrafficListener;

/**
 * This node's Prometheus metrics, named as etcd names them wherever the meaning is the same, so that
 * an etcd dashboard works on a raftexample cluster unchanged; the few of the project's own start with
 * {@code raftexample_}. Values that are a node's state (leader, indexes, sizes) are read from the
 * {@link NodeView} at scrape time; events (leader changes, failed proposals, fsyncs, peer traffic,
 * HTTP requests) are counted by the glue calling the methods here as they happen.
 *
 * <p>Thread-safe: Prometheus' metric types are, and every method may be called from any thread (the
 * raft loop, transport threads, HTTP threads, a scrape).
 */
final class ServerMetrics implements PeerTrafficListener {

    /** etcd's buckets for its disk latency histograms: 1 ms to 8 s, doubling. */
    private static final double[] DISK_BUCKETS = exponential(0.001, 2, 14);
    /** etcd's buckets for backend snapshots: 10 ms to 11 min, doubling. */
    private static final double[] SNAPSHOT_BUCKETS = exponential(0.01, 2, 17);
    /** etcd's buckets for peer round trips: 0.1 ms to 3.2 s, doubling. */
    private static final double[] RTT_BUCKETS = exponential(0.0001, 2, 16);
    /** etcd's buckets for request durations: 1 ms to 8 s, doubling. */
    private static final double[] REQUEST_BUCKETS = exponential(0.001, 2, 14);

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final Counter leaderChanges;
    private final Counter proposalsFailed;
    private final Histogram walFsync;
    private final Histogram snapshotSave;
    private final Counter peerSentBytes;
    private final Counter peerReceivedBytes;
    private final Counter peerSentFailures;
    private final Histogram peerRoundTrip;
    private final Counter httpRequests;
    private final Histogram httpDuration;
    // Per peer, for the counts every message adds to: the label value (the id in hex) and its lookup, once.
    private final PerPeer<CounterDataPoint> sentTo;
    private final PerPeer<CounterDataPoint> receivedFrom;
    private final PerPeer<DistributionDataPoint> roundTripTo;

    /**
     * Registers every metric. {@code pendingProposals} counts the writes proposed on this node and
     * still waiting to be applied.
     */
    ServerMetrics(NodeView node, LongSupplier pendingProposals, String version) {
        GaugeWithCallback.builder()
                .name("etcd_server_has_leader")
                .help("Whether or not a leader exists. 1 is existence, 0 is not.")
                .callback(cb -> cb.call(node.raftStatus().lead() != 0 ? 1 : 0))
                .register(registry);
        GaugeWithCallback.builder()
                .name("etcd_server_is_leader")
                .help("Whether or not this member is a leader. 1 if is, 0 otherwise.")
                .callback(cb -> cb.call(node.raftStatus().raftState() == StateType.StateLeader ? 1 : 0))
                .register(registry);
        leaderChanges = Counter.builder()
                .name("etcd_server_leader_changes_seen_total")
                .help("The number of leader changes seen.")
                .register(registry);
        // etcd exposes these two as gauges named *_total; a Prometheus client only lets counters end in
        // _total, and both only grow while a process lives, so they are counters read from raft.
        CounterWithCallback.builder()
                .name("etcd_server_proposals_committed_total")
                .help("The total number of consensus proposals committed.")
                .callback(cb -> cb.call(node.committedIndex()))
                .register(registry);
        CounterWithCallback.builder()
                .name("etcd_server_proposals_applied_total")
                .help("The total number of consensus proposals applied.")
                .callback(cb -> cb.call(node.appliedIndex()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("etcd_server_proposals_pending")
                .help("The current number of pending proposals to commit.")
                .callback(cb -> cb.call(pendingProposals.getAsLong()))
                .register(registry);
        proposalsFailed = Counter.builder()
                .name("etcd_server_proposals_failed_total")
                .help("The total number of failed proposals seen.")
                .register(registry);
        // Issue 13: what this node refused to let a bad entry do. Both are counts kept by the node
        // (the store, the proposal filter) since it started, read at scrape time.
        CounterWithCallback.builder()
                .name("raftexample_server_entries_skipped_total")
                .help("Committed normal entries applied as no-ops because they hold no key-value record.")
                .callback(cb -> cb.call(node.entriesSkipped()))
                .register(registry);
        CounterWithCallback.builder()
                .name("raftexample_server_proposals_filtered_total")
                .help("Proposals received from peers and dropped before raft because an entry could not be "
                        + "applied by any member.")
                .callback(cb -> cb.call(node.proposalsFiltered()))
                .register(registry);
        // How well linearizable reads are batched: reads (GETs answered 200 or 404) per round.
        CounterWithCallback.builder()
                .name("raftexample_server_read_index_rounds_total")
                .help("ReadIndex rounds started for linearizable reads; each serves every read waiting when it "
                        + "started.")
                .callback(cb -> cb.call(node.readIndexRounds()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("etcd_server_id")
                .help("Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.")
                .labelNames("server_id")
                .callback(cb -> cb.call(1, Long.toHexString(node.id())))
                .register(registry);
        GaugeWithCallback.builder()
                .name("etcd_server_version")
                .help("Which version is running. 1 for 'server_version' label with current version.")
                .labelNames("server_version")
                .callback(cb -> cb.call(1, version))
                .register(registry);
        walFsync = Histogram.builder()
                .name("etcd_disk_wal_fsync_duration_seconds")
                .withoutExemplars()
                .help("The latency distributions of fsync called by WAL.")
                .classicOnly()
                .classicUpperBounds(DISK_BUCKETS)
                .register(registry);
        snapshotSave = Histogram.builder()
                .name("etcd_disk_backend_snapshot_duration_seconds")
                .withoutExemplars()
                .help("The latency distribution of saving a raft snapshot (state machine serialised, file "
                        + "written and synced, WAL marker synced).")
                .classicOnly()
                .classicUpperBounds(SNAPSHOT_BUCKETS)
                .register(registry);
        peerSentBytes = Counter.builder()
                .name("etcd_network_peer_sent_bytes_total")
                .withoutExemplars()
                .help("The total number of bytes sent to peers.")
                .labelNames("To")
                .register(registry);
        peerReceivedBytes = Counter.builder()
                .name("etcd_network_peer_received_bytes_total")
                .withoutExemplars()
                .help("The total number of bytes received from peers.")
                .labelNames("From")
                .register(registry);
        peerSentFailures = Counter.builder()
                .name("etcd_network_peer_sent_failures_total")
                .withoutExemplars()
                .help("The total number of send failures from peers.")
                .labelNames("To")
                .register(registry);
        peerRoundTrip = Histogram.builder()
                .name("etcd_network_peer_round_trip_time_seconds")
                .withoutExemplars()
                .help("Round-Trip-Time histogram between peers")
                .labelNames("To")
                .classicOnly()
                .classicUpperBounds(RTT_BUCKETS)
                .register(registry);
        GaugeWithCallback.builder()
                .name("raftexample_raft_term")
                .help("The raft term this member is at.")
                .callback(cb -> cb.call(node.raftStatus().term()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("raftexample_raft_status_age_seconds")
                .help("Seconds since the raft loop last published raft's status, which it does at every tick; "
                        + "it grows while the loop is held up, as by a WAL fsync on a stalled disk.")
                .callback(cb -> cb.call(node.publishedStatus().age().toNanos() / 1e9))
                .register(registry);
        GaugeWithCallback.builder()
                .name("raftexample_snapshot_index")
                .help("The index of the newest snapshot saved on this member.")
                .callback(cb -> cb.call(node.snapshotIndex()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("raftexample_wal_size_bytes")
                .help("Bytes the write-ahead log's segment files take on disk.")
                .callback(cb -> cb.call(node.walBytes()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("raftexample_keys")
                .help("The number of keys in the store.")
                .callback(cb -> cb.call(node.keyCount()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("raftexample_store_size_bytes")
                .help("What the store's data takes: the memory store's heap estimate, or RocksDB's live data.")
                .callback(cb -> cb.call(node.storeBytes()))
                .register(registry);
        GaugeWithCallback.builder()
                .name("raftexample_store_quota_bytes")
                .help("The store size at which writes are refused with 507 (0: no quota).")
                .callback(cb -> cb.call(node.quotaBytes()))
                .register(registry);
        httpRequests = Counter.builder()
                .name("raftexample_http_requests_total")
                .withoutExemplars()
                .help("HTTP requests answered on the key-value port, by method and status code.")
                .labelNames("method", "code")
                .register(registry);
        httpDuration = Histogram.builder()
                .name("raftexample_http_request_duration_seconds")
                .withoutExemplars()
                .help("Time from an HTTP request's arrival to its answer, by method and status code.")
                .labelNames("method", "code")
                .classicOnly()
                .classicUpperBounds(REQUEST_BUCKETS)
                .register(registry);
        JvmMetrics.builder().register(registry);
        sentTo = new PerPeer<>(id -> peerSentBytes.labelValues(Long.toHexString(id)));
        receivedFrom = new PerPeer<>(id -> peerReceivedBytes.labelValues(Long.toHexString(id)));
        roundTripTo = new PerPeer<>(id -> peerRoundTrip.labelValues(Long.toHexString(id)));
    }

    /** The leader this node knows changed (to another member, or to none). */
    void leaderChanged() {
        leaderChanges.inc();
    }

    /** A write proposed on this node failed or timed out. */
    void proposalFailed() {
        proposalsFailed.inc();
    }

    /** One WAL data sync took this long. */
    void walSynced(long nanos) {
        walFsync.observe(seconds(nanos));
    }

    /** Taking and saving one snapshot took this long. */
    void snapshotSaved(long nanos) {
        snapshotSave.observe(seconds(nanos));
    }

    /** One HTTP request was answered. */
    void httpRequest(String method, int code, long nanos) {
        HttpPoints p = httpPoints(method, code);
        p.count().inc();
        p.duration().observe(seconds(nanos));
    }

    /** The two data points of one method and status code, looked up once and kept. */
    private record HttpPoints(CounterDataPoint count, DistributionDataPoint duration) {}

    /** The methods counted by name; any other is counted as {@link #OTHER_METHOD}, so the series stay bounded. */
    static final List<String> HTTP_METHODS = List.of("GET", "HEAD", "PUT", "POST", "DELETE");

    static final String OTHER_METHOD = "OTHER";
    private static final int FIRST_CODE = 100;
    private static final int LAST_CODE = 999;
    private final AtomicReferenceArray<HttpPoints> httpPoints =
            new AtomicReferenceArray<>((HTTP_METHODS.size() + 1) * (LAST_CODE - FIRST_CODE + 1));

    private HttpPoints httpPoints(String method, int code) {
        // Each method (OTHER last) has a slot per status code.
        int m = method.equals(OTHER_METHOD) ? HTTP_METHODS.size() : HTTP_METHODS.indexOf(method);
        if (m < 0 || code < FIRST_CODE || code > LAST_CODE) {
            return newHttpPoints(method, code);
        }
        int slot = m * (LAST_CODE - FIRST_CODE + 1) + code - FIRST_CODE;
        HttpPoints p = httpPoints.get(slot);
        if (p == null) {
            // Two threads may race here: both get the same data points from the metrics.
            p = newHttpPoints(method, code);
            httpPoints.set(slot, p);
        }
        return p;
    }

    private HttpPoints newHttpPoints(String method, int code) {
        String status = Integer.toString(code);
        return new HttpPoints(httpRequests.labelValues(method, status), httpDuration.labelValues(method, status));
    }

    @Override
    public void sent(long to, long bytes) {
        sentTo.get(to).inc(bytes);
    }

    @Override
    public void received(long from, long bytes) {
        receivedFrom.get(from).inc(bytes);
    }

    @Override
    public void sendFailed(long to) {
        peerSentFailures.labelValues(Long.toHexString(to)).inc();
    }

    @Override
    public void roundTrip(long to, long nanos) {
        roundTripTo.get(to).observe(seconds(nanos));
    }

    /**
     * Data points by peer id, for the handful of peers a member has: a scan of a small array, which is
     * replaced (never changed) when a new peer appears. Any thread; two threads that add the same peer at
     * once get the same data point from the metric, so the one whose copy is lost loses nothing.
     */
    static final class PerPeer<T> {
        private record Table(long[] ids, Object[] points) {}

        private final LongFunction<T> create;
        private volatile Table table = new Table(new long[0], new Object[0]);

        PerPeer(LongFunction<T> create) {
            this.create = create;
        }

        // unchecked: points holds only what create returned, a T.
        @SuppressWarnings("unchecked")
        T get(long id) {
            Table t = table;
            int i = indexOf(t, id);
            return i >= 0 ? (T) t.points[i] : add(id);
        }

        // unchecked: as above.
        @SuppressWarnings("unchecked")
        private synchronized T add(long id) {
            Table t = table;
            int i = indexOf(t, id);
            if (i >= 0) {
                return (T) t.points[i]; // added by another thread meanwhile
            }
            T point = create.apply(id);
            long[] ids = java.util.Arrays.copyOf(t.ids, t.ids.length + 1);
            Object[] points = java.util.Arrays.copyOf(t.points, t.points.length + 1);
            ids[t.ids.length] = id;
            points[t.points.length] = point;
            table = new Table(ids, points);
            return point;
        }

        private static int indexOf(Table t, long id) {
            for (int i = 0; i < t.ids.length; i++) {
                if (t.ids[i] == id) {
                    return i;
                }
            }
            return -1;
        }
    }

    /** The content type of {@link #writeTo}. */
    String contentType() {
        return writer.getContentType();
    }

    /** Writes every metric in Prometheus' text exposition format. */
    void writeTo(OutputStream out) throws IOException {
        writer.write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static double[] exponential(double start, double factor, int count) {
        double[] b = new double[count];
        for (int i = 0; i < count; i++) {
            b[i] = start * Math.pow(factor, i);
        }
        return b;
    }
}
