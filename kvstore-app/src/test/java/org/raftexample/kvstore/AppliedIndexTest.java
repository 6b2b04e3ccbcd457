package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class AppliedIndexTest {

    @Test
    void waitersCompleteWhenTheirIndexIsApplied() {
        AppliedIndex a = new AppliedIndex();
        a.advanceTo(3);
        assertTrue(a.waitFor(3).isDone());
        CompletableFuture<Void> five = a.waitFor(5);
        CompletableFuture<Void> seven = a.waitFor(7);
        a.advanceTo(6);
        assertTrue(five.isDone());
        assertFalse(seven.isDone());
        a.advanceTo(4); // never goes back
        assertEquals(6, a.get());
        a.failAll(new IllegalStateException("stopping"));
        assertTrue(seven.isCompletedExceptionally());
    }
}
