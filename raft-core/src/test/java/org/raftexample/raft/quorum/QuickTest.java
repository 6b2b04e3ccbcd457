package org.raftexample.raft.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Randomised check (Go: quorum/quick_test.go) that {@link MajorityConfig#committedIndex} agrees
 * with a deliberately naive computation. Seeded, so a failure reproduces.
 */
class QuickTest {
    private static final long SEED = 0x5eed_0001L;
    private static final int CASES = 50_000;

    @Test
    void majorityCommittedIndexAgreesWithNaiveComputation() {
        Random rnd = new Random(SEED);
        for (int i = 0; i < CASES; i++) {
            MajorityConfig c = new MajorityConfig(smallRandIdxMap(rnd).keySet());
            MapAckIndexer l = new MapAckIndexer();
            l.putAll(smallRandIdxMap(rnd));
            assertEquals(
                    alternativeMajorityCommittedIndex(c, l),
                    c.committedIndex(l),
                    "case " + i + " (seed " + SEED + "): config " + c + " acks " + l);
        }
    }

    /** Up to nine ids drawn from [0, 2n) with indexes in [0, n), as the Go generator makes them. */
    static Map<Long, Long> smallRandIdxMap(Random rnd) {
        int n = rnd.nextInt(10);
        List<Long> perm = new ArrayList<>();
        for (long id = 0; id < 2L * n; id++) {
            perm.add(id);
        }
        Collections.shuffle(perm, rnd);
        Map<Long, Long> m = new HashMap<>();
        for (int i = 0; i < n; i++) {
            m.put(perm.get(i), (long) rnd.nextInt(n));
        }
        return m;
    }

    /**
     * The committed index by brute force: for every acknowledged index count the voters at or
     * above it, and take the largest index a quorum reaches.
     */
    static long alternativeMajorityCommittedIndex(MajorityConfig c, AckedIndexer l) {
        if (c.isEmpty()) {
            return Index.MAX;
        }
        Map<Long, Long> idToIdx = new HashMap<>();
        for (long id : c) {
            long idx = l.ackedIndex(id);
            if (idx != AckedIndexer.NOT_FOUND) {
                idToIdx.put(id, idx);
            }
        }
        Map<Long, Integer> idxToVotes = new HashMap<>();
        for (long idx : idToIdx.values()) {
            idxToVotes.put(idx, 0);
        }
        for (long idx : idToIdx.values()) {
            for (Map.Entry<Long, Integer> e : idxToVotes.entrySet()) {
                if (e.getKey() <= idx) {
                    e.setValue(e.getValue() + 1);
                }
            }
        }
        int q = c.size() / 2 + 1;
        long maxQuorumIdx = 0;
        for (Map.Entry<Long, Integer> e : idxToVotes.entrySet()) {
            if (e.getValue() >= q && e.getKey() > maxQuorumIdx) {
                maxQuorumIdx = e.getKey();
            }
        }
        return maxQuorumIdx;
    }
}
