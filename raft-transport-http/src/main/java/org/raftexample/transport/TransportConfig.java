package org.raftexample.transport;

import java.net.URI;
import java.util.Objects;

/**
 * What a {@link Transport} needs to know about its node.
 *
 * @param id        this node's raft id (nonzero)
 * @param clusterId the cluster's id; requests carrying another one are refused with 412
 * @param listenUrl where the transport's own peer HTTP server listens ({@code http://host:port}, or {@code
 *                  https://host:port} with TLS; port 0 picks a free one), or {@code null} for handler-only mode:
 *                  the application mounts {@link Transport#handler()} in a server it runs itself
 * @param raft      where received messages and delivery reports go
 * @param limits    buffer and size limits
 * @param timeouts  connection timings
 * @param tls       the peer certificate, key and trusted CA, or {@code null} for plain HTTP; with it, the listener
 *                  and every peer URL are {@code https}, and the listener refuses peers without a trusted
 *                  certificate when {@link TlsFiles#requiresClientCertificate()}
 * @param traffic   hears about every message sent, received or lost, and each probe's round trip
 */
public record TransportConfig(
        long id,
        long clusterId,
        URI listenUrl,
        RaftReceiver raft,
        TransportLimits limits,
        TransportTimeouts timeouts,
        TlsFiles tls,
        PeerTrafficListener traffic) {

    /**
     * Checks the configuration: a nonzero id, a listen URL of the right scheme, no null part.
     *
     * @param id this node's raft id (nonzero)
     * @param clusterId the cluster's id; requests carrying another one are refused with 412
     * @param listenUrl where the transport's own peer HTTP server listens ({@code http://host:port}, or {@code
     *     https://host:port} with TLS; port 0 picks a free one), or {@code null} for handler-only mode: the application
     *     mounts {@link Transport#handler()} in a server it runs itself
     * @param raft where received messages and delivery reports go
     * @param limits buffer and size limits
     * @param timeouts connection timings
     * @param tls the peer certificate, key and trusted CA, or {@code null} for plain HTTP; with it, the listener and
     *     every peer URL are {@code https}, and the listener refuses peers without a trusted certificate when {@link
     *     TlsFiles#requiresClientCertificate()}
     * @param traffic hears about every message sent, received or lost, and each probe's round trip
     */
    public TransportConfig {
        Objects.requireNonNull(traffic, "traffic");
        if (id == 0) {
            throw new IllegalArgumentException("transport id must be nonzero");
        }
        Objects.requireNonNull(raft, "raft");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(timeouts, "timeouts");
        if (listenUrl != null && (!scheme(tls).equals(listenUrl.getScheme()) || listenUrl.getHost() == null)) {
            throw new IllegalArgumentException("listen URL must be " + scheme(tls) + "://host:port, got " + listenUrl);
        }
    }

    /**
     * A config that nobody listens to the traffic of.
     *
     * @param id this node's id, nonzero
     * @param clusterId the cluster's id, checked on every request
     * @param listenUrl where the transport's own listener binds, or null when the application serves {@link
     *     Transport#handler()} itself
     * @param raft the node messages are handed to
     * @param limits the size limits
     * @param timeouts the timeouts
     * @param tls the certificates, or null for plain http
     */
    public TransportConfig(
            long id,
            long clusterId,
            URI listenUrl,
            RaftReceiver raft,
            TransportLimits limits,
            TransportTimeouts timeouts,
            TlsFiles tls) {
        this(id, clusterId, listenUrl, raft, limits, timeouts, tls, PeerTrafficListener.NONE);
    }

    /**
     * The one scheme of every URL this transport listens on or dials: https with TLS, http without.
     *
     * @return {@code https} or {@code http}
     */
    public String scheme() {
        return scheme(tls);
    }

    private static String scheme(TlsFiles tls) {
        return tls == null ? "http" : "https";
    }

    /**
     * A config with default limits and timeouts.
     *
     * @param id this node's id, nonzero
     * @param clusterId the cluster's id
     * @param listenUrl where to listen, or null
     * @param raft the node messages are handed to
     * @return the configuration
     */
    public static TransportConfig of(long id, long clusterId, URI listenUrl, RaftReceiver raft) {
        return of(id, clusterId, listenUrl, raft, null);
    }

    /**
     * A config with default limits and timeouts, over TLS when {@code tls} is not null.
     *
     * @param id this node's id, nonzero
     * @param clusterId the cluster's id
     * @param listenUrl where to listen, or null
     * @param raft the node messages are handed to
     * @param tls the certificates, or null
     * @return the configuration
     */
    public static TransportConfig of(long id, long clusterId, URI listenUrl, RaftReceiver raft, TlsFiles tls) {
        return new TransportConfig(
                id, clusterId, listenUrl, raft, TransportLimits.defaults(), TransportTimeouts.defaults(), tls);
    }

    /**
     * The same configuration with other limits.
     *
     * @param newLimits the limits
     * @return the new configuration
     */
    public TransportConfig withLimits(TransportLimits newLimits) {
        return new TransportConfig(id, clusterId, listenUrl, raft, newLimits, timeouts, tls, traffic);
    }

    /**
     * The same configuration with other timeouts.
     *
     * @param newTimeouts the timeouts
     * @return the new configuration
     */
    public TransportConfig withTimeouts(TransportTimeouts newTimeouts) {
        return new TransportConfig(id, clusterId, listenUrl, raft, limits, newTimeouts, tls, traffic);
    }

    /**
     * The same configuration with another traffic listener.
     *
     * @param newTraffic the listener
     * @return the new configuration
     */
    public TransportConfig withTraffic(PeerTrafficListener newTraffic) {
        return new TransportConfig(id, clusterId, listenUrl, raft, limits, timeouts, tls, newTraffic);
    }
}
