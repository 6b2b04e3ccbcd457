package org.raftexample.kvstore;

import java.net.URI;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** The HTTP API's view of this node: the local store for reads and writes, raft for barriers and membership. */
final class RaftKVService implements KVService {

    private final KVStore store;
    private final RaftNode raft;
    private final AppliedIndex applied;

    RaftKVService(KVStore store, RaftNode raft, AppliedIndex applied) {
        this.store = store;
        this.raft = raft;
        this.applied = applied;
    }

    @Override
    public Optional<String> lookup(String key) {
        return store.lookup(key);
    }

    @Override
    public CompletableFuture<Void> put(String key, String value) {
        return store.propose(key, value);
    }

    @Override
    public CompletableFuture<Void> readBarrier() {
        return raft.readIndex().thenCompose(applied::waitFor);
    }

    @Override
    public CompletableFuture<Void> addNode(long id, URI peerUrl) {
        return raft.addNode(id, peerUrl);
    }

    @Override
    public CompletableFuture<Void> removeNode(long id) {
        return raft.removeNode(id);
    }
}
