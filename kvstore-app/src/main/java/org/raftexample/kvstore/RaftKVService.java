package org.raftexample.kvstore;

import com.google.protobuf.UnsafeByteOperations;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The HTTP API's view of this node: the local store for lookups, raft for writes, read barriers and
 * membership. Every future it returns is completed on the request registry's threads.
 */
final class RaftKVService implements KVService {

    private final long nodeId;
    private final KeyValueStore store;
    private final RaftNode raft;
    private final RequestRegistry requests;

    RaftKVService(long nodeId, KeyValueStore store, RaftNode raft, RequestRegistry requests) {
        this.nodeId = nodeId;
        this.store = store;
        this.raft = raft;
        this.requests = requests;
    }

    @Override
    public Optional<byte[]> lookup(String key) {
        return store.get(key);
    }

    @Override
    public CompletableFuture<Void> put(String key, byte[] value) {
        long id = requests.nextId();
        CompletableFuture<Void> done = requests.register(id);
        // The encoded record is ours alone and never changes: raft may hold it without a copy.
        raft.propose(UnsafeByteOperations.unsafeWrap(KVStore.encode(key, value, nodeId, id)), id, done);
        return done;
    }

    @Override
    public CompletableFuture<Void> readBarrier() {
        return raft.readBarrier();
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
