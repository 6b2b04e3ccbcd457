package org.raftexample.kvstore;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.raftexample.kvstore.proto.KV;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated map (the original's kvstore.go without its channels): a pure state machine that
 * knows nothing of raft. It applies committed key-value entries, writes the whole map as a snapshot
 * and restores from one.
 *
 * <p>Threads: {@link #apply}, {@link #snapshot} and {@link #restore} are called by one thread at a
 * time in log order (the apply loop, or the starting thread during replay); {@link #lookup} and
 * {@link #size} by any thread at any time (the map is concurrent, and replaced whole on restore so a
 * reader never sees half a snapshot). When an entry this node proposed is applied, the request id it
 * carries goes to the listener, on the applying thread.
 */
final class KVStore implements StateMachine {

    private static final Logger LOG = LoggerFactory.getLogger(KVStore.class);
    private static final JsonFactory JSON = new JsonFactory();

    private final long nodeId;
    private final LongConsumer appliedRequest;
    private volatile Map<String, String> map = new ConcurrentHashMap<>();
    // Committed normal entries that held no key-value record (written by the applying thread only).
    private final AtomicLong skipped = new AtomicLong();

    /**
     * @param nodeId         this node's id: entries it proposed carry it
     * @param appliedRequest told the request id of each applied entry this node proposed
     */
    KVStore(long nodeId, LongConsumer appliedRequest) {
        this.nodeId = nodeId;
        this.appliedRequest = appliedRequest;
    }

    /** The entry data of a write of {@code key = value} proposed by {@code proposer} as request {@code requestId}. */
    static byte[] encode(String key, String value, long proposer, long requestId) {
        return KV.newBuilder()
                .setKey(key)
                .setValue(value)
                .setProposer(proposer)
                .setRequestId(requestId)
                .build()
                .toByteArray();
    }

    /** The committed value of a key, as applied on this node. */
    Optional<String> lookup(String key) {
        return Optional.ofNullable(map.get(key));
    }

    int size() {
        return map.size();
    }

    /** How many committed entries {@link #apply} skipped because they held no key-value record. */
    long skippedEntries() {
        return skipped.get();
    }

    /**
     * Applies a committed entry. An entry that holds no key-value record is skipped as a no-op: it is in
     * every replica's log, so failing here would stop every member on every restart, while skipping it is
     * the same decision on every node and keeps the replicas identical.
     */
    @Override
    public void apply(long index, ByteString data) {
        Optional<KV> decoded = KVRecords.decode(data);
        if (decoded.isEmpty()) {
            skipped.incrementAndGet();
            LOG.error("skipped the committed entry at index {}: it holds no key-value record ({} bytes: {})",
                    Long.toUnsignedString(index), data.size(), KVRecords.hexPrefix(data));
            return;
        }
        KV kv = decoded.get();
        map.put(kv.getKey(), kv.getValue());
        if (kv.getProposer() == nodeId && kv.getRequestId() != 0) {
            appliedRequest.accept(kv.getRequestId());
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
