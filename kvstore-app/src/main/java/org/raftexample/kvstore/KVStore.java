package org.raftexample.kvstore;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.raftexample.kvstore.proto.KV;

/**
 * The replicated map: every committed key-value write, as applied by this node.
 *
 * <p>Writes go in only through {@link #apply}, called by the raft glue for each committed normal entry
 * in log order; {@link #propose} hands a write to raft and returns a future that completes when
 * this very proposal is applied here. Reads may come from any thread at any time.
 */
final class KVStore implements StateMachine {

    /**
     * Hands an encoded entry to raft. The future fails when raft refuses the proposal (dropped,
     * node stopping); cancelling it withdraws a proposal raft has not taken yet.
     */
    @FunctionalInterface
    interface Proposer {
        CompletableFuture<Void> propose(byte[] data);
    }

    private static final JsonFactory JSON = new JsonFactory();

    private final long nodeId;
    private final Proposer proposer;
    // Swapped whole on snapshot recovery so that a reader never sees half a snapshot.
    private volatile Map<String, String> map = new ConcurrentHashMap<>();
    private final Map<Long, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
    // A random start keeps ids unique across restarts of this node: an entry proposed before a
    // restart and applied after it must not complete a new, unrelated request.
    private final AtomicLong nextRequestId = new AtomicLong(new SecureRandom().nextLong() & Long.MAX_VALUE | 1);

    KVStore(long nodeId, Proposer proposer) {
        this.nodeId = nodeId;
        this.proposer = proposer;
    }

    /** The committed value of a key, as applied on this node. */
    Optional<String> lookup(String key) {
        return Optional.ofNullable(map.get(key));
    }

    int size() {
        return map.size();
    }

    /**
     * Proposes {@code key = value}; the future completes once the entry is committed and applied on
     * this node, or fails if raft refuses it. A caller that stops waiting should complete the future
     * itself (e.g. {@code orTimeout}), which also forgets the request.
     */
    CompletableFuture<Void> propose(String key, String value) {
        long requestId = nextRequestId.getAndIncrement();
        CompletableFuture<Void> done = new CompletableFuture<>();
        pending.put(requestId, done);
        done.whenComplete((v, e) -> pending.remove(requestId));
        byte[] data = KV.newBuilder()
                .setKey(key)
                .setValue(value)
                .setProposer(nodeId)
                .setRequestId(requestId)
                .build()
                .toByteArray();
        try {
            CompletableFuture<Void> accepted = proposer.propose(data);
            accepted.whenComplete((v, e) -> {
                if (e != null) {
                    done.completeExceptionally(e);
                }
            });
            // A caller that stopped waiting (timeout) withdraws the proposal if raft has not taken it.
            done.whenComplete((v, e) -> {
                if (e != null) {
                    accepted.cancel(false);
                }
            });
        } catch (RuntimeException e) {
            done.completeExceptionally(e);
        }
        return done;
    }

    /** Fails every write still waiting to be applied (the node is stopping). */
    void failPending(Throwable cause) {
        for (CompletableFuture<Void> f : pending.values()) {
            f.completeExceptionally(cause);
        }
    }

    /** How many keys the store holds (any thread). */
    long keyCount() {
        return map.size();
    }

    int pendingCount() {
        return pending.size();
    }

    @Override
    public void apply(long index, ByteString data) {
        KV kv;
        try {
            kv = KV.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("cannot decode the entry at index " + index + " as a key-value pair", e);
        }
        map.put(kv.getKey(), kv.getValue());
        if (kv.getProposer() == nodeId && kv.getRequestId() != 0) {
            CompletableFuture<Void> done = pending.get(kv.getRequestId());
            if (done != null) {
                done.complete(null);
            }
        }
    }

    /** The whole map as one JSON object, written as a stream of fields. */
    @Override
    public byte[] snapshot() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, String> e : map.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Replaces the map with a snapshot written by {@link #snapshot} (empty or {@code null} = empty map). */
    @Override
    public void restore(byte[] snapshot) {
        Map<String, String> restored = new ConcurrentHashMap<>();
        if (snapshot != null && snapshot.length > 0) {
            try (JsonParser p = JSON.createParser(snapshot)) {
                JsonToken t = p.nextToken();
                if (t == JsonToken.START_OBJECT) {
                    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                        String key = p.currentName();
                        if (p.nextToken() != JsonToken.VALUE_STRING) {
                            throw new IllegalStateException("snapshot: value of " + key + " is not a string");
                        }
                        restored.put(key, p.getText());
                    }
                    if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                        throw new IllegalStateException("snapshot: trailing data after the JSON object");
                    }
                } else if (t != JsonToken.VALUE_NULL) {
                    throw new IllegalStateException("snapshot: not a JSON object");
                }
            } catch (IOException e) {
                throw new IllegalStateException("snapshot: malformed JSON", e);
            }
        }
        map = restored;
    }
}
