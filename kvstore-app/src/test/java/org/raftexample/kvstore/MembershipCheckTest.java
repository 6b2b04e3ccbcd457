package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.raftexample.raft.quorum.JointConfig;
import org.raftexample.raft.quorum.MajorityConfig;
import org.raftexample.raft.tracker.TrackerConfig;

class MembershipCheckTest {
    private static final Map<Long, String> ONE_URL = Map.of(1L, "http://127.0.0.1:12379");
    private static final Map<Long, String> THREE_URLS =
            Map.of(1L, "http://127.0.0.1:12379", 2L, "http://127.0.0.1:22379", 3L, "http://127.0.0.1:32379");

    private static TrackerConfig voters(Long... ids) {
        return new TrackerConfig(
                new JointConfig(new MajorityConfig(Set.of(ids)), new MajorityConfig()),
                false,
                new HashSet<>(),
                new HashSet<>());
    }

    private static Optional<String> check(TrackerConfig cfg, Map<Long, String> urls, int clusterSize, boolean join) {
        return MembershipCheck.problem(cfg, urls, clusterSize, 1, join, "raftexample-1", "raftexample-1-snap");
    }

    @Test
    void aThreeNodeWalReusedByASingleNodeSaysItCanNeverElectAndWhatToDelete() {
        String p = check(voters(1L, 2L, 3L), ONE_URL, 1, false).orElseThrow();
        assertTrue(p.contains("records members 1, 2, 3"), p);
        assertTrue(p.contains("no URL for 2, 3"), p);
        assertTrue(p.contains("no leader can ever be elected"), p);
        assertTrue(p.contains("delete raftexample-1 and raftexample-1-snap"), p);
    }

    @Test
    void aSingleNodeWalReusedByAThreeNodeClusterSaysTheOthersAreNotMembers() {
        String p = check(voters(1L), THREE_URLS, 3, false).orElseThrow();
        assertTrue(p.contains("2, 3 will not be part of this cluster"), p);
    }

    @Test
    void aMatchingMembershipOrAJoiningNodeWithoutOneIsFine() {
        assertEquals(Optional.empty(), check(voters(1L, 2L, 3L), THREE_URLS, 3, false));
        assertEquals(Optional.empty(), check(voters(), THREE_URLS, 3, true));
        Map<Long, String> withFour = new java.util.HashMap<>(THREE_URLS);
        withFour.put(4L, "http://127.0.0.1:42379");
        assertEquals(
                Optional.empty(),
                check(voters(1L, 2L, 3L, 4L), withFour, 3, false),
                "a member added at run time has its URL from peers.json");
    }
}
