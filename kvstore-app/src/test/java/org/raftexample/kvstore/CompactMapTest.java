package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The compact map of the memory store: layout, resizes, the heap estimate, and its thread contract. */
@Timeout(120)
class CompactMapTest {

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A 20-byte key, as the store's request paths are. */
    private static byte[] key(int i) {
        return utf8(String.format("/key-%015d", i));
    }

    /**
     * A value naming its key and the round that wrote it, padded to a length that changes with both and
     * filled with a pattern of both, so a torn or misplaced value cannot pass {@link #checkValue}.
     */
    private static byte[] value(int key, int round) {
        int length = 8 + (key * 7 + round * 13) % 40;
        ByteBuffer b = ByteBuffer.allocate(length).putInt(key).putInt(round);
        while (b.hasRemaining()) {
            b.put((byte) (key * 31 + round * 17 + b.position()));
        }
        return b.array();
    }

    /** The round of a value of {@link #value}, after checking that it is whole and is the key's. */
    private static int checkValue(byte[] v, int key) {
        ByteBuffer b = ByteBuffer.wrap(v);
        assertEquals(key, b.getInt(), "the value of another key");
        int round = b.getInt();
        assertArrayEquals(value(key, round), v, "a torn value");
        return round;
    }

    @Test
    void putGetAndOverwrite() {
        CompactMap m = new CompactMap();
        assertNull(m.get(utf8("/a")));
        assertNull(m.put(utf8("/a"), utf8("1")));
        assertNull(m.put(utf8("/b"), utf8("2")));
        assertArrayEquals(utf8("1"), m.get(utf8("/a")));
        byte[] previous = m.put(utf8("/a"), utf8("one"));
        assertNotNull(previous);
        assertArrayEquals(utf8("/a"), CompactMap.key(previous));
        assertArrayEquals(utf8("1"), CompactMap.value(previous));
        assertArrayEquals(utf8("one"), m.get(utf8("/a")));
        assertArrayEquals(utf8("2"), m.get(utf8("/b")));
        assertNull(m.get(utf8("/c")));
        assertNull(m.get(utf8("/")), "a prefix of a key is another key");
        assertNull(m.get(utf8("/aa")), "so is a longer key");
        assertEquals(2, m.size());
    }

    @Test
    void getReturnsACopyOfTheValue() {
        CompactMap m = new CompactMap();
        m.put(utf8("/k"), utf8("value"));
        byte[] got = m.get(utf8("/k"));
        got[0] = 'X';
        assertArrayEquals(utf8("value"), m.get(utf8("/k")));
    }

    @Test
    void emptyValuesAndAnEmptyKeyAreMappings() {
        CompactMap m = new CompactMap();
        m.put(utf8("/empty"), new byte[0]);
        m.put(new byte[0], utf8("of the empty key"));
        assertArrayEquals(new byte[0], m.get(utf8("/empty")));
        assertArrayEquals(utf8("of the empty key"), m.get(new byte[0]));
        m.put(new byte[0], new byte[0]);
        assertArrayEquals(new byte[0], m.get(new byte[0]));
        assertEquals(2, m.size());
    }

    @Test
    void anyByteValueInKeysAndValues() {
        CompactMap m = new CompactMap();
        byte[] all = KVStoreTest.allByteValues();
        for (int b = 0; b < 256; b++) {
            byte[] value = new byte[256];
            for (int i = 0; i < value.length; i++) {
                value[i] = (byte) (b + i);
            }
            m.put(new byte[] {(byte) b}, value);
            m.put(new byte[] {'/', (byte) b, (byte) (255 - b)}, new byte[] {(byte) b});
        }
        m.put(all, all);
        assertEquals(513, m.size());
        for (int b = 0; b < 256; b++) {
            byte[] value = m.get(new byte[] {(byte) b});
            assertEquals(256, value.length);
            for (int i = 0; i < value.length; i++) {
                assertEquals((byte) (b + i), value[i]);
            }
            assertArrayEquals(new byte[] {(byte) b}, m.get(new byte[] {'/', (byte) b, (byte) (255 - b)}));
        }
        assertArrayEquals(all, m.get(all));
    }

