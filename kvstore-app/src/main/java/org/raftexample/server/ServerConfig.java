package org.raftexample.server;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.raftexample.transport.TlsFiles;

/**
 * What a {@link RaftNode} needs to know to run: who it is, who its peers are, where its WAL and
 * snapshots live, and raft's timing. Built with {@link #builder()}, which validates; immutable, so any
 * thread may read it.
 *
 * <p>The defaults are the original raftexample's (100 ms ticks, elections after 10 ticks, a heartbeat
 * every tick, a snapshot every 10,000 entries with 10,000 kept behind it for slow followers), with
 * raft's PreVote and CheckQuorum on, as etcd's server runs raft.
 */
public final class ServerConfig {

    private final long id;
    private final List<URI> cluster;
    private final boolean join;
    private final Path dataDir;
    private final long snapshotCount;
    private final long snapshotCatchupEntries;
    private final int snapshotLogPercent;
    private final Duration tickInterval;
    private final int electionTicks;
    private final int heartbeatTicks;
    private final int maxCommandBytes;
    private final Duration requestTimeout;
    private final TlsFiles peerTls;
    private final boolean preVote;
    private final boolean checkQuorum;

    private ServerConfig(Builder b) {
        this.id = b.id;
        this.cluster = List.copyOf(b.cluster);
        this.join = b.join;
        this.dataDir = b.dataDir;
        this.snapshotCount = b.snapshotCount;
        this.snapshotCatchupEntries = b.snapshotCatchupEntries;
        this.snapshotLogPercent = b.snapshotLogPercent;
        this.tickInterval = b.tickInterval;
        this.electionTicks = b.electionTicks;
        this.heartbeatTicks = b.heartbeatTicks;
        this.maxCommandBytes = b.maxCommandBytes;
        this.requestTimeout = b.requestTimeout;
        this.peerTls = b.peerTls;
        this.preVote = b.preVote;
        this.checkQuorum = b.checkQuorum;
    }

    /**
     * A builder with the defaults; {@link Builder#id}, {@link Builder#cluster} and {@link Builder#dataDir}
     * must be set.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * This node's raft id, from 1.
     *
     * @return the id
     */
    public long id() {
        return id;
    }

    /**
     * The peer URLs of the initial cluster, node i+1 at index i.
     *
     * @return an immutable list
     */
    public List<URI> cluster() {
        return cluster;
    }

    /**
     * Whether this node joins a running cluster (added with a conf change) instead of bootstrapping one.
     *
     * @return true for a joining node
     */
    public boolean join() {
        return join;
    }

    /**
     * The directory under which {@code raftexample-<id>} (the WAL) and {@code raftexample-<id>-snap} live.
     *
     * @return the data directory
     */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * Least applied entries between two snapshots (more once the state is large, see the docs).
     *
     * @return the snapshot count
     */
    public long snapshotCount() {
        return snapshotCount;
    }

    /**
     * Entries kept in memory behind a snapshot, so that a follower a little behind gets entries, not a
     * snapshot.
     *
     * @return the number of entries
     */
    public long snapshotCatchupEntries() {
        return snapshotCatchupEntries;
    }

    /**
     * How far apart snapshots grow with the state: once the last snapshot's data is past 8 MiB, the next
     * also waits until the entries applied since hold this percentage of its size (at most a sixteenth
     * of the heap). 0 takes one every {@link #snapshotCount()} entries, as the original does.
     *
     * @return a percentage, 50 by default
     */
    public int snapshotLogPercent() {
        return snapshotLogPercent;
    }

    /**
     * The wall-clock length of one raft tick.
     *
     * @return the tick interval
     */
    public Duration tickInterval() {
        return tickInterval;
    }

    /**
     * Raft's ElectionTick.
     *
     * @return ticks without a leader before a follower campaigns
     */
    public int electionTicks() {
        return electionTicks;
    }

    /**
     * Raft's HeartbeatTick.
     *
     * @return ticks between two heartbeats of a leader
     */
    public int heartbeatTicks() {
        return heartbeatTicks;
    }

