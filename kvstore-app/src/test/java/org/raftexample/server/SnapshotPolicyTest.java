package org.raftexample.server;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SnapshotPolicyTest {

    private static final long MIB = 1L << 20;
    private final SnapshotPolicy policy = new SnapshotPolicy(10_000, 8 * MIB, 64 * MIB, 50);

    @Test
    void aSmallStateIsSnapshottedEverySnapshotCountEntriesAsInTheOriginal() {
        assertFalse(policy.due(10_000, 0, 0));
        assertTrue(policy.due(10_001, 0, 0));
        assertTrue(policy.due(10_001, 1, 8 * MIB - 1));
    }

    @Test
    void aLargeStateWaitsForHalfItsSizeOfNewLog() {
        long snapshot = 40 * MIB;
        assertFalse(policy.due(10_001, 0, snapshot));
        assertFalse(policy.due(150_000, 20 * MIB - 1, snapshot));
        assertTrue(policy.due(150_000, 20 * MIB, snapshot));
    }

    @Test
    void zeroPercentKeepsTheOriginalFixedCountWhateverTheSize() {
        SnapshotPolicy fixed = new SnapshotPolicy(10_000, 8 * MIB, 64 * MIB, 0);
        assertTrue(fixed.due(10_001, 0, 1300 * MIB));
        assertFalse(fixed.due(10_000, 1L << 40, 1300 * MIB));
    }

    @Test
    void thePercentageSetsHowMuchNewLogALargeStateWaitsFor() {
        SnapshotPolicy tenth = new SnapshotPolicy(10_000, 8 * MIB, 64 * MIB, 10);
        assertFalse(tenth.due(20_000, 4 * MIB - 1, 40 * MIB));
        assertTrue(tenth.due(20_000, 4 * MIB, 40 * MIB));
    }

    @Test
    void theCountStaysALowerBoundEvenWhenTheLogIsLarge() {
        assertFalse(policy.due(10_000, 1L << 40, 40 * MIB));
    }

    @Test
    void theLogBetweenSnapshotsIsCappedWhateverTheStateSize() {
        long snapshot = 1300 * MIB; // 10M keys on RocksDB
        assertFalse(policy.due(400_000, 64 * MIB - 1, snapshot));
        assertTrue(policy.due(400_000, 64 * MIB, snapshot));
    }

    @Test
    void theDefaultCapIsASixteenthOfTheHeapButNeverBelowTheSmallSize() {
        SnapshotPolicy p = SnapshotPolicy.of(10_000, 50);
        assertTrue(p.maxLogBytes() >= SnapshotPolicy.SMALL_SNAPSHOT_BYTES);
        assertTrue(p.maxLogBytes() >= Runtime.getRuntime().maxMemory() / 16);
    }
}
