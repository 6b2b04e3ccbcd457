package org.raftexample.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RequestRegistryTest {

    private final RequestRegistry registry = new RequestRegistry(Duration.ofMillis(300));

    @AfterEach
    void close() {
        registry.close();
    }

    @Test
    void aTriggeredRequestCompletesWithItsValueOnACompleterThread() throws Exception {
        long id = registry.nextId();
        CompletableFuture<String> f = registry.register(id);
        AtomicReference<Thread> completedOn = new AtomicReference<>();
        CompletableFuture<String> seen = f.whenComplete((v, e) -> completedOn.set(Thread.currentThread()));
        registry.trigger(id + 1, "not mine");
        assertFalse(f.isDone());
        registry.trigger(id, "applied");
        assertEquals("applied", seen.get(5, TimeUnit.SECONDS));
        assertNotSame(Thread.currentThread(), completedOn.get(), "never completed on the triggering thread");
        assertTrue(
                completedOn.get().getName().startsWith("request-completer"),
                completedOn.get().getName());
        assertEquals(0, registry.waitingById());
    }

    @Test
    void appliedRequestsCompleteTogetherAtTheNextAppliedIndex() throws Exception {
        try (RequestRegistry registry = new RequestRegistry(Duration.ofSeconds(30))) {
            appliedRequestsCompleteAtTheNextAppliedIndex(registry);
        }
    }

    private static void appliedRequestsCompleteAtTheNextAppliedIndex(RequestRegistry registry) throws Exception {
        List<CompletableFuture<Object>> fs = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long id = registry.nextId();
            CompletableFuture<Object> f = registry.register(id);
            fs.add(f);
            registry.applied(id, null);
        }
        Thread.sleep(50);
        assertTrue(fs.stream().noneMatch(CompletableFuture::isDone), "nothing completes before appliedTo");
        assertEquals(0, registry.waitingById(), "applied requests are no longer waiting by id");
        registry.appliedTo(1);
        for (CompletableFuture<Object> f : fs) {
            assertEquals(null, f.get(5, TimeUnit.SECONDS));
        }
        registry.applied(12345, null); // not registered: ignored
        registry.appliedTo(1); // the same index again still flushes, and finds nothing
    }

    @Test
    void aRequestFailsAtItsDeadlineAndIsForgotten() {
        CompletableFuture<Void> f = registry.register(registry.nextId());
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertInstanceOf(TimeoutException.class, e.getCause());
        assertEquals(0, registry.waitingById());
    }

    @Test
    void aCancelledRequestIsForgottenAtOnce() {
        long id = registry.nextId();
        CompletableFuture<Void> f = registry.register(id);
        assertTrue(registry.isWaiting(id));
        f.cancel(false); // the client went away
        assertFalse(registry.isWaiting(id));
        registry.trigger(id, null); // its entry applied later: nothing happens
        assertEquals(0, registry.waitingById());
    }

    @Test
    void duplicateIdsAreRefused() {
        long id = registry.nextId();
        registry.register(id);
        assertThrows(IllegalStateException.class, () -> registry.register(id));
    }

    @Test
    void indexWaitsCompleteWhenTheirIndexIsAppliedInOrder() throws Exception {
        CompletableFuture<Void> five = registry.waitApplied(5);
        CompletableFuture<Void> seven = registry.waitApplied(7);
        registry.appliedTo(4);
        assertFalse(five.isDone());
        registry.appliedTo(6);
        five.get(5, TimeUnit.SECONDS);
        assertFalse(seven.isDone());
        registry.appliedTo(7);
        seven.get(5, TimeUnit.SECONDS);
        // At or below the applied index: done at once.
        registry.waitApplied(3).get(5, TimeUnit.SECONDS);
        assertEquals(7, registry.applied());
    }

    @Test
    void aRoundOfReadsIsReleasedTogetherAndAnAbandonedReadIsDropped() throws Exception {
        CompletableFuture<Void> a = new CompletableFuture<>();
        CompletableFuture<Void> b = new CompletableFuture<>();
        CompletableFuture<Void> gone = new CompletableFuture<>();
        registry.whenApplied(10, List.of(a, b, gone));
        gone.cancel(false);
        registry.appliedTo(10);
        a.get(5, TimeUnit.SECONDS);
        b.get(5, TimeUnit.SECONDS);
        assertTrue(gone.isCancelled());
    }

    @Test
    void failAllFailsEveryKindOfWait() {
        CompletableFuture<Void> byId = registry.register(registry.nextId());
        CompletableFuture<Void> byIndex = registry.waitApplied(100);
        registry.failAll(new IllegalStateException("stopping"));
        assertTrue(byId.isCompletedExceptionally());
        assertTrue(byIndex.isCompletedExceptionally());
        assertEquals(0, registry.waitingById());
    }
}