    @Test
    void keyLengthsOfOneTwoAndThreeVarintBytes() {
        CompactMap m = new CompactMap();
        Random r = new Random(3);
        List<byte[]> keys = new ArrayList<>();
        for (int length : new int[] {1, 127, 128, 300, 16_383, 16_384, 70_000}) {
            byte[] k = new byte[length];
            r.nextBytes(k);
            keys.add(k);
            m.put(k, Arrays.copyOf(k, 5));
        }
        for (byte[] k : keys) {
            assertArrayEquals(Arrays.copyOf(k, 5), m.get(k));
            byte[] entry = m.getEntry(k, 0, k.length);
            assertEquals(k.length, CompactMap.keyLength(entry));
            assertEquals(k.length < 128 ? 1 : k.length < 16_384 ? 2 : 3, CompactMap.keyOffset(entry));
            assertArrayEquals(k, CompactMap.key(entry));
            assertEquals(5, CompactMap.valueLength(entry));
        }
    }

    @Test
    void lookupsByARangeOfALargerArray() {
        CompactMap m = new CompactMap();
        m.put(utf8("/k"), utf8("v"));
        byte[] around = utf8("xx/kyy");
        assertArrayEquals(utf8("v"), CompactMap.value(m.getEntry(around, 2, 2)));
        assertNull(m.getEntry(around, 2, 3));
    }

    @Test
    void everyKeyIsReadableAcrossManyResizes() {
        CompactMap m = new CompactMap();
        int n = 200_000;
        int capacity = m.capacity();
        int resizes = 0;
        for (int i = 0; i < n; i++) {
            assertNull(m.put(key(i), value(i, 0)));
            if (m.capacity() != capacity) {
                assertEquals(2 * capacity, m.capacity(), "a resize doubles the table");
                capacity = m.capacity();
                resizes++;
                // The new table holds every key so far, each where a probe finds it, with its hash.
                m.checkTable();
                for (int j = 0; j <= i; j++) {
                    assertEquals(0, checkValue(m.get(key(j)), j), "key " + j + " after a resize");
                }
            }
            assertTrue(m.size() < m.capacity() / 4 * 3, "the table stays under 3/4 full");
        }
        assertTrue(resizes >= 10, resizes + " resizes");
        for (int i = 0; i < n; i += 2) {
            assertNotNull(m.put(key(i), value(i, 1)));
        }
        assertEquals(n, m.size());
        m.checkTable();
        for (int i = 0; i < n; i++) {
            assertEquals(i % 2 == 0 ? 1 : 0, checkValue(m.get(key(i)), i));
        }
        assertNull(m.get(key(n)));
    }

    /**
     * {@code blocks} two-byte blocks, each "Aa" or "BB" as the bits of {@code bits} say: all 2^blocks
     * such keys have the same polynomial, so the same {@link CompactMap#hash}, all 32 bits of it.
     */
    private static byte[] collidingKey(int bits, int blocks) {
        byte[] k = new byte[2 * blocks];
        for (int b = 0; b < blocks; b++) {
            boolean aa = (bits >>> b & 1) == 0;
            k[2 * b] = (byte) (aa ? 'A' : 'B');
            k[2 * b + 1] = (byte) (aa ? 'a' : 'B');
        }
        return k;
    }

