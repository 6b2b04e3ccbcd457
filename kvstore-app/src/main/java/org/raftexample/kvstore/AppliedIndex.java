package org.raftexample.kvstore;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/** The index of the last entry applied on this node, and the readers waiting for it to reach a value. */
final class AppliedIndex {

    private long applied;
    private final NavigableMap<Long, List<CompletableFuture<Void>>> waiters = new TreeMap<>();

    synchronized long get() {
        return applied;
    }

    /** Completes, once {@code index} has been applied here, the returned future. */
    CompletableFuture<Void> waitFor(long index) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        synchronized (this) {
            if (index > applied) {
                waiters.computeIfAbsent(index, k -> new ArrayList<>()).add(f);
                return f;
            }
        }
        f.complete(null);
        return f;
    }

    /** Records that everything up to {@code index} is applied. */
    void advanceTo(long index) {
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        synchronized (this) {
            if (index <= applied) {
                return;
            }
            applied = index;
            NavigableMap<Long, List<CompletableFuture<Void>>> head = waiters.headMap(index, true);
            for (List<CompletableFuture<Void>> l : head.values()) {
                ready.addAll(l);
            }
            head.clear();
        }
        // Completed outside the lock: a completion may run arbitrary dependent stages.
        ready.forEach(f -> f.complete(null));
    }

    /** Fails every waiter (the node is stopping). */
    void failAll(Throwable cause) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        synchronized (this) {
            for (Map.Entry<Long, List<CompletableFuture<Void>>> e : waiters.entrySet()) {
                all.addAll(e.getValue());
            }
            waiters.clear();
        }
        all.forEach(f -> f.completeExceptionally(cause));
    }
}