    /**
     * The largest command a proposal may carry; peer messages are sized to hold one.
     *
     * @return a size in bytes
     */
    public int maxCommandBytes() {
        return maxCommandBytes;
    }

    /**
     * How long a proposal, a read barrier or a conf change may wait before it fails with a timeout.
     *
     * @return the request timeout
     */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /**
     * The peer port's certificate, key and trusted CA, or null for plain http between peers.
     *
     * @return the TLS files or null
     */
    public TlsFiles peerTls() {
        return peerTls;
    }

    /**
     * Raft's PreVote.
     *
     * @return whether a node that rejoins first asks whether it could win an election
     */
    public boolean preVote() {
        return preVote;
    }

    /**
     * Raft's CheckQuorum.
     *
     * @return whether a leader that has not heard from a quorum for an election timeout steps down
     */
    public boolean checkQuorum() {
        return checkQuorum;
    }

    /**
     * How long followers wait without hearing from a leader before they campaign.
     *
     * @return tick interval times election ticks
     */
    public Duration electionTimeout() {
        return tickInterval.multipliedBy(electionTicks);
    }

    /**
     * The scheme of every peer URL.
     *
     * @return https with peer TLS, http without
     */
    public String peerScheme() {
        return peerTls == null ? "http" : "https";
    }

    /**
     * The URL this node's peer server listens on.
     *
     * @return the {@link #id()}-th URL of the cluster
     */
    public URI ownPeerUrl() {
        return cluster.get((int) (id - 1));
    }

    /**
     * The directory of the write-ahead log, named as the original names it.
     *
     * @return {@code dataDir/raftexample-<id>}
     */
    public Path walDir() {
        return dataDir.resolve("raftexample-" + id);
    }

    /**
     * The directory of the snapshot files, named as the original names it.
     *
     * @return {@code dataDir/raftexample-<id>-snap}
     */
    public Path snapDir() {
        return dataDir.resolve("raftexample-" + id + "-snap");
    }

    /** Sets the fields of a {@link ServerConfig}; {@link #build()} checks them. Not thread-safe. */
    public static final class Builder {
        private long id;
        private List<URI> cluster;
        private boolean join;
        private Path dataDir;
        private long snapshotCount = 10_000;
        private long snapshotCatchupEntries = 10_000;
        private int snapshotLogPercent = 50;
        private Duration tickInterval = Duration.ofMillis(100);
        private int electionTicks = 10;
        private int heartbeatTicks = 1;
        private int maxCommandBytes = 1 << 20;
        private Duration requestTimeout = Duration.ofSeconds(5);
        private TlsFiles peerTls;
        private boolean preVote = true;
        private boolean checkQuorum = true;

        private Builder() {}

        /**
         * Sets {@link ServerConfig#id()}.
         *
         * @param id this node's raft id, from 1 to the cluster's size
         * @return this builder
         */
        public Builder id(long id) {
            this.id = id;
            return this;
        }

        /**
         * Sets {@link ServerConfig#cluster()}.
         *
         * @param cluster peer URLs, node i+1 at index i
         * @return this builder
         */
        public Builder cluster(List<URI> cluster) {
            this.cluster = List.copyOf(cluster);
            return this;
        }

        /**
         * Sets {@link ServerConfig#join()}.
         *
         * @param join true for a node added to a running cluster
         * @return this builder
         */
        public Builder join(boolean join) {
            this.join = join;
            return this;
        }

        /**
         * Sets {@link ServerConfig#dataDir()}.
         *
         * @param dataDir where the WAL and snapshot directories live
         * @return this builder
         */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /**
         * Sets {@link ServerConfig#snapshotCount()}.
         *
         * @param snapshotCount least applied entries between two snapshots, at least 1
         * @return this builder
         */
        public Builder snapshotCount(long snapshotCount) {
            this.snapshotCount = snapshotCount;
            return this;
        }

        /**
         * Sets {@link ServerConfig#snapshotCatchupEntries()}.
         *
         * @param entries entries kept behind a snapshot, at least 0
         * @return this builder
         */
        public Builder snapshotCatchupEntries(long entries) {
            this.snapshotCatchupEntries = entries;
            return this;
        }

