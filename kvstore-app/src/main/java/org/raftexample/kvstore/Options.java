package org.raftexample.kvstore;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.raftexample.server.ServerConfig;
import org.raftexample.transport.TlsFiles;

/**
 * The validated command line of one raftexample process.
 *
 * @param id                     this node's raft id; it listens for peers on {@code cluster.get(id - 1)}
 * @param cluster                the peer URLs of the initial cluster, node i+1 at index i
 * @param port                   the port of the key-value HTTP API
 * @param join                   true for a node added to a running cluster (never bootstraps a configuration)
 * @param dataDir                where {@code raftexample-<id>} (WAL) and {@code raftexample-<id>-snap} live
 * @param snapshotCount          applied entries between two snapshots
 * @param snapshotCatchupEntries entries kept in memory behind a snapshot so slow followers avoid a snapshot
 * @param tickInterval           wall-clock length of one raft tick
 * @param electionTicks          raft's ElectionTick
 * @param heartbeatTicks         raft's HeartbeatTick
 * @param maxValueBytes          largest accepted PUT body, in bytes
 * @param requestTimeout         how long a client request may wait for raft before a 503
 * @param peerTls                peer certificate, key and trusted CA ({@code --peer-*} flags), or null for plain
 *                               http between peers
 * @param clientTls              the key-value port's certificate, key and trusted CA, or null for plain http
 * @param maxPendingProposals    PUT, POST and DELETE requests in flight at once; more are answered 429
 * @param maxPendingProposalBytes bytes of request bodies those may hold at once; more are answered 429
 * @param maxPendingReads        linearizable GETs waiting for a read index at once; more are answered 429
 * @param store                  where the map lives: {@code memory} or {@code rocksdb}
 * @param preVote                raft's PreVote: a node that rejoins does not force an election
 * @param checkQuorum            raft's CheckQuorum: a leader cut off from a quorum steps down
 * @param maxApplyLag            the commit-applied gap above which the node reports itself unhealthy
 * @param logLevel               the root log level (Logback's names)
 * @param snapshotLogPercent     once the last snapshot is past 8 MiB, the next waits until the entries since hold
 *                               this percentage of its size (0: every {@code snapshotCount} entries)
 * @param quotaBytes             the store size ({@link KeyValueStore#sizeBytes()}) at which PUTs are refused with
 *                               507; 0 for no quota
 */
