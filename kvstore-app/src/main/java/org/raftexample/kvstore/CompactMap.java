package org.raftexample.kvstore;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The memory store's map from key bytes to value bytes, laid out for heap size: one byte array per
 * mapping (an <em>entry</em>: the key's length as an unsigned LEB128 varint, the key, the value) in an
 * open-addressing table with linear probing, and beside each slot the key's hash. A 20-byte key with
 * a 100-byte value takes a 144-byte entry, a 4-byte slot and a 4-byte hash; at a load of 3/8 to 3/4
 * that is about 155 to 165 bytes a key (about 161 at 1M keys), where a {@code ConcurrentHashMap} of key
 * objects to value arrays takes about 223.
 *
 * <p>A table ({@link Table}) is two arrays of the same length: the entries and their keys' hashes
 * (never 0: {@link #storedHash}; 0 marks an empty slot). A probe walks consecutive ints of the hash
 * array and loads a slot's entry only where the hash is the one it looks for, so a lookup touches a
 * fixed few cache lines (the hashes, the reference, the entry), not one entry per slot it passes, and
 * a miss touches only the hashes. A resize copies the two arrays into two larger ones, placing each
 * slot by its stored hash, without reading an entry or hashing a key again.
 *
 * <p>The table grows when 3/4 full. Cheaper probes would bear a fuller table, but linear probing's
 * clusters grow fast past that: an unsuccessful search (every insert is one) takes about
 * (1 + 1/(1 - a)^2)/2 probes at load a, 8.5 at 3/4 and 32.5 at 7/8, while a key's share of the slots
 * (8 bytes each) would drop only from 10.7-21.3 to 9.1-18.3 bytes.
 *
 * <p>Mappings are never removed (the KV API has no delete), so a key, once in a table, stays in its
 * slot in that table for good, and every slot on its probe path stays taken, with the same hash: that
 * is what lets readers probe without locks while the writer inserts.
 *
 * <p>Threads: one writer at a time ({@link #put}, {@link #putEntry}: the applying thread, or the
 * thread that builds a map for a restore before it publishes it; a change of writer must be ordered
 * by happens-before, as the state machine's threads are); {@link #get}, {@link #getEntry},
 * {@link #size}, {@link #heapBytes} and {@link #cursor} from any thread at any time; a {@link Cursor}
 * belongs to the one thread that walks it, concurrently with the writer.
 *
 * <p>Publication: an entry is built whole before it is stored and never changed after. The writer
 * fills an empty slot by storing its hash (a plain store) and then its entry with release semantics
 * ({@link VarHandle#setRelease}); an overwrite stores only a new entry, with release, in the key's slot
 * (the hash is the same). Readers load entries with acquire semantics ({@link VarHandle#getAcquire}),
 * so a reader that sees an entry sees all of its bytes and everything the writer did before storing
 * it. Why a reader may read the hashes with plain loads and stop at a 0 is in {@link #getEntry}. When
 * the table passes 3/4 full the writer builds a table twice the size privately and publishes it
 * through the volatile {@link #table} field; the old table is never written again, so a reader or
 * cursor still holding it sees a frozen, consistent table. A reader loads the current table on every
 * call, so it sees every write that happened before the call began.
 */
final class CompactMap {

    /** The largest table: a power of two that a Java array can hold. */
    static final int MAX_CAPACITY = 1 << 30;

    private static final int INITIAL_CAPACITY = 16;
    /** Bytes of a table slot: a reference, compressed as it is on heaps under 32 GB. */
    private static final int REFERENCE_BYTES = 4;
    /** Bytes of a stored hash. */
    private static final int HASH_BYTES = 4;
    /** Bytes of a {@link Table} object: a 12-byte header and two compressed references, aligned to 8. */
    private static final int TABLE_OBJECT_BYTES = 24;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(byte[][].class);

    /**
     * One table: slot {@code i} is empty when {@code hashes[i]} is 0, and otherwise holds the entry
     * {@code entries[i]} (once the writer has released it) of a key whose {@link #storedHash} is {@code
     * hashes[i]}. A power of two long, at least a quarter empty. The writer fills a slot once and
     * then only replaces its entry, until a resize freezes the table.
     */
    private static final class Table {
        final int[] hashes;
        final byte[][] entries;

        Table(int capacity) {
            this.hashes = new int[capacity];
            this.entries = new byte[capacity][];
        }

        int capacity() {
            return entries.length;
        }
    }

    private final int maxCapacity;
    // The current table. Replaced by a larger one, never shrunk.
    private volatile Table table;
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
        this.table = new Table(INITIAL_CAPACITY);
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

    /**
     * The hash a table stores for a key of {@link #hash} {@code h}: {@code h}, or 1 for 0, which marks an
     * empty slot. Tables index by it too, so a key hashing to 0 and one hashing to 1 share a home slot.
     */
    static int storedHash(int h) {
        return h == 0 ? 1 : h;
    }

    /** Heap of an array of {@code n} bytes of elements: a 16-byte header, 8-byte alignment. */
    static long arrayBytes(long n) {
        return (16L + n + 7) & ~7L;
    }

    /**
     * Heap of a table of {@code capacity} slots: its object, its entry array and its hash array (in
     * {@code long}: at 2^29 slots the reference array alone is 2 GiB).
     */
    static long tableBytes(int capacity) {
        return TABLE_OBJECT_BYTES
                + arrayBytes((long) capacity * REFERENCE_BYTES)
                + arrayBytes((long) capacity * HASH_BYTES);
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
     * map has none; the entry must not be changed. Any thread: it reads the current table, so it finds
     * every key put before the call, and it acquires every entry it returns, so it sees it whole.
     */
    byte[] getEntry(byte[] key, int offset, int length) {
        Table t = table;
        int[] hashes = t.hashes;
        int mask = hashes.length - 1;
        int h = storedHash(hash(key, offset, length));
        // Why plain loads of the hashes are enough. Say the key was put before this call (the put
        // happens-before it). The table loaded above holds it: it is the table the key went into or a
        // larger one a resize built from it, privately, before the volatile store that published it
        // (and a table replaced before the put is not loaded: its replacement happens-before this
        // load). In that table the writer stored the key's hash and then released its entry, and
        // before that filled every slot between the key's home and its slot (linear probing takes the
        // first empty slot from the home, a resize too), all before the put or the publication, so all
        // happening-before this call. A slot is filled once and never emptied, and a load cannot see
        // a value that a store happening-before it has overwritten: so on the key's path each hash
        // load sees the slot's hash, never the array's initial 0, and the probe neither stops early
        // nor skips the key's slot; the acquire load there sees the key's entry or a later overwrite
        // of it (same key), whole. What a plain load may see besides comes from a slot the writer is
        // filling concurrently: its hash (int loads are never torn) while its entry still reads null,
        // or 0 for a hash already stored. Such a slot holds a key not put before this call, so skipping
        // it or stopping at it loses nothing this call must find. An entry read non-null is whole
        // (release/acquire) and has the slot's hash.
        // Ends at an empty slot at the latest: a table is never full, and a slot once taken stays taken.
        for (int i = h & mask; ; i = (i + 1) & mask) {
            int stored = hashes[i];
            if (stored == 0) {
                return null;
            }
            if (stored == h) {
                byte[] entry = (byte[]) SLOT.getAcquire(t.entries, i);
                if (entry != null && keyEquals(entry, key, offset, length)) {
                    return entry;
                }
            }
        }
    }

    /** The number of keys. Any thread. */
    long size() {
        return size;
    }

    /**
     * An estimate of the heap the map holds: its entry arrays and its table (the table object and its
     * two arrays: 4 bytes a slot for the reference, compressed, and 4 for the hash), at 16 bytes of
     * header and 8-byte alignment per array. Kept as a running total by the writer; any thread may read
     * it. A table replaced by a resize is not counted, though a cursor may hold it a while longer.
     */
    long heapBytes() {
        return heapBytes;
    }

    /** The current table's number of slots (for tests). */
    int capacity() {
        return table.capacity();
    }

    /**
     * Checks the current table (for tests; not while the writer runs): each slot has a hash if and only
     * if it has an entry, the hash is its key's {@link #storedHash}, every key is found by probing from
     * its home slot, and {@link #size} is the number of entries.
     *
     * @throws IllegalStateException naming the first slot found wrong
     */
    void checkTable() {
        Table t = table;
        int mask = t.capacity() - 1;
        long entries = 0;
        for (int i = 0; i < t.capacity(); i++) {
            byte[] entry = t.entries[i];
            int stored = t.hashes[i];
            if ((entry == null) != (stored == 0)) {
                throw new IllegalStateException("slot " + i + ": hash " + stored + " and entry " + (entry != null));
            }
            if (entry == null) {
                continue;
            }
            entries++;
            if (stored != storedHash(hash(entry, keyOffset(entry), keyLength(entry)))) {
                throw new IllegalStateException("slot " + i + ": hash " + stored + " is not its key's");
            }
            for (int j = stored & mask; j != i; j = (j + 1) & mask) {
                if (t.hashes[j] == 0) {
                    throw new IllegalStateException("slot " + i + ": an empty slot " + j + " on its probe path");
                }
            }
        }
        if (entries != size) {
            throw new IllegalStateException(entries + " entries, size " + size);
        }
    }

    /** A cursor over the table current now. Any thread; see {@link Cursor} for what it returns. */
    Cursor cursor() {
        return new Cursor(table.entries);
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
        Table t = table;
        int[] hashes = t.hashes;
        byte[][] entries = t.entries;
        int mask = hashes.length - 1;
        int h = storedHash(hash(entry, k, length));
        int i = h & mask;
        // Plain loads: only this thread stores slots.
        for (int stored; (stored = hashes[i]) != 0; i = (i + 1) & mask) {
            byte[] old;
            if (stored == h && keyEquals(old = entries[i], entry, k, length)) {
                // In place: same slot, same hash, a new entry released.
                SLOT.setRelease(entries, i, entry);
                heapBytes += arrayBytes(entry.length) - arrayBytes(old.length);
                return old;
            }
        }
        if (size >= threshold) {
            // Only at the largest table, which is not grown past its threshold.
            throw new IllegalStateException("the map is full: " + size + " keys");
        }
        // The hash first, then the entry with release: a reader that acquires the entry sees the hash
        // (getEntry reads a hash without its entry as a slot still being filled).
        hashes[i] = h;
        SLOT.setRelease(entries, i, entry);
        size += 1;
        heapBytes += arrayBytes(entry.length);
        if (size >= threshold && hashes.length < maxCapacity) {
            grow(t);
        }
        return null;
    }

    /**
     * Moves every slot into a table twice as large, built privately and then published; the old table
     * is frozen from then on. It reads the old table's two arrays in order and places each slot by its
     * stored hash: no entry is read and no key hashed, so the cost is two sequential scans and the
     * stores into the new arrays, not a cache miss and a hash per key.
     */
    private void grow(Table old) {
        Table next = new Table(old.capacity() * 2);
        int[] oldHashes = old.hashes;
        byte[][] oldEntries = old.entries;
        int[] hashes = next.hashes;
        byte[][] entries = next.entries;
        int mask = hashes.length - 1;
        for (int j = 0; j < oldHashes.length; j++) {
            int h = oldHashes[j];
            if (h != 0) {
                int i = h & mask;
                while (hashes[i] != 0) {
                    i = (i + 1) & mask;
                }
                hashes[i] = h;
                entries[i] = oldEntries[j];
            }
        }
        threshold = thresholdOf(next.capacity());
        heapBytes += tableBytes(next.capacity()) - tableBytes(old.capacity());
        // The volatile store publishes the plain stores above to every reader that loads the new table.
        table = next;
    }
}
