package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.raftexample.server.GlueAccess;

/** A leader that stops hands over only to a follower that is reachable and being replicated to. */
class HandOverTargetTest {

    private static long target(FakeNodeView v) {
        return GlueAccess.handOverTarget(v.raftStatus(), v.id(), v::peerActive);
    }

    @Test
    void theMostUpToDateReachableFollowerIsChosen() {
        FakeNodeView v = new FakeNodeView().leader(2);
        v.match = new LinkedHashMap<>(Map.of(1L, 10L, 2L, 9L, 3L, 10L));
        assertEquals(3, target(v));
    }

    @Test
    void aStoppedFollowerIsNeverChosenEvenIfItsLogIsLongest() {
        FakeNodeView v = new FakeNodeView().leader(2);
        v.match = new LinkedHashMap<>(Map.of(1L, 10L, 2L, 9L, 3L, 10L));
        v.connected = Set.of(2L);
        assertEquals(2, target(v), "raft may still flag 3 as recently active: the transport knows better");
        v.connected = Set.of();
        assertEquals(0, target(v), "nobody to hand over to: stop without a transfer");
    }

    @Test
    void learnersAreNeverChosen() {
        FakeNodeView v = new FakeNodeView();
        v.voters = Set.of(1L, 2L);
        v.learners = Set.of(3L);
        v.leader(2);
        v.match = new LinkedHashMap<>(Map.of(1L, 10L, 2L, 5L, 3L, 10L));
        v.connected = Set.of(2L, 3L);
        assertEquals(2, target(v));
    }
}
