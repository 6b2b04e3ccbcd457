package org.raftexample.raft.tracker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.raftexample.raft.RaftPanicException;

/** Go: tracker/inflights_test.go. */
class InflightsTest {

    /** Asserts the whole internal state of the window, ring buffer included. */
    private static void assertState(
            Inflights in, int start, int count, long bytes, int size, long[] indexes, long[] sizes) {
        assertEquals(start, in.start, "start");
        assertEquals(count, in.count, "count");
        assertEquals(bytes, in.bytes, "bytes");
        assertEquals(size, in.size, "size");
        assertEquals(0, in.maxBytes, "maxBytes");
        assertArrayEquals(indexes, in.indexes, "buffer indexes");
        assertArrayEquals(sizes, in.sizes, "buffer sizes");
    }

    private static Inflights preallocated(int size, int start) {
        Inflights in = new Inflights(size, 0);
        in.indexes = new long[size];
        in.sizes = new long[size];
        in.start = start;
        return in;
    }

    @Test
    void addFillsTheRingInOrderWithAndWithoutWrapping() {
        Inflights in = preallocated(10, 0);
        for (int i = 0; i < 5; i++) {
            in.add(i, 100 + i);
        }
        assertState(in, 0, 5, 510, 10, new long[] {0, 1, 2, 3, 4, 0, 0, 0, 0, 0}, new long[] {
            100, 101, 102, 103, 104, 0, 0, 0, 0, 0
        });
        for (int i = 5; i < 10; i++) {
            in.add(i, 100 + i);
        }
        assertState(in, 0, 10, 1045, 10, new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, new long[] {
            100, 101, 102, 103, 104, 105, 106, 107, 108, 109
        });

        Inflights in2 = preallocated(10, 5);
        for (int i = 0; i < 5; i++) {
            in2.add(i, 100 + i);
        }
        assertState(in2, 5, 5, 510, 10, new long[] {0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, new long[] {
            0, 0, 0, 0, 0, 100, 101, 102, 103, 104
        });
        for (int i = 5; i < 10; i++) {
            in2.add(i, 100 + i);
        }
        assertState(in2, 5, 10, 1045, 10, new long[] {5, 6, 7, 8, 9, 0, 1, 2, 3, 4}, new long[] {
            105, 106, 107, 108, 109, 100, 101, 102, 103, 104
        });
    }

    @Test
    void freeLEReleasesEverythingUpToTheIndexAndResetsStartWhenEmpty() {
        Inflights in = new Inflights(10, 0);
        for (int i = 0; i < 10; i++) {
            in.add(i, 100 + i);
        }
        long[] idx = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        long[] sz = {100, 101, 102, 103, 104, 105, 106, 107, 108, 109};

        in.freeLE(0);
        assertState(in, 1, 9, 945, 10, idx, sz);
        in.freeLE(4);
        assertState(in, 5, 5, 535, 10, idx, sz);
        in.freeLE(8);
        assertState(in, 9, 1, 109, 10, idx, sz);

        for (int i = 10; i < 15; i++) {
            in.add(i, 100 + i);
        }
        in.freeLE(12);
        long[] idx2 = {10, 11, 12, 13, 14, 5, 6, 7, 8, 9};
        long[] sz2 = {110, 111, 112, 113, 114, 105, 106, 107, 108, 109};
        assertState(in, 3, 2, 227, 10, idx2, sz2);
        in.freeLE(14);
        assertState(in, 0, 0, 0, 10, idx2, sz2);
    }

    static Stream<Arguments> fullCases() {
        // name, size, maxBytes, fullAt, freeLE, againAt
        return Stream.of(
                Arguments.of("always-full", 0, 0L, 0, 0L, 0),
                Arguments.of("single-entry", 1, 0L, 1, 1L, 2),
                Arguments.of("single-entry-overflow", 1, 10L, 1, 1L, 2),
                Arguments.of("multi-entry", 15, 0L, 15, 6L, 22),
                Arguments.of("slight-overflow", 8, 400L, 4, 2L, 7),
                Arguments.of("exact-max-bytes", 8, 406L, 4, 3L, 8),
                Arguments.of("larger-overflow", 15, 408L, 5, 1L, 6));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fullCases")
    void fullBoundsMessagesAndBytesAndAddingWhenFullPanics(
            String name, int size, long maxBytes, int fullAt, long freeLE, int againAt) {
        Inflights in = new Inflights(size, maxBytes);
        addUntilFull(in, 0, fullAt);
        in.freeLE(freeLE);
        addUntilFull(in, fullAt, againAt);
        assertThrows(RaftPanicException.class, () -> in.add(100, 1024));
    }

    private static void addUntilFull(Inflights in, int begin, int end) {
        for (int i = begin; i < end; i++) {
            assertFalse(in.full(), "full at " + i + ", want " + end);
            in.add(i, 100 + i);
        }
        assertTrue(in.full(), "not full at " + end);
    }

    @Test
    void resetDoesNotLeakBytesAcrossEpochs() {
        Inflights in = new Inflights(10, 1000);
        long index = 0;
        for (int epoch = 0; epoch < 100; epoch++) {
            in.reset();
            for (int i = 0; i < 5; i++) {
                assertFalse(in.full());
                index++;
                in.add(index, 16);
            }
            in.freeLE(index - 2);
            assertFalse(in.full());
            assertEquals(2, in.count());
        }
        in.freeLE(index);
        assertEquals(0, in.count());
    }

    @Test
    void cloneSharesNoMemory() {
        Inflights in = new Inflights(4, 0);
        in.add(1, 10);
        Inflights c = in.clone();
        c.add(2, 20);
        in.freeLE(1);
        assertEquals(0, in.count());
        assertEquals(2, c.count());
        assertEquals(30, c.bytes);
    }
}