    @Test
    void keysWithTheSameHashAreAllFoundThroughResizesAndOverwrites() {
        // 2^11 keys of 12 blocks whose last block is "Aa"; those ending in "BB" collide with them too.
        int blocks = 12;
        int n = 1 << (blocks - 1);
        int h = CompactMap.hash(collidingKey(0, blocks), 0, 2 * blocks);
        CompactMap m = new CompactMap();
        // Other keys in between, so the colliding run shares its cluster with keys of other hashes.
        for (int i = 0; i < n; i++) {
            byte[] k = collidingKey(i, blocks);
            assertEquals(h, CompactMap.hash(k, 0, k.length), "the keys collide");
            assertNull(m.put(k, value(i, 0)));
            m.put(key(i), value(i, 0));
            for (int j = 0; j <= i; j += Math.max(1, i / 16)) {
                assertEquals(0, checkValue(m.get(collidingKey(j, blocks)), j));
            }
        }
        assertEquals(2L * n, m.size());
        assertTrue(m.capacity() >= 4 * n, "resized " + m.capacity());
        m.checkTable();
        for (int i = 0; i < n; i += 3) {
            assertNotNull(m.put(collidingKey(i, blocks), value(i, 1)));
        }
        assertEquals(2L * n, m.size(), "overwrites of colliding keys add none");
        for (int i = 0; i < n; i++) {
            assertEquals(i % 3 == 0 ? 1 : 0, checkValue(m.get(collidingKey(i, blocks)), i));
            assertEquals(0, checkValue(m.get(key(i)), i));
        }
        // Same hash, not a key: the probe passes every colliding entry and finds none of them.
        for (int i = n; i < 2 * n; i += 97) {
            byte[] k = collidingKey(i, blocks);
            assertEquals(h, CompactMap.hash(k, 0, k.length));
            assertNull(m.get(k));
        }
        m.checkTable();
    }

    /** The inverse of the MurmurHash3 finalizer at the end of {@link CompactMap#hash}. */
    private static int unmix(int h) {
        h ^= h >>> 16;
        h *= 0x7ed1b41d;
        h ^= (h >>> 13) ^ (h >>> 26);
        h *= 0xa5cb9243;
        h ^= h >>> 16;
        return h;
    }

    /** A key whose {@link CompactMap#hash} is {@code h}: its polynomial in base-31 digits, 7 bytes. */
    private static byte[] keyHashingTo(int h) {
        long p = Integer.toUnsignedLong(unmix(h));
        byte[] k = new byte[7];
        for (int i = k.length - 1; i >= 0; i--) {
            k[i] = (byte) (p % 31);
            p /= 31;
        }
        assertEquals(0, p);
        return k;
    }

    @Test
    void aKeyHashingToZeroSharesItsStoredHashWithOneHashingToOne() {
        byte[] zero = new byte[3];
        byte[] one = keyHashingTo(1);
        byte[] other = keyHashingTo(0x1234_5671);
        assertEquals(0, CompactMap.hash(zero, 0, zero.length));
        assertEquals(1, CompactMap.hash(one, 0, one.length));
        assertEquals(0x1234_5671, CompactMap.hash(other, 0, other.length));
        assertEquals(1, CompactMap.storedHash(0), "0 marks an empty slot");
        CompactMap m = new CompactMap();
        m.put(zero, utf8("zero"));
        m.put(new byte[0], utf8("empty"));
        m.put(one, utf8("one"));
        m.put(other, utf8("other"));
        for (int i = 0; i < 100; i++) {
            m.put(key(i), value(i, 0));
        }
        m.checkTable();
        assertArrayEquals(utf8("zero"), m.get(zero));
        assertArrayEquals(utf8("empty"), m.get(new byte[0]));
        assertArrayEquals(utf8("one"), m.get(one));
        assertArrayEquals(utf8("other"), m.get(other));
        assertNull(m.get(new byte[1]), "hashes to 0 as well, not a key");
        assertEquals(104, m.size());
    }

    @Test
    void theHeapEstimateIsTheSumOfTheArrays() {
        CompactMap m = new CompactMap();
        // The table object (24 bytes), and two arrays of a 16-byte header and 4 bytes a slot.
        assertEquals(24 + 2 * (16 + 4 * 16), m.heapBytes(), "the empty table");
        assertEquals(24 + 2 * (16 + 4 * 16), CompactMap.tableBytes(16));
        long entries = 0;
        for (int i = 0; i < 1000; i++) {
            byte[] v = value(i, 0);
            m.put(key(i), v);
            entries += CompactMap.arrayBytes(1 + 20 + v.length);
            assertEquals(entries + 24 + 2 * (16 + 4L * m.capacity()), m.heapBytes());
        }
        byte[] big = new byte[1000];
        byte[] old = m.put(key(7), big);
        entries += CompactMap.arrayBytes(1 + 20 + 1000) - CompactMap.arrayBytes(old.length);
        assertEquals(entries + 24 + 2 * (16 + 4L * m.capacity()), m.heapBytes(), "an overwrite counts the difference");
        assertEquals(144, CompactMap.arrayBytes(1 + 20 + 100), "an entry of a 20-byte key and a 100-byte value");
    }

