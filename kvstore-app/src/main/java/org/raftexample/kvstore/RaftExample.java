package org.raftexample.kvstore;

import java.util.concurrent.CompletableFuture;
import org.raftexample.server.RaftNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One raftexample process: the store, the raft glue and the HTTP API, wired and started together.
 * The dependencies run one way: the HTTP API uses the service, the service uses the store and raft;
 * raft ({@link RaftNode}, the public glue of {@code org.raftexample.server}) applies to the store, which
 * is its {@link org.raftexample.server.StateMachine}.
 */
final class RaftExample implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RaftExample.class);

    private final Options opts;
    private final KeyValueStore store;
    private final RaftNode raft;
    private final Operability ops;
    private KVHttpServer http;
    private boolean closed;

    RaftExample(Options opts) throws java.io.IOException {
        this.opts = opts;
        this.store = Options.STORE_ROCKSDB.equals(opts.store()) ? new RocksKVStore(opts.rocksDir()) : new KVStore();
        this.raft = new RaftNode(opts.serverConfig(), store);
        this.ops = new Operability(opts, new RaftNodeView(opts, raft, store));
        raft.setEvents(ops);
    }

    /** Replays the log, joins the cluster and starts serving; on failure nothing is left running. */
    void start() throws Exception {
        try {
            raft.start();
            KVService service = ops.guard(new RaftKVService(store, raft));
            http = new KVHttpServer(ops.handler(HttpKVApi.of(service, opts)), opts.port(), opts.clientTls());
            http.start();
            ops.started();
        } catch (Exception e) {
            close();
            throw e;
        }
        LOG.info("serving the key-value API on port {}, peers on {}", http.port(), opts.ownPeerUrl());
    }

    /** Completes with the exit code when the node ends by itself (removed: 0, fatal error: 1). */
    CompletableFuture<Integer> terminated() {
        return raft.terminated();
    }

    RaftNode raftNodeForTest() {
        return raft;
    }

    int httpPort() {
        return http.port();
    }

    /** Stops the HTTP API, the transport, raft, and closes the WAL, in that order. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        LOG.info("shutting down");
        if (http != null) {
            try {
                http.close();
            } catch (Exception e) {
                LOG.warn("stopping the HTTP server: {}", e.toString());
            }
        }
        raft.close();
        ops.close();
        store.close();
        LOG.info("stopped");
    }
}