        /**
         * Sets {@link ServerConfig#snapshotLogPercent()}.
         *
         * @param percent from 0 to 1000
         * @return this builder
         */
        public Builder snapshotLogPercent(int percent) {
            this.snapshotLogPercent = percent;
            return this;
        }

        /**
         * Sets {@link ServerConfig#tickInterval()}.
         *
         * @param tickInterval the length of one tick, positive
         * @return this builder
         */
        public Builder tickInterval(Duration tickInterval) {
            this.tickInterval = tickInterval;
            return this;
        }

        /**
         * Sets {@link ServerConfig#electionTicks()}.
         *
         * @param electionTicks more than the heartbeat ticks
         * @return this builder
         */
        public Builder electionTicks(int electionTicks) {
            this.electionTicks = electionTicks;
            return this;
        }

        /**
         * Sets {@link ServerConfig#heartbeatTicks()}.
         *
         * @param heartbeatTicks at least 1
         * @return this builder
         */
        public Builder heartbeatTicks(int heartbeatTicks) {
            this.heartbeatTicks = heartbeatTicks;
            return this;
        }

        /**
         * Sets {@link ServerConfig#maxCommandBytes()}.
         *
         * @param maxCommandBytes at least 1
         * @return this builder
         */
        public Builder maxCommandBytes(int maxCommandBytes) {
            this.maxCommandBytes = maxCommandBytes;
            return this;
        }

        /**
         * Sets {@link ServerConfig#requestTimeout()}.
         *
         * @param requestTimeout positive
         * @return this builder
         */
        public Builder requestTimeout(Duration requestTimeout) {
            this.requestTimeout = requestTimeout;
            return this;
        }

        /**
         * Sets {@link ServerConfig#peerTls()}.
         *
         * @param peerTls the peer port's TLS files, or null for plain http
         * @return this builder
         */
        public Builder peerTls(TlsFiles peerTls) {
            this.peerTls = peerTls;
            return this;
        }

        /**
         * Sets {@link ServerConfig#preVote()}.
         *
         * @param preVote whether raft's PreVote is on
         * @return this builder
         */
        public Builder preVote(boolean preVote) {
            this.preVote = preVote;
            return this;
        }

        /**
         * Sets {@link ServerConfig#checkQuorum()}.
         *
         * @param checkQuorum whether raft's CheckQuorum is on
         * @return this builder
         */
        public Builder checkQuorum(boolean checkQuorum) {
            this.checkQuorum = checkQuorum;
            return this;
        }

        /**
         * Checks the fields and builds the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException naming the first field that is missing or out of range
         */
        public ServerConfig build() {
            Objects.requireNonNull(cluster, "cluster must be set");
            Objects.requireNonNull(dataDir, "dataDir must be set");
            Objects.requireNonNull(tickInterval, "tickInterval must be set");
            Objects.requireNonNull(requestTimeout, "requestTimeout must be set");
            require(!cluster.isEmpty(), "cluster must name at least one peer URL");
            require(id >= 1 && id <= cluster.size(), "id must be between 1 and the cluster's size, got " + id);
            require(snapshotCount >= 1, "snapshotCount must be at least 1");
            require(snapshotCatchupEntries >= 0, "snapshotCatchupEntries must not be negative");
            require(
                    snapshotLogPercent >= 0 && snapshotLogPercent <= 1000,
                    "snapshotLogPercent must be between 0 and 1000");
            require(!tickInterval.isNegative() && !tickInterval.isZero(), "tickInterval must be positive");
            require(heartbeatTicks >= 1, "heartbeatTicks must be at least 1");
            require(electionTicks > heartbeatTicks, "electionTicks must be greater than heartbeatTicks");
            require(maxCommandBytes >= 1, "maxCommandBytes must be at least 1");
            require(!requestTimeout.isNegative() && !requestTimeout.isZero(), "requestTimeout must be positive");
            return new ServerConfig(this);
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