    @Test
    void aMillionKeysOf20And100BytesTakeAt161BytesAKeyByTheEstimate() {
        CompactMap m = new CompactMap();
        byte[] value = new byte[100];
        int n = 1_000_000;
        for (int i = 0; i < n; i++) {
            m.put(key(i), value);
        }
        double perKey = (double) m.heapBytes() / n;
        // 144 + 8.39 (references) + 8.39 (hashes) + 56 / n = 160.78.
        assertEquals(1 << 21, m.capacity());
        assertEquals(
                144 + 2 * 4.0 * (1 << 21) / n + (24 + 16 + 16.0) / n,
                perKey,
                1e-9,
                "144-byte entries, 2M slots of a reference and a hash");
        assertTrue(perKey <= 161, perKey + " bytes a key");
    }

    @Test
    void aTableAtItsLargestRefusesNewKeysButTakesOverwrites() {
        CompactMap m = new CompactMap(32);
        for (int i = 0; i < 24; i++) {
            m.put(key(i), value(i, 0));
        }
        assertEquals(32, m.capacity());
        long heap = m.heapBytes();
        assertThrows(IllegalStateException.class, () -> m.put(key(24), value(24, 0)));
        assertEquals(24, m.size());
        assertEquals(heap, m.heapBytes());
        assertNull(m.get(key(24)));
        m.put(key(3), value(3, 1));
        for (int i = 0; i < 24; i++) {
            assertEquals(i == 3 ? 1 : 0, checkValue(m.get(key(i)), i));
        }
        assertThrows(IllegalArgumentException.class, () -> new CompactMap(48));
        assertThrows(IllegalArgumentException.class, () -> new CompactMap(8));
    }

    /** The keys a cursor returns from now on, checking that none comes twice. */
    private static Set<Integer> drain(CompactMap.Cursor c, int limit) {
        Set<Integer> keys = new HashSet<>();
        for (int k = 0; k < limit; k++) {
            byte[] entry = c.next();
            if (entry == null) {
                break;
            }
            int i = Integer.parseInt(new String(CompactMap.key(entry), StandardCharsets.UTF_8).substring(5));
            checkValue(CompactMap.value(entry), i);
            assertTrue(keys.add(i), "key " + i + " twice");
        }
        return keys;
    }

    @Test
    void aCursorSeesEveryKeyOfItsStartOnceThroughResizesAndOverwrites() {
        CompactMap m = new CompactMap();
        int n = 5_000;
        for (int i = 0; i < n; i++) {
            m.put(key(i), value(i, 0));
        }
        int capacity = m.capacity();
        CompactMap.Cursor c = m.cursor();
        Set<Integer> seen = drain(c, n / 2);
        // Overwrite every key, then add enough to resize twice, then overwrite again in the new table.
        for (int i = 0; i < n; i++) {
            m.put(key(i), value(i, 1));
        }
        for (int i = n; i < 4 * n; i++) {
            m.put(key(i), value(i, 0));
        }
        assertTrue(m.capacity() >= 4 * capacity);
        for (int i = 0; i < n; i++) {
            m.put(key(i), value(i, 2));
        }
        Set<Integer> rest = drain(c, Integer.MAX_VALUE);
        assertNull(c.next());
        for (int i : rest) {
            assertTrue(seen.add(i), "key " + i + " twice");
        }
        Set<Integer> want = new HashSet<>();
        for (int i = 0; i < n; i++) {
            want.add(i);
        }
        assertTrue(seen.containsAll(want), "every key present when the cursor began");
        assertEquals(4 * n, drain(m.cursor(), Integer.MAX_VALUE).size());
    }

