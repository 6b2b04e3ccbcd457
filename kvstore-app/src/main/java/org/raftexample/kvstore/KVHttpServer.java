package org.raftexample.kvstore;

import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.raftexample.server.CompleterThread;
import org.raftexample.transport.TlsFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Jetty server that carries the key-value API on {@code --port} (all interfaces, like the original), over
 * https when {@code --cert-file} is given.
 *
 * <p>Abuse is bounded here and in {@link HttpKVApi}: a fixed thread pool (the API never blocks a thread on raft
 * or on a slow body, so threads are not held by slow clients), headers of at most {@value #MAX_HEADER_BYTES} bytes
 * (431 above), a connection idle for {@value #IDLE_TIMEOUT_MS} ms is closed, and past {@value #MAX_CONNECTIONS}
 * open connections the server stops accepting until some close, rather than running out of file descriptors.
 */
final class KVHttpServer implements AutoCloseable {
    static final int MAX_HEADER_BYTES = 8 << 10;
    static final int IDLE_TIMEOUT_MS = 30_000;
    static final int MAX_CONNECTIONS = 10_000;
    private static final int MAX_THREADS = 64;
    private static final int ACCEPT_QUEUE = 1024;

    private final Server server;
    private final ServerConnector connector;

    KVHttpServer(Handler handler, int port) {
        this(handler, port, null);
    }

    /** @param tls the port's certificate and key (and trusted CA for client certificates), or null for http */
    KVHttpServer(Handler handler, int port, TlsFiles tls) {
        QueuedThreadPool threads = new AnsweringThreadPool(MAX_THREADS, 4);
        threads.setName("kv-http");
        server = new Server(threads);
        // The raw path is the key, never resolved against a file system, so the URI checks that
        // protect file serving (empty segments, encoded '/', '..') would only make keys unusable.
        HttpConfiguration http = new HttpConfiguration();
        http.setUriCompliance(UriCompliance.UNSAFE);
        http.setSendServerVersion(false);
        http.setRequestHeaderSize(MAX_HEADER_BYTES);
        HttpConnectionFactory h1 = new HttpConnectionFactory(http);
        connector = tls == null
                ? new ServerConnector(server, h1)
                : new ServerConnector(server, new SslConnectionFactory(tls.newServerFactory(), h1.getProtocol()), h1);
        connector.setPort(port);
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, server));
        server.setHandler(handler);
        server.setErrorHandler(new PlainErrorHandler());
        server.setStopTimeout(2_000);
    }

    void start() throws Exception {
        server.start();
    }

    /** The port actually bound (differs from the requested one only when that was 0). */
    int port() {
        return connector.getLocalPort();
    }

    /** Stops the server; an interrupt while it waits for open requests is kept on the calling thread. */
    @Override
    public void close() {
        try {
            server.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            throw new IllegalStateException("stopping the key-value HTTP server", e);
        }
    }

    /**
     * Jetty's pool, except that a connection handed to it by a request registry's completer thread runs
     * on that thread. When an answer is written on a thread other than the one that handled the request
     * (most writes and linearizable reads are answered on a completer thread), Jetty hands the connection
     * to its pool to read the next request: one more thread to wake, which is most of the cost of an
     * answer at high rates and a wait behind the scheduler at c=1. The completer goes on with the
     * connection itself instead: it reads what the client sent (never blocking), and handles a request
     * found there as any Jetty thread would. The API's handlers never block where they are called; what
     * may wait (the operational endpoints, a membership change) is handed to this pool's own threads.
     *
     * <p>Threads: {@link #execute} is called by Jetty's threads, the completer threads and any other
     * thread that answers a request (the registry's deadline thread, the operability timer); it runs a
     * job inline only when it is a connection and the caller a completer thread.
     */
    static final class AnsweringThreadPool extends QueuedThreadPool {
        private static final Logger LOG = LoggerFactory.getLogger(AnsweringThreadPool.class);

        AnsweringThreadPool(int maxThreads, int minThreads) {
            super(maxThreads, minThreads);
        }

        @Override
        public void execute(Runnable job) {
            if (job instanceof Connection && CompleterThread.isCurrent()) {
                try {
                    job.run();
                } catch (RuntimeException e) {
                    LOG.warn("reading the next request of an answered connection failed", e);
                }
                return;
            }
            super.execute(job);
        }
    }
}
