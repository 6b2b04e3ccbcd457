package org.raftexample.server;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every request of this node that waits for raft, in one place (etcd's {@code pkg/wait} and
 * {@code wait_time}): writes and configuration changes keyed by their request id, read barriers keyed
 * by the applied index they need.
 *
 * <p>Each waiting request has a deadline; when it passes, the request fails with a
 * {@link TimeoutException}, and a request whose future is completed or cancelled by its caller (the
 * client went away) is forgotten at once. Nothing else keeps a reference to a waiting request.
 *
 * <p>Threads: {@link #register}, {@link #waitApplied} and {@link #nextId} are called by HTTP threads;
 * {@link #applied} and {@link #appliedTo} by the apply loop only (the batch of applied requests
 * between them is that thread's alone); {@link #trigger} by the apply loop or the raft loop; {@link #fail} by anyone. Every future
 * handed out here is completed on the registry's own completer threads, never on the caller of
 * {@code trigger} or {@code appliedTo}: a dependent stage (writing an HTTP response) therefore never
 * runs on the raft loop or the apply loop. The id map is concurrent; the index waits are guarded by
 * the registry's monitor.
 */
final class RequestRegistry implements AutoCloseable {

    private final Duration timeout;
    private final Map<Long, CompletableFuture<Object>> byId = new ConcurrentHashMap<>();
    private final NavigableMap<Long, List<CompletableFuture<Void>>> byIndex = new TreeMap<>();
    private long applied;
    // A random start keeps ids unique across restarts: an entry proposed before a restart and applied
    // after it must not complete a new, unrelated request.
    private final AtomicLong nextId = new AtomicLong(new SecureRandom().nextLong() & Long.MAX_VALUE | 1);
    private final ScheduledThreadPoolExecutor deadlines;
    private final ExecutorService completer;
    // Apply thread only: requests applied since the last appliedTo (see applied).
    private List<CompletableFuture<?>> appliedBatch = new ArrayList<>();
    /** Most completions one completer task runs: a large batch is shared by the completer threads. */
    private static final int COMPLETIONS_PER_TASK = 16;

    RequestRegistry(Duration timeout) {
        this.timeout = timeout;
        deadlines = new ScheduledThreadPoolExecutor(1, daemon("request-deadlines"));
        deadlines.setRemoveOnCancelPolicy(true);
        // Bounded by the number of waiting requests, which admission control bounds; far above it here.
        completer = new ThreadPoolExecutor(
                2,
                2,
                0,
                TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(1 << 18),
                CompleterThread.factory("request-completer"));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicLong n = new AtomicLong();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A fresh request id, unique on this node across restarts (with overwhelming probability). */
    long nextId() {
        return nextId.getAndIncrement();
    }

    /** How long a request may wait before it fails with a timeout. */
    Duration timeout() {
        return timeout;
    }

    /**
     * Registers a request under {@code id}; the future completes with the value given to
     * {@link #trigger}, or fails at the deadline, or by {@link #fail}. Completing or cancelling it from
     * outside forgets the request.
     */
    // unchecked: the registry holds futures of every result type; the caller that registers an id is the
    // one that names T, and trigger() for that id is given a value of that type.
    @SuppressWarnings("unchecked")
    <T> CompletableFuture<T> register(long id) {
        CompletableFuture<Object> f = new CompletableFuture<>();
        if (byId.putIfAbsent(id, f) != null) {
            throw new IllegalStateException("duplicate request id " + Long.toUnsignedString(id));
        }
        withDeadline(f, () -> byId.remove(id, f));
        return (CompletableFuture<T>) f;
    }

    /** Whether a request with this id is waiting (tests, and the apply path's fast check). */
    boolean isWaiting(long id) {
        return byId.containsKey(id);
    }

    /** Number of requests waiting by id (writes and configuration changes). */
    int waitingById() {
        return byId.size();
    }

    /** Completes the request registered under {@code id}, if it still waits. */
    void trigger(long id, Object value) {
        CompletableFuture<Object> f = byId.remove(id);
        if (f != null) {
            completeLater(f, value);
        }
    }

    /**
     * Notes that the entry of request {@code id} is applied (apply loop only): the request completes,
     * with the others applied since, at the next {@link #appliedTo}, so that one task on a completer
     * thread answers many writes instead of one wake-up each. A request whose state machine returned a
     * result ({@code result} not null) is completed with it on its own.
     */
    void applied(long id, Object result) {
        CompletableFuture<Object> f = byId.remove(id);
        if (f == null) {
            return;
        }
        if (result == null) {
            appliedBatch.add(f);
        } else {
            completeLater(f, result);
        }
    }

    /** Fails the request registered under {@code id}, if it still waits. */
    void fail(long id, Throwable cause) {
        CompletableFuture<Object> f = byId.remove(id);
        if (f != null) {
            failLater(f, cause);
        }
    }

    /** Completes once this node has applied {@code index}, or fails at the deadline. */
    CompletableFuture<Void> waitApplied(long index) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        synchronized (this) {
            if (index > applied) {
                byIndex.computeIfAbsent(index, k -> new ArrayList<>(2)).add(f);
                withDeadline(f, () -> forgetIndexWait(index, f));
                return f;
            }
        }
        completeLater(f, null);
        return f;
    }

    /**
     * Completes {@code waiters} once {@code index} is applied (one read round of many reads), each
     * with its own deadline already attached by its owner.
     */
    void whenApplied(long index, List<CompletableFuture<Void>> waiters) {
        synchronized (this) {
            if (index > applied) {
                byIndex.computeIfAbsent(index, k -> new ArrayList<>(waiters.size()))
                        .addAll(waiters);
                for (CompletableFuture<Void> f : waiters) {
                    // A read that timed out or whose client left is not kept until the index is reached.
                    f.whenComplete((v, e) -> {
                        if (e != null) {
                            forgetIndexWait(index, f);
                        }
                    });
                }
                return;
            }
        }
        completeAllLater(waiters);
    }

    private synchronized void forgetIndexWait(long index, CompletableFuture<Void> f) {
        List<CompletableFuture<Void>> l = byIndex.get(index);
        if (l != null && l.remove(f) && l.isEmpty()) {
            byIndex.remove(index);
        }
    }

    /** The last index applied on this node. */
    synchronized long applied() {
        return applied;
    }

    /**
     * Records that everything up to {@code index} is applied (apply loop) and releases the waits it
     * satisfies, with the requests noted by {@link #applied} since the last call.
     */
    void appliedTo(long index) {
        List<CompletableFuture<?>> ready = appliedBatch;
        if (!ready.isEmpty()) {
            appliedBatch = new ArrayList<>();
        }
        synchronized (this) {
            if (index > applied) {
                applied = index;
                if (!byIndex.isEmpty() && byIndex.firstKey() <= index) {
                    NavigableMap<Long, List<CompletableFuture<Void>>> head = byIndex.headMap(index, true);
                    for (List<CompletableFuture<Void>> l : head.values()) {
                        ready.addAll(l);
                    }
                    head.clear();
                }
            }
        }
        if (!ready.isEmpty()) {
            completeAllLater(ready);
        }
    }

    /** Attaches the deadline to a future the registry hands out; {@code forget} runs when it completes. */
    <T> void withDeadline(CompletableFuture<T> f, Runnable forget) {
        ScheduledFuture<?> timer;
        try {
            timer = deadlines.schedule(
                    () -> f.completeExceptionally(
                            new TimeoutException("timed out after " + timeout.toMillis() + " ms")),
                    timeout.toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new IllegalStateException("node is shutting down"));
            forget.run();
            return;
        }
        f.whenComplete((v, e) -> {
            timer.cancel(false);
            forget.run();
        });
    }

    private void completeLater(CompletableFuture<?> f, Object value) {
        execute(() -> complete(f, value));
    }

    // unchecked: completing with the value the registering caller's type T promised (see register).
    @SuppressWarnings("unchecked")
    private static void complete(CompletableFuture<?> f, Object value) {
        ((CompletableFuture<Object>) f).complete(value);
    }

    /** Completes {@code fs} with null on the completer threads, a share of at most 16 per task. */
    private void completeAllLater(List<? extends CompletableFuture<?>> fs) {
        for (int from = 0, n = fs.size(); from < n; from += COMPLETIONS_PER_TASK) {
            List<? extends CompletableFuture<?>> part = fs.subList(from, Math.min(n, from + COMPLETIONS_PER_TASK));
            execute(() -> part.forEach(f -> complete(f, null)));
        }
    }

    private void failLater(CompletableFuture<?> f, Throwable cause) {
        execute(() -> f.completeExceptionally(cause));
    }

    private void execute(Runnable r) {
        try {
            completer.execute(r);
        } catch (RejectedExecutionException e) {
            // Shut down (or, impossibly, a quarter million completions behind): the request fails by
            // its deadline or by failAll; never run it on the caller, which may be the apply loop.
        }
    }

    /** An executor that is neither the raft loop nor the apply loop, for callers that need one. */
    Executor completer() {
        return this::execute;
    }

    /** Fails every waiting request (the node is stopping). */
    void failAll(Throwable cause) {
        List<CompletableFuture<?>> all = new ArrayList<>(byId.values());
        byId.clear();
        synchronized (this) {
            byIndex.values().forEach(all::addAll);
            byIndex.clear();
        }
        all.forEach(f -> f.completeExceptionally(cause));
    }

    @Override
    public void close() {
        failAll(new IllegalStateException("node is shutting down"));
        deadlines.shutdownNow();
        completer.shutdown();
        try {
            completer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
