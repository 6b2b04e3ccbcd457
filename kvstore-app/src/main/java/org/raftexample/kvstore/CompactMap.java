package org.raftexample.kvstore;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The memory store's map from key bytes to value bytes, laid out for heap size: one byte array per
 * mapping (an <em>entry</em>: the key's length as an unsigned LEB128 varint, the key, the value) in an
 * open-addressing table with linear probing, and nothing else per mapping. A 20-byte key with a
 * 100-byte value takes a 144-byte entry and a table slot of 4 bytes at a load of 3/8 to 3/4, about
 * 152 bytes, where a {@code ConcurrentHashMap} of key objects to value arrays takes about 223.
 *
 * <p>Mappings are never removed (the KV API has no delete), so a key, once in a table, stays in its
 * slot in that table for good, and every slot on its probe path stays taken: that is what lets readers
 * probe without locks while the writer inserts. There is no hash array beside the table: its 4 bytes
 * a slot (about 8 a key) would take the layout past its budget, so a probe compares the key held in
 * each entry it passes (the key's length first, then its bytes).
 *
 * <p>Threads: one writer at a time ({@link #put}, {@link #putEntry}: the applying thread, or the
 * thread that builds a map for a restore before it publishes it; a change of writer must be ordered
 * by happens-before, as the state machine's threads are); {@link #get}, {@link #getEntry},
 * {@link #size}, {@link #heapBytes} and {@link #cursor} from any thread at any time; a {@link Cursor}
 * belongs to the one thread that walks it, concurrently with the writer.
 *
 * <p>Publication: an entry is built whole before it is stored and never changed after, and the writer
 * stores every slot with release semantics ({@link VarHandle#setRelease}); readers load slots with
 * acquire semantics ({@link VarHandle#getAcquire}), so a reader that sees an entry sees all of its
 * bytes and everything the writer did before storing it. An overwrite stores a new entry in the key's
 * slot. When the table passes 3/4 full the writer builds a table twice the size privately and
 * publishes it through the volatile {@link #table} field; the old table is never written again, so a
 * reader or cursor still holding it sees a frozen, consistent table. A reader loads the current table
 * on every call, so it sees every write that happened before the call began.
 */
final class CompactMap {

    /** The largest table: a power of two that a Java array can hold. */
    static final int MAX_CAPACITY = 1 << 30;

    private static final int INITIAL_CAPACITY = 16;
    /** Bytes of a table slot: a reference, compressed as it is on heaps under 32 GB. */
    private static final int REFERENCE_BYTES = 4;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(byte[][].class);

    private final int maxCapacity;
    // The current table; a power of two long, at least a quarter empty. Replaced, never shrunk.
    private volatile byte[][] table;
    // Writer only: the size past which the table grows (3/4 of its length).
    private int threshold;
    // Written by the writer only, read by any thread.
    private volatile int size;
    private volatile long heapBytes;

    /** An empty map. */
    CompactMap() {
        this(MAX_CAPACITY);
    }

    /**
     * An empty map whose table stops growing at {@code maxCapacity} slots (a power of two of at
     * least 16): past 3/4 of that, a new key is refused. For tests; the default is {@link #MAX_CAPACITY}.
     */
    CompactMap(int maxCapacity) {
        if (maxCapacity < INITIAL_CAPACITY || maxCapacity > MAX_CAPACITY || Integer.bitCount(maxCapacity) != 1) {
            throw new IllegalArgumentException("bad maximum capacity " + maxCapacity);
        }
        this.maxCapacity = maxCapacity;
        this.table = new byte[INITIAL_CAPACITY][];
        this.threshold = thresholdOf(INITIAL_CAPACITY);
        this.heapBytes = tableBytes(INITIAL_CAPACITY);
    }

    // ---------------------------------------------------------------- entries

    /**
     * A new entry for a key of {@code keyLength} bytes and a value of {@code valueLength} bytes, with its
     * key length written and its key and value bytes zero: the caller fills them in at {@link
     * #keyOffset} and {@link #valueOffset} before handing it to {@link #putEntry}.
     *
     * @throws IllegalArgumentException when the entry would not fit in an array
     */
    static byte[] newEntry(int keyLength, int valueLength) {
        if (keyLength < 0 || valueLength < 0) {
            throw new IllegalArgumentException("negative length");
        }
        int header = varintLength(keyLength);
        long length = (long) header + keyLength + valueLength;
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("entry of " + length + " bytes is too large");
        }
        byte[] entry = new byte[(int) length];
        int n = keyLength;
        int p = 0;
        while (n >= 0x80) {
            entry[p++] = (byte) (n | 0x80);
            n >>>= 7;
        }
        entry[p] = (byte) n;
        return entry;
    }

    /** A new entry holding copies of {@code key} and {@code value}. */
    static byte[] entry(byte[] key, byte[] value) {
        byte[] entry = newEntry(key.length, value.length);
        int k = keyOffset(entry);
        System.arraycopy(key, 0, entry, k, key.length);
        System.arraycopy(value, 0, entry, k + key.length, value.length);
        return entry;
    }

    private static int varintLength(int n) {
        int bytes = 1;
        while ((n >>>= 7) != 0) {
            bytes++;
        }
        return bytes;
    }

    /** Where an entry's key starts. */
    static int keyOffset(byte[] entry) {
        int p = 0;
        while (entry[p] < 0) {
            p++;
        }
        return p + 1;
    }

    /** The length of an entry's key. */
    static int keyLength(byte[] entry) {
        int b = entry[0];
        if (b >= 0) {
            return b;
        }
        int n = b & 0x7f;
        int shift = 7;
        int p = 1;
        while ((b = entry[p++]) < 0) {
            n |= (b & 0x7f) << shift;
            shift += 7;
        }
        return n | (b << shift);
    }

    /** Where an entry's value starts; it runs to the end of the entry. */
    static int valueOffset(byte[] entry) {
        return keyOffset(entry) + keyLength(entry);
    }

    /** The length of an entry's value. */
    static int valueLength(byte[] entry) {
        return entry.length - valueOffset(entry);
    }

    /** A copy of an entry's key. */
    static byte[] key(byte[] entry) {
        int k = keyOffset(entry);
        return Arrays.copyOfRange(entry, k, k + keyLength(entry));
    }

    /** A copy of an entry's value. */
    static byte[] value(byte[] entry) {
        return Arrays.copyOfRange(entry, valueOffset(entry), entry.length);
    }

    private static boolean keyEquals(byte[] entry, byte[] key, int offset, int length) {
        if (keyLength(entry) != length) {
            return false;
        }
        int k = keyOffset(entry);
        return Arrays.equals(entry, k, k + length, key, offset, offset + length);
    }

    /**
     * The hash of {@code length} key bytes at {@code offset}: a polynomial over the bytes, then the
     * MurmurHash3 finalizer, so that the low bits a table indexes by depend on every byte.
     */
    static int hash(byte[] key, int offset, int length) {
        int h = 0;
        for (int i = offset, end = offset + length; i < end; i++) {
            h = 31 * h + key[i];
        }
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }

    /** Heap of a byte array of {@code n} bytes: a 16-byte header, 8-byte alignment. */
    static long arrayBytes(int n) {
        return (16L + n + 7) & ~7L;
    }

    private static long tableBytes(int capacity) {
        return arrayBytes(capacity * REFERENCE_BYTES);
    }

    private static int thresholdOf(int capacity) {
        return capacity / 4 * 3;
    }

    // ---------------------------------------------------------------- readers

    /** A copy of the value of {@code key}, or null if the map has no such key. Any thread. */
    byte[] get(byte[] key) {
        byte[] entry = getEntry(key, 0, key.length);
        return entry == null ? null : value(entry);
    }

    /**
     * The entry of the key held in {@code length} bytes of {@code key} at {@code offset}, or null if the
     * map has none; the entry must not be changed. Any thread: it reads the current table and acquires
     * each slot it probes, so it sees every write that happened before the call, whole.
     */
    byte[] getEntry(byte[] key, int offset, int length) {
        byte[][] t = table;
        int mask = t.length - 1;
        // Ends at the key or at an empty slot: a table is never full, and a slot once taken stays taken.
        for (int i = hash(key, offset, length) & mask; ; i = (i + 1) & mask) {
            byte[] entry = (byte[]) SLOT.getAcquire(t, i);
            if (entry == null || keyEquals(entry, key, offset, length)) {
                return entry;
            }
        }
    }

    /** The number of keys. Any thread. */
    long size() {
        return size;
    }

    /**
     * An estimate of the heap the map holds: its entry arrays and its table, at 16 bytes of header and
     * 8-byte alignment per array and 4 bytes per slot (compressed references). Kept as a running total
     * by the writer; any thread may read it. A table replaced by a resize is not counted, though a
     * cursor may hold it a while longer.
     */
    long heapBytes() {
        return heapBytes;
    }

    /** The current table's number of slots (for tests). */
    int capacity() {
        return table.length;
    }

    /** A cursor over the table current now. Any thread; see {@link Cursor} for what it returns. */
    Cursor cursor() {
        return new Cursor(table);
    }

    /**
     * Walks one table, slot by slot, while the writer goes on. Every key present when the cursor was
     * made is in that table, at one slot, and stays there: the writer never moves an entry within a
     * table, and once it has moved on to a larger table it never writes the old one again. So the
     * cursor returns each key present at its start exactly once, each time with the entry its slot held
     * when the cursor reached it (the value at the start, or one written later, before any resize froze
     * the table); a key inserted after the start may or may not be returned, once at most. Belongs to
     * one thread.
     */
    static final class Cursor {
        private final byte[][] table;
        private int index;

        private Cursor(byte[][] table) {
            this.table = table;
        }

        /** The next entry (not to be changed), or null when the table has been walked. */
        byte[] next() {
            while (index < table.length) {
                byte[] entry = (byte[]) SLOT.getAcquire(table, index++);
                if (entry != null) {
                    return entry;
                }
            }
            return null;
        }
    }

    // ---------------------------------------------------------------- the writer

    /**
     * Maps {@code key} to {@code value} (both copied into a new entry). Writer only.
     *
     * @return the key's previous entry, or null if it is new
     * @throws IllegalStateException when the key is new and the table is at its largest and 3/4 full
     */
    byte[] put(byte[] key, byte[] value) {
        return putEntry(entry(key, value));
    }

    /**
     * Stores an entry (made by {@link #newEntry} and filled in), replacing the entry of the same key if
     * there is one. The map owns it from now on: it must not be changed. Writer only.
     *
     * @return the key's previous entry, or null if it is new
     * @throws IllegalStateException when the key is new and the table is at its largest and 3/4 full
     */
    byte[] putEntry(byte[] entry) {
        int k = keyOffset(entry);
        int length = keyLength(entry);
        byte[][] t = table;
        int mask = t.length - 1;
        int i = hash(entry, k, length) & mask;
        // Plain loads: only this thread stores slots.
        for (byte[] old; (old = t[i]) != null; i = (i + 1) & mask) {
            if (keyEquals(old, entry, k, length)) {
                SLOT.setRelease(t, i, entry);
                heapBytes += arrayBytes(entry.length) - arrayBytes(old.length);
                return old;
            }
        }
        if (size >= threshold) {
            // Only at the largest table, which is not grown past its threshold.
            throw new IllegalStateException("the map is full: " + size + " keys");
        }
        SLOT.setRelease(t, i, entry);
        size += 1;
        heapBytes += arrayBytes(entry.length);
        if (size >= threshold && t.length < maxCapacity) {
            grow(t);
        }
        return null;
    }

    /**
     * Moves every entry into a table twice as large, built privately and then published; the old
     * table is frozen from then on.
     */
    private void grow(byte[][] old) {
        byte[][] next = new byte[old.length * 2][];
        int mask = next.length - 1;
        for (byte[] entry : old) {
            if (entry != null) {
                int i = hash(entry, keyOffset(entry), keyLength(entry)) & mask;
                while (next[i] != null) {
                    i = (i + 1) & mask;
                }
                next[i] = entry;
            }
        }
        threshold = thresholdOf(next.length);
        heapBytes += tableBytes(next.length) - tableBytes(old.length);
        // The volatile store publishes the plain stores above to every reader that loads the new table.
        table = next;
    }
}
