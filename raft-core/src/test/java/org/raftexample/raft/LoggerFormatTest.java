package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Raft's log lines print terms, indexes and ids as etcd prints its uint64s. */
class LoggerFormatTest {

    @Test
    void longsOfTwoToTheSixtyThreeAndAbovePrintUnsigned() {
        assertEquals(
                "term 9223372036854775808 index 18446744073709551615",
                Logger.format("term %d index %d", 1L << 63, -1L));
        assertEquals("8000000000000001 9223372036854775809", Logger.format("%x %s", (1L << 63) + 1, (1L << 63) + 1));
    }

    @Test
    void everythingElsePrintsAsStringFormatDoes() {
        assertEquals("1 ff 7 -3 x null", Logger.format("%d %x %d %d %s %s", 1L, 255L, 7, -3, "x", null));
        assertEquals("no args %d", Logger.format("no args %d"));
    }
}