record Options(
        long id,
        List<URI> cluster,
        int port,
        boolean join,
        Path dataDir,
        long snapshotCount,
        long snapshotCatchupEntries,
        Duration tickInterval,
        int electionTicks,
        int heartbeatTicks,
        int maxValueBytes,
        Duration requestTimeout,
        TlsFiles peerTls,
        TlsFiles clientTls,
        int maxPendingProposals,
        long maxPendingProposalBytes,
        int maxPendingReads,
        String store,
        boolean preVote,
        boolean checkQuorum,
        long maxApplyLag,
        String logLevel,
        int snapshotLogPercent,
        long quotaBytes) {

    static final int DEFAULT_MAX_PENDING_PROPOSALS = 4096;
    static final long DEFAULT_MAX_PENDING_PROPOSAL_BYTES = 64L << 20;
    static final int DEFAULT_MAX_PENDING_READS = 4096;
    static final String STORE_MEMORY = "memory";
    static final String STORE_ROCKSDB = "rocksdb";
    /** etcd's bound on the gap between commit and applied index of a healthy member. */
    static final long DEFAULT_MAX_APPLY_LAG = 5000;
    /** See {@link ServerConfig#snapshotLogPercent()}. */
    static final int DEFAULT_SNAPSHOT_LOG_PERCENT = 50;
    /** The memory store's default quota, as a percentage of the JVM's maximum heap. */
    static final int DEFAULT_MEMORY_QUOTA_PERCENT = 35;

    /**
     * The quota when {@code --quota-bytes} is not given: for the memory store {@value
     * #DEFAULT_MEMORY_QUOTA_PERCENT} % of the maximum heap, so that a full store is refused writes long
     * before the JVM runs out of memory. The rest must hold a second full map while a snapshot from the
     * leader is restored (the new map is built beside the old one, which serves reads until the swap),
     * plus the raft log between snapshots (at most a sixteenth of the heap), requests in flight (up to
     * {@code --max-pending-proposal-bytes}) and a snapshot's pre-images. None for RocksDB, whose data
     * is on disk.
     */
    static long defaultQuotaBytes(String store) {
        return STORE_MEMORY.equals(store) ? Runtime.getRuntime().maxMemory() / 100 * DEFAULT_MEMORY_QUOTA_PERCENT : 0;
    }

    Options {
        cluster = List.copyOf(cluster);
    }

    /**
     * Options with the default (memory) store, for the in-process tests: raft as the original
     * raftexample runs it (PreVote and CheckQuorum off). Those tests run with 10 ms ticks, an election
     * timeout of 100 ms, and some make an apply loop deliberately slow; a follower whose raft loop waits
     * for its apply loop (a conf change) then answers nothing for longer than that, and CheckQuorum
     * would make the leader step down in the middle of the test. The command line
     * ({@link OptionsParser}) turns both on, as etcd's server does.
     */
    Options(
            long id,
            List<URI> cluster,
            int port,
            boolean join,
            Path dataDir,
            long snapshotCount,
            long snapshotCatchupEntries,
            Duration tickInterval,
            int electionTicks,
            int heartbeatTicks,
            int maxValueBytes,
            Duration requestTimeout,
            TlsFiles peerTls,
            TlsFiles clientTls,
            int maxPendingProposals,
            long maxPendingProposalBytes,
            int maxPendingReads) {
        this(
                id,
                cluster,
                port,
                join,
                dataDir,
                snapshotCount,
                snapshotCatchupEntries,
                tickInterval,
                electionTicks,
                heartbeatTicks,
                maxValueBytes,
                requestTimeout,
                peerTls,
                clientTls,
                maxPendingProposals,
                maxPendingProposalBytes,
                maxPendingReads,
                STORE_MEMORY,
                false,
                false,
                DEFAULT_MAX_APPLY_LAG,
                "INFO",
                DEFAULT_SNAPSHOT_LOG_PERCENT,
                0);
    }

    /** Plain http everywhere and the default request limits. */
    Options(
            long id,
            List<URI> cluster,
            int port,
            boolean join,
            Path dataDir,
            long snapshotCount,
            long snapshotCatchupEntries,
            Duration tickInterval,
            int electionTicks,
            int heartbeatTicks,
            int maxValueBytes,
            Duration requestTimeout) {
        this(
                id,
                cluster,
                port,
                join,
                dataDir,
                snapshotCount,
                snapshotCatchupEntries,
                tickInterval,
                electionTicks,
                heartbeatTicks,
                maxValueBytes,
                requestTimeout,
                null,
                null,
                DEFAULT_MAX_PENDING_PROPOSALS,
                DEFAULT_MAX_PENDING_PROPOSAL_BYTES,
                DEFAULT_MAX_PENDING_READS,
                STORE_MEMORY,
                false,
                false,
                DEFAULT_MAX_APPLY_LAG,
                "INFO",
                DEFAULT_SNAPSHOT_LOG_PERCENT,
                0);
    }

    /** The raft glue's part of these options. */
    ServerConfig serverConfig() {
        return ServerConfig.builder()
                .id(id)
                .cluster(cluster)
                .join(join)
                .dataDir(dataDir)
                .snapshotCount(snapshotCount)
                .snapshotCatchupEntries(snapshotCatchupEntries)
                .snapshotLogPercent(snapshotLogPercent)
                .tickInterval(tickInterval)
                .electionTicks(electionTicks)
                .heartbeatTicks(heartbeatTicks)
                // A KV record: the value, the key (the request path, within Jetty's header limit) and framing.
                .maxCommandBytes(maxValueBytes + KVHttpServer.MAX_HEADER_BYTES + 1024)
                .requestTimeout(requestTimeout)
                .peerTls(peerTls)
                .preVote(preVote)
                .checkQuorum(checkQuorum)
                .build();
    }

    /** How long followers wait without hearing from a leader before they campaign. */
    Duration electionTimeout() {
        return tickInterval.multipliedBy(electionTicks);
    }

    /** The scheme of every peer URL: https with peer TLS, http without. */
    String peerScheme() {
        return peerTls == null ? "http" : "https";
    }

    /** Directory of the RocksDB store ({@code --store rocksdb}). */
    Path rocksDir() {
        return dataDir.resolve("raftexample-" + id + "-rocksdb");
    }

    /** The URL this node's peer server listens on. */
    URI ownPeerUrl() {
        return cluster.get((int) (id - 1));
    }

    /** Directory of the write-ahead log, named as the original names it. */
    Path walDir() {
        return dataDir.resolve("raftexample-" + id);
    }

    /** Directory of the snapshot files, named as the original names it. */
    Path snapDir() {
        return dataDir.resolve("raftexample-" + id + "-snap");
    }
}
