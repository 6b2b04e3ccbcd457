package org.raftexample.kvstore;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.raftexample.kvstore.proto.KV;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated map (the original's kvstore.go without its channels): a pure state machine that
 * knows nothing of raft. Keys and values are held as byte arrays (a value is any bytes, as a Go
 * string is). It applies committed key-value entries, writes point-in-time views of the map as
 * snapshots ({@link SnapshotFormat}) and restores from one.
 *
 * <p>Threads: {@link #apply}, {@link #view} and {@link #restore} are called by one thread at a time in
 * log order (the apply loop, or the starting thread during replay); {@link #get}, {@link #lookup} and
 * {@link #size} by any thread at any time (the map is concurrent, and replaced whole on restore so a
 * reader never sees half a snapshot); a {@link View} is written by any one thread while writes go on.
 *
 * <p>How a view stays fixed while the map changes: while a view is open, the writer records the value
 * a key had when the view was taken (or that it was absent) before changing it, at most once per key;
 * the view walks the live map and prefers that recorded pre-image. Memory beyond the map is therefore
 * proportional to the keys written while a snapshot is being written, never to the map.
 */
final class KVStore implements KeyValueStore {

    private static final Logger LOG = LoggerFactory.getLogger(KVStore.class);
    /** Pre-image of a key that did not exist when the view was taken. */
    private static final byte[] ABSENT = new byte[0];

    private volatile Generation gen = new Generation();
    // Committed normal entries that held no key-value record (written by the applying thread only).
    private final AtomicLong skipped = new AtomicLong();

    /** One map between two restores, with the pre-images of its open view, if any. */
    private static final class Generation {
        final ConcurrentHashMap<ByteKey, byte[]> map = new ConcurrentHashMap<>();
        // Written by the applying thread (open) and the view's thread (close).
        volatile ConcurrentHashMap<ByteKey, byte[]> preImages;
        // Estimated heap of the map; written by the one thread that writes the map, read by any.
        volatile long bytes;

        void put(ByteKey key, byte[] value) {
            byte[] old = map.put(key, value);
            bytes += old == null
                    ? entryBytes(key.bytes().length, value.length)
                    : array(value.length) - array(old.length);
        }
    }

    /** Heap of one mapping: the map's node, the key object, both arrays and a share of the table. */
    private static long entryBytes(int keyLength, int valueLength) {
        return 32 + 24 + array(keyLength) + array(valueLength) + 8;
    }

    /** Heap of a byte array of {@code n} bytes (16-byte header, 8-byte alignment). */
    private static long array(int n) {
        return (16L + n + 7) & ~7L;
    }

    /** An empty map. */
    KVStore() {}

    /**
     * The command of a write of {@code key = value}. {@code value} is read, not copied: it must not
     * change until this returns. (Records written before the glue framed commands also carry the
     * proposer and its request id; those fields are read past now.)
     */
    static byte[] encode(String key, byte[] value) {
        return KV.newBuilder()
                .setKey(key)
                .setValue(UnsafeByteOperations.unsafeWrap(value))
                .build()
                .toByteArray();
    }

    /** {@link #encode(String, byte[])} of the UTF-8 of {@code value}. */
    static byte[] encode(String key, String value) {
        return encode(key, value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Optional<byte[]> get(String key) {
        return Optional.ofNullable(gen.map.get(ByteKey.of(key)));
    }

    @Override
    public long size() {
        return gen.map.size();
    }

    @Override
    public long sizeBytes() {
        return gen.bytes;
    }

    @Override
    public long skippedEntries() {
        return skipped.get();
    }

    /**
     * Applies a committed entry. An entry that holds no key-value record is skipped as a no-op: it is in
     * every replica's log, so failing here would stop every member on every restart, while skipping it is
     * the same decision on every node and keeps the replicas identical.
     */
    @Override
    public Object apply(long index, ByteString data) {
        Optional<KV> decoded = KVRecords.decode(data);
        if (decoded.isEmpty()) {
            skipped.incrementAndGet();
            LOG.error(
                    "skipped the committed entry at index {}: it holds no key-value record ({} bytes: {})",
                    Long.toUnsignedString(index),
                    data.size(),
                    KVRecords.hexPrefix(data));
            return null;
        }
        KV kv = decoded.get();
        put(new ByteKey(kv.getKeyBytes().toByteArray()), kv.getValue().toByteArray());
        return null;
    }

    private void put(ByteKey key, byte[] value) {
        Generation g = gen;
        ConcurrentHashMap<ByteKey, byte[]> pre = g.preImages;
        if (pre != null && !pre.containsKey(key)) {
            // Recorded before the change: a view that sees the new value also sees the pre-image.
            byte[] old = g.map.get(key);
            pre.put(key, old == null ? ABSENT : old);
        }
        g.put(key, value);
    }

    /**
     * A point-in-time view of the map, taken in O(1): what {@link View#writeTo} writes is the map as
     * it is now, however it changes meanwhile. One view may be open at a time; close it when done.
     */
    @Override
    public View view() {
        Generation g = gen;
        if (g.preImages != null) {
            throw new IllegalStateException("a snapshot view is already open");
        }
        ConcurrentHashMap<ByteKey, byte[]> pre = new ConcurrentHashMap<>();
        g.preImages = pre;
        return new View() {
            private boolean closed;

            @Override
            public long writeTo(OutputStream out) throws IOException {
                if (closed) {
                    throw new IllegalStateException("view closed");
                }
                SnapshotFormat.Writer w = new SnapshotFormat.Writer(out);
                // The map's iterator sees every key present when it started that is not removed (and
                // none is), each once; keys added since carry an ABSENT pre-image.
                for (Map.Entry<ByteKey, byte[]> e : g.map.entrySet()) {
                    byte[] before = pre.get(e.getKey());
                    if (before == ABSENT) {
                        continue;
                    }
                    w.write(e.getKey().bytes(), before != null ? before : e.getValue());
                }
                return w.finish();
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    g.preImages = null;
                }
            }
        };
    }

    /**
     * Replaces the map with a snapshot of either format version (empty = empty map). The new map is
     * built aside: a malformed snapshot throws {@link IllegalStateException} and leaves the map as it was.
     */
    @Override
    public void restore(InputStream in) throws IOException {
        Generation next = new Generation();
        SnapshotFormat.read(in, (k, v) -> next.put(new ByteKey(k), v));
        gen = next;
    }
}