    @Test
    void readersSeeEveryPublishedWriteWholeWhileOneWriterInsertsOverwritesAndResizes() throws Exception {
        CompactMap m = new CompactMap();
        int n = 100_000;
        int rounds = 3;
        // round * n + key + 1 for the last put done: every write up to it happened before a reader reads it.
        AtomicLong published = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        // The writer goes on past its first key only once both readers are checking: they run beside it.
        CountDownLatch readersChecking = new CountDownLatch(2);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Long>> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                long seed = r;
                readers.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    long checked = 0;
                    while (!done.get()) {
                        long p = published.get();
                        if (p == 0) {
                            continue;
                        }
                        long last = p - 1;
                        int round = (int) (last / n);
                        int upTo = (int) (last % n);
                        int k = random.nextInt(round == 0 ? upTo + 1 : n);
                        // The key's newest write at or before the published one.
                        int atLeast = k <= upTo ? round : round - 1;
                        byte[] v = m.get(key(k));
                        assertNotNull(v, "key " + k + " published, not found");
                        int got = checkValue(v, k);
                        assertTrue(got >= atLeast, "key " + k + ": round " + got + " after " + atLeast);
                        if (checked++ == 0) {
                            readersChecking.countDown();
                        }
                    }
                    return checked;
                }));
            }
            Future<?> writer = pool.submit(() -> {
                for (int round = 0; round < rounds; round++) {
                    for (int k = 0; k < n; k++) {
                        m.put(key(k), value(k, round));
                        published.set((long) round * n + k + 1);
                        if (round == 0 && k == 0) {
                            assertTrue(readersChecking.await(30, TimeUnit.SECONDS), "the readers never ran");
                        }
                    }
                }
                done.set(true);
                return null;
            });
            writer.get(60, TimeUnit.SECONDS);
            for (Future<Long> r : readers) {
                r.get(60, TimeUnit.SECONDS); // its assertion failures, if any
            }
        } finally {
            done.set(true);
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
        assertEquals(n, m.size());
    }

    @Test
    void aCursorOnAnotherThreadSeesEveryKeyOfItsStartWhileTheWriterGoesOn() throws Exception {
        CompactMap m = new CompactMap();
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            m.put(key(i), value(i, 0));
        }
        CompactMap.Cursor c = m.cursor();
        CountDownLatch walking = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Set<Integer>> walked = pool.submit(() -> {
                Set<Integer> seen = drain(c, n / 4);
                walking.countDown();
                seen.addAll(drain(c, Integer.MAX_VALUE));
                return seen;
            });
            // The cursor is a quarter through its table before the writer starts, so the writer's
            // overwrites and resizes happen while it walks.
            assertTrue(walking.await(30, TimeUnit.SECONDS));
            // Overwrites and enough new keys for several resizes, while the cursor walks.
            for (int round = 1; round <= 3; round++) {
                for (int i = 0; i < n; i++) {
                    m.put(key(i), value(i, round));
                }
                for (int i = round * 20 * n; i < (round * 20 + 4) * n; i++) {
                    m.put(key(i), value(i, round));
                }
            }
            Set<Integer> seen = walked.get(60, TimeUnit.SECONDS);
            for (int i = 0; i < n; i++) {
                assertTrue(seen.contains(i), "key " + i + " missed");
            }
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void entriesBuiltInPlaceAreStoredAsTheyAre() {
        CompactMap m = new CompactMap();
        byte[] entry = CompactMap.newEntry(2, 3);
        System.arraycopy(utf8("/k"), 0, entry, CompactMap.keyOffset(entry), 2);
        System.arraycopy(utf8("abc"), 0, entry, CompactMap.valueOffset(entry), 3);
        assertNull(m.putEntry(entry));
        assertSame(entry, m.getEntry(utf8("/k"), 0, 2));
        assertArrayEquals(utf8("abc"), m.get(utf8("/k")));
        assertSame(entry, m.putEntry(CompactMap.entry(utf8("/k"), utf8("d"))));
    }

    @Test
    void theTableEstimateStaysRightAtTheLargestTables() {
        // The table object, then two arrays of 4 bytes a slot with a 16-byte header each; at 2^29 and 2^30
        // slots each array is 2 and 4 GiB, past an int.
        assertEquals(24 + 2 * (16 + (1L << 31)), CompactMap.tableBytes(1 << 29));
        assertEquals(24 + 2 * (16 + (1L << 32)), CompactMap.tableBytes(1 << 30));
        assertEquals(24 + 2 * (16 + 64), CompactMap.tableBytes(16));
    }
}
