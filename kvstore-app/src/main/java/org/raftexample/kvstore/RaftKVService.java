package org.raftexample.kvstore;

import com.google.protobuf.UnsafeByteOperations;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.raftexample.server.RaftNode;

/**
 * The HTTP API's view of this node: the local store for lookups, raft for writes, read barriers and
 * membership. Every future it returns is completed on the raft node's completer threads.
 */
final class RaftKVService implements KVService {

    private final KeyValueStore store;
    private final RaftNode raft;

    RaftKVService(KeyValueStore store, RaftNode raft) {
        this.store = store;
        this.raft = raft;
    }

    @Override
    public Optional<byte[]> lookup(String key) {
        return store.get(key);
    }

    @Override
    public CompletableFuture<Void> put(String key, byte[] value) {
        // The encoded record is ours alone and never changes: raft may hold it without a copy.
        // The store's apply returns null for a write.
        return raft.propose(UnsafeByteOperations.unsafeWrap(KVStore.encode(key, value)));
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
