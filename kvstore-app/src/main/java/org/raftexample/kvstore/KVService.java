package org.raftexample.kvstore;

import java.net.URI;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the HTTP API needs from the replicated store, each slow operation as a future that completes
 * when it has taken effect on this node (and fails if raft refuses it or the node stops).
 */
interface KVService {

    /** The value of a key as applied on this node, without any round trip; the array must not be changed. */
    Optional<byte[]> lookup(String key);

    /** Proposes a write of any bytes; completes once it is committed and applied on this node. */
    CompletableFuture<Void> put(String key, byte[] value);

    /** {@link #put(String, byte[])} of the UTF-8 of {@code value}. */
    default CompletableFuture<Void> put(String key, String value) {
        return put(key, value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Completes once this node has applied every entry that was committed when the call was made
     * (raft's ReadIndex), so that a lookup after it is linearizable.
     */
    CompletableFuture<Void> readBarrier();

    /** Proposes adding voter {@code id} reachable at {@code peerUrl}; completes once applied here. */
    CompletableFuture<Void> addNode(long id, URI peerUrl);

    /** Proposes removing node {@code id}; completes once applied here. */
    CompletableFuture<Void> removeNode(long id);

    /**
     * Why a request that timed out did, as this node sees it now (no leader, lost quorum, slow
     * commit), for the 503 answer; empty when the service cannot tell.
     */
    default Optional<String> unavailableReason() {
        return Optional.empty();
    }
}
