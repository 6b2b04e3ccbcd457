package org.raftexample.kvstore;

import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The Jetty server that carries the key-value API on {@code --port} (all interfaces, like the original). */
final class KVHttpServer implements AutoCloseable {

    private final Server server;
    private final ServerConnector connector;

    KVHttpServer(Handler handler, int port) {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("kv-http");
        server = new Server(threads);
        // The raw path is the key, never resolved against a file system, so the URI checks that
        // protect file serving (empty segments, encoded '/', '..') would only make keys unusable.
        HttpConfiguration http = new HttpConfiguration();
        http.setUriCompliance(UriCompliance.UNSAFE);
        http.setSendServerVersion(false);
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setPort(port);
        server.addConnector(connector);
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

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
