package org.raftexample.kvstore;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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
 * {@link #size} and {@link #sizeBytes} by any thread at any time (the map, a {@link CompactMap}, takes
 * one writer and any number of readers, and is replaced whole on restore so a reader never sees half
 * a snapshot); a {@link View} is written by any one thread while writes go on.
 *
 * <p>How a view stays fixed while the map changes: while a view is open, the writer records the entry
 * a key had when the view was taken (or that it was absent) before changing it, at most once per key;
 * the view walks the live map and prefers that recorded pre-image. Memory beyond the map is therefore
 * proportional to the keys written while a snapshot is being written, never to the map.
 */
final class KVStore implements KeyValueStore {

    private static final Logger LOG = LoggerFactory.getLogger(KVStore.class);
    /** Pre-image of a key that did not exist when the view was taken (no entry is empty). */
    private static final byte[] ABSENT = new byte[0];

    private volatile Generation gen = new Generation();
    // Committed normal entries that held no key-value record (written by the applying thread only).
    private final AtomicLong skipped = new AtomicLong();

    /** One map between two restores, with the pre-images of its open view, if any. */
    private static final class Generation {
        final CompactMap map = new CompactMap();
        // Written by the applying thread (open) and the view's thread (close).
        volatile PreImages preImages;
    }

    /**
     * What the keys changed since a view was taken held then: the key's entry at the time, or {@code
     * ABSENT}. Written by the applying thread, read by the view's thread (handed the view with
     * happens-before, as any object passed between threads safely).
     */
    private static final class PreImages {
        final ConcurrentHashMap<ByteKey, byte[]> entries = new ConcurrentHashMap<>();
        // Set with the first pre-image, so the view skips the lookups while there is none.
        volatile boolean any;

        /** Records the pre-image of the key of {@code entry}, unless there is one; before the change. */
        void recordBefore(CompactMap map, byte[] entry) {
            int k = CompactMap.keyOffset(entry);
            int length = CompactMap.keyLength(entry);
            if (entries.containsKey(new ByteKey(entry, k, length))) {
                return;
            }
            byte[] old = map.getEntry(entry, k, length);
            if (old == null) {
                // Not the new entry's range: that would keep its value alive after an overwrite.
                entries.put(new ByteKey(Arrays.copyOfRange(entry, k, k + length)), ABSENT);
            } else {
                entries.put(new ByteKey(old, CompactMap.keyOffset(old), length), old);
            }
            any = true;
        }
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
        // A copy of the value, which lives inside the map's entry for the key.
        return Optional.ofNullable(gen.map.get(key.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public long size() {
        return gen.map.size();
    }

    @Override
    public long sizeBytes() {
        return gen.map.heapBytes();
    }

    /** The current map's table size in slots (for tests). */
    int mapCapacity() {
        return gen.map.capacity();
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
        ByteString key = kv.getKeyBytes();
        ByteString value = kv.getValue();
        byte[] entry = CompactMap.newEntry(key.size(), value.size());
        key.copyTo(entry, CompactMap.keyOffset(entry));
        value.copyTo(entry, CompactMap.valueOffset(entry));
        put(entry);
        return null;
    }

    private void put(byte[] entry) {
        Generation g = gen;
        PreImages pre = g.preImages;
        if (pre != null) {
            // Recorded before the change: a view that sees the new entry also sees the pre-image.
            pre.recordBefore(g.map, entry);
        }
        g.map.putEntry(entry);
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
        PreImages pre = new PreImages();
        g.preImages = pre;
        return new View() {
            private boolean closed;

            @Override
            public long writeTo(OutputStream out) throws IOException {
                if (closed) {
                    throw new IllegalStateException("view closed");
                }
                SnapshotFormat.Writer w = new SnapshotFormat.Writer(out);
                // Why this writes the map as it was at view(): the cursor's table is the current one,
                // which holds every key present at view() (keys are never removed, and a resize copies
                // them all before it publishes the larger table), each at one slot (CompactMap.Cursor).
                // The entry the cursor loads from a slot is either the one of view() time, or one the
                // writer stored since, for a key changed or added after view(). For such a key the
                // writer put the pre-image (its entry then, or ABSENT) in pre and set pre.any before
                // it released the new entry into the slot, and the cursor loads the slot with acquire:
                // so whenever it sees a newer entry, it sees pre.any set and the key's pre-image. If
                // the resize moved on to a larger table, the cursor's table is frozen: same argument,
                // with fewer changes seen.
                CompactMap.Cursor cursor = g.map.cursor();
                for (byte[] seen; (seen = cursor.next()) != null; ) {
                    byte[] entry = seen;
                    if (pre.any) {
                        byte[] before = pre.entries.get(
                                new ByteKey(seen, CompactMap.keyOffset(seen), CompactMap.keyLength(seen)));
                        if (before == ABSENT) {
                            continue;
                        }
                        if (before != null) {
                            entry = before;
                        }
                    }
                    int k = CompactMap.keyOffset(entry);
                    int length = CompactMap.keyLength(entry);
                    w.write(entry, k, length, entry, k + length, entry.length - k - length);
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
        SnapshotFormat.read(in, next.map::put);
        gen = next;
    }
}
