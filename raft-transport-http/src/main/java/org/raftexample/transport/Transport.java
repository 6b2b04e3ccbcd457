package org.raftexample.transport;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.raftexample.raftpb.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries raft messages between the members of a cluster over HTTP, as etcd's rafthttp does for raftexample.
 *
 * <p>Typical use: construct, {@link #start()}, {@link #addPeer} every other member, then call {@link #send} with
 * each {@code Ready}'s messages; received messages arrive at {@link RaftReceiver#process}. The transport either runs
 * its own peer HTTP server on {@link TransportConfig#listenUrl()} or, in handler-only mode, leaves serving
 * {@link #handler()} to the application. Fatal errors (this member was removed; the listener failed) are
 * queued for the application to {@link #pollError poll}.
 *
 * <p>Thread use is fixed: per peer four pipeline senders, two stream writers, two stream readers and one
 * snapshot sender, plus bounded Jetty pools for the client and the server. {@link #stop()} ends all of them.
 */
public final class Transport implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);
    private static final int MAX_HEADER_BYTES = 8 << 10;
    private static final int ACCEPT_QUEUE = 128;
    private static final int MAX_CONNECTIONS = 4096;

    /** The version of the peer wire protocol this transport speaks (sent in every request's headers). */
    public static final String PROTOCOL_VERSION = Protocol.VERSION;

    private final TransportConfig config;
    private final String threadPrefix;
    private final ErrorQueue errors = new ErrorQueue();
    private final Map<Long, RemotePeer> peers = new ConcurrentHashMap<>();
    private final RaftHandler handler;
    private HttpClient client;
    private Server server;
    private ServerConnector connector;
    private PeerContext context;
    private boolean started;
    private boolean stopped;
    private volatile boolean listenerFailureReported;

    /**
     * A transport that does nothing until {@link #start()}.
     *
     * @param config who this node is, where it listens and whom it tells about messages
     */
    public Transport(TransportConfig config) {
        this.config = config;
        this.threadPrefix = "raft-transport-" + Protocol.formatId(config.id()) + "-";
        this.handler = new RaftHandler(
                config.id(),
                config.clusterId(),
                config.raft(),
                config.limits(),
                peers::get,
                config.timeouts().request(),
                config.traffic());
    }

    /** Starts the HTTP client and, unless in handler-only mode, the peer listener. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("transport already started");
        }
        started = true;
        try {
            client = newClient();
            client.start();
            context = new PeerContext(
                    config.id(),
                    config.clusterId(),
                    config.raft(),
                    config.limits(),
                    config.timeouts(),
                    client,
                    errors,
                    threadPrefix,
                    config.traffic());
            if (config.listenUrl() != null) {
                startServer();
            }
        } catch (Exception e) {
            if (!listenerFailureReported) {
                errors.report(new TransportError(
                        TransportError.Kind.LISTENER_FAILED,
                        0,
                        "could not start the peer transport on " + config.listenUrl(),
                        e));
            }
            stopQuietly();
            throw new TransportException("could not start the peer transport on " + config.listenUrl(), e);
        }
        LOG.info(
                "transport {} started{}",
                Protocol.formatId(config.id()),
                server == null ? " (handler only)" : " on " + listenUri());
    }

    /**
     * The handler serving this node's {@code /raft} endpoints, for a server the application runs itself.
     *
     * @return the handler
     */
    public Handler handler() {
        return handler;
    }

    /**
     * The URL the transport's own listener is bound to (with the real port when 0 was asked for).
     *
     * @return the URI
     */
    public synchronized URI listenUri() {
        if (connector == null) {
            throw new IllegalStateException("transport has no listener (not started, or handler-only mode)");
        }
        URI u = config.listenUrl();
        return URI.create(config.scheme() + "://" + u.getHost() + ":" + connector.getLocalPort());
    }

    /**
     * Sends messages to their peers; messages to unknown peers or to 0 are dropped. Never blocks.
     *
     * @param messages the messages, each with its {@code to} set
     */
    public void send(List<Message> messages) {
        for (Message m : messages) {
            if (m.getTo() == 0) {
                continue;
            }
            RemotePeer p = peers.get(m.getTo());
            if (p == null) {
                LOG.debug("dropped {} to unknown peer {}", m.getType(), Protocol.formatId(m.getTo()));
                continue;
            }
            p.send(m);
        }
    }

    /**
     * Starts talking to a member; does nothing if it is already known.
     *
     * @param id the member
     * @param urls its peer URLs
     */
    public synchronized void addPeer(long id, List<String> urls) {
        requireRunning();
        if (id == config.id()) {
            throw new IllegalArgumentException("cannot add self as a peer");
        }
        if (peers.containsKey(id)) {
            return;
        }
        RemotePeer p = new RemotePeer(context, id, parseUrls(urls));
        peers.put(id, p);
        p.start();
        LOG.info("transport {} added peer {} at {}", Protocol.formatId(config.id()), Protocol.formatId(id), urls);
    }

    /**
     * Stops talking to a member and closes its connections; later messages to it are dropped.
     *
     * @param id the member
     */
    public synchronized void removePeer(long id) {
        RemotePeer p = peers.remove(id);
        if (p != null) {
            p.stop();
            LOG.info("transport {} removed peer {}", Protocol.formatId(config.id()), Protocol.formatId(id));
        }
    }

    /**
     * Changes the URLs a member is reached at; connections already open stay until they fail.
     *
     * @param id the member
     * @param urls its new peer URLs
     */
    public synchronized void updatePeer(long id, List<String> urls) {
        RemotePeer p = peers.get(id);
        if (p == null) {
            throw new IllegalArgumentException("unknown peer " + Protocol.formatId(id));
        }
        p.update(parseUrls(urls));
    }

    /** Stops talking to every member (etcd's {@code RemoveAllPeers}). */
    public synchronized void removeAllPeers() {
        for (Long id : new ArrayList<>(peers.keySet())) {
            removePeer(id);
        }
    }

    /**
     * Since when the peer has been reachable without interruption; empty if it is not now (or is unknown).
     *
     * @param id the peer
     * @return the time, or empty
     */
    public Optional<Instant> activeSince(long id) {
        RemotePeer p = peers.get(id);
        return p == null ? Optional.empty() : p.activeSince();
    }

    /**
     * The next fatal error, waiting up to the timeout; {@code null} if none came.
     *
     * @param timeout how long to wait
     * @param unit the unit of timeout
     * @return the error, or null
     * @throws InterruptedException if the calling thread is interrupted while it waits
     */
    public TransportError pollError(long timeout, TimeUnit unit) throws InterruptedException {
        return errors.poll(timeout, unit);
    }

    /**
     * The next fatal error, waiting as long as it takes.
     *
     * @return the error
     * @throws InterruptedException if the calling thread is interrupted while it waits
     */
    public TransportError takeError() throws InterruptedException {
        return errors.take();
    }

    /** Closes every peer connection, stops every thread the transport started and releases the listener. */
    public synchronized void stop() {
        if (!started || stopped) {
            stopped = true;
            return;
        }
        stopped = true;
        stopQuietly();
        LOG.info("transport {} stopped", Protocol.formatId(config.id()));
    }

    @Override
    public void close() {
        stop();
    }

    /** For tests in this package: the peer with this id, or null. */
    RemotePeer peer(long id) {
        return peers.get(id);
    }

    private void requireRunning() {
        if (!started || stopped || context == null) {
            throw new IllegalStateException("transport is not running");
        }
    }

    private void stopQuietly() {
        for (Long id : new ArrayList<>(peers.keySet())) {
            RemotePeer p = peers.remove(id);
            if (p != null) {
                try {
                    p.stop();
                } catch (RuntimeException e) {
                    // A stuck peer thread must not keep the listener, the client and the other peers alive.
                    LOG.warn("error stopping peer {}: {}", Protocol.formatId(id), e.toString());
                }
            }
        }
        if (server != null) {
            try {
                server.stop();
            } catch (Exception e) {
                LOG.warn("error stopping the peer listener: {}", e.toString());
            }
        }
        if (client != null) {
            try {
                client.stop();
            } catch (Exception e) {
                LOG.warn("error stopping the peer client: {}", e.toString());
            }
        }
    }

    private HttpClient newClient() {
        QueuedThreadPool pool = new QueuedThreadPool(16, 2);
        pool.setName(threadPrefix + "client");
        pool.setDaemon(true);
        pool.setReservedThreads(0);
        ClientConnector clientConnector = new ClientConnector();
        if (config.tls() != null) {
            clientConnector.setSslContextFactory(config.tls().newClientFactory());
        }
        clientConnector.setSelectors(1);
        clientConnector.setTCPNoDelay(true);
        clientConnector.setConnectTimeout(config.timeouts().dial());
        HttpClient c = new HttpClient(new HttpClientTransportOverHTTP(clientConnector));
        c.setExecutor(pool);
        c.setScheduler(new ScheduledExecutorScheduler(threadPrefix + "client-scheduler", true));
        c.setFollowRedirects(false);
        c.setMaxConnectionsPerDestination(32);
        c.setIdleTimeout(30_000);
        c.setUserAgentField(null);
        return c;
    }

    private void startServer() throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool(32, 4);
        pool.setName(threadPrefix + "server");
        pool.setDaemon(true);
        pool.setReservedThreads(0);
        server = new Server(pool, new ScheduledExecutorScheduler(threadPrefix + "server-scheduler", true), null);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        http.setRequestHeaderSize(MAX_HEADER_BYTES);
        HttpConnectionFactory h1 = new HttpConnectionFactory(http);
        connector = config.tls() == null
                ? new ServerConnector(server, 1, 1, h1)
                : new ServerConnector(
                        server, 1, 1, new SslConnectionFactory(config.tls().newServerFactory(), h1.getProtocol()), h1);
        connector.setHost(config.listenUrl().getHost());
        connector.setPort(Math.max(config.listenUrl().getPort(), 0));
        connector.setAcceptedTcpNoDelay(true);
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        // Streams write a heartbeat every linkHeartbeat, so only stuck or abandoned requests reach this; it
        // bounds how long a peer that sends a partial body can hold a server thread.
        connector.setIdleTimeout(config.timeouts().request().toMillis());
        // Idle or half-open connections cost a file descriptor and a little memory each, no thread; past
        // this many the connector stops accepting until some close, instead of running out of descriptors.
        server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, server));
        server.setErrorHandler(new PlainTextErrorHandler());
        server.addConnector(connector);
        server.setHandler(handler);
        server.addEventListener(new LifeCycle.Listener() {
            @Override
            public void lifeCycleFailure(LifeCycle event, Throwable cause) {
                listenerFailureReported = true;
                errors.report(
                        new TransportError(TransportError.Kind.LISTENER_FAILED, 0, "peer listener failed", cause));
            }
        });
        server.start();
    }

    private List<URI> parseUrls(List<String> urls) {
        if (urls.isEmpty()) {
            throw new IllegalArgumentException("a peer needs at least one URL");
        }
        List<URI> parsed = new ArrayList<>();
        for (String s : urls) {
            URI u = URI.create(s);
            if (!config.scheme().equals(u.getScheme()) || u.getHost() == null) {
                throw new IllegalArgumentException("peer URL must be " + config.scheme() + "://host:port"
                        + (config.tls() == null ? " (no peer TLS configured)" : " (peer TLS is on)") + ", got " + s);
            }
            parsed.add(u);
        }
        return parsed;
    }
}
