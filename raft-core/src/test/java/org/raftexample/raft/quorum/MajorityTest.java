package org.raftexample.raft.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Go: quorum/majority_test.go (TestDescribe, one method per case). */
class MajorityTest {
    private static final MajorityConfig VOTERS = MajorityConfig.of(1, 2, 3);

    @Test
    void describeDifferentCommitIndexForEachVoter() {
        assertEquals("""
                       idx
                >      101    (id=1)
                x>     102    (id=2)
                xx>    103    (id=3)
                """, VOTERS.describe(MapAckIndexer.of(1, 101, 2, 102, 3, 103)));
    }

    @Test
    void describeSameCommitIndexForAllVoters() {
        assertEquals("""
                       idx
                >      100    (id=1)
                >      100    (id=2)
                >      100    (id=3)
                """, VOTERS.describe(MapAckIndexer.of(1, 100, 2, 100, 3, 100)));
    }

    @Test
    void describeSameCommitIndexForPartOfTheVoters() {
        assertEquals("""
                       idx
                >      100    (id=1)
                x>     102    (id=2)
                x>     102    (id=3)
                """, VOTERS.describe(MapAckIndexer.of(1, 100, 2, 102, 3, 102)));
    }

    @Test
    void describeMissingSomeCommitIndexes() {
        assertEquals("""
                       idx
                x>     101    (id=1)
                ?        0    (id=2)
                xx>    103    (id=3)
                """, VOTERS.describe(MapAckIndexer.of(1, 101, 3, 103)));
    }
}
