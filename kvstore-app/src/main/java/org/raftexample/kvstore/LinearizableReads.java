package org.raftexample.kvstore;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.raftexample.raft.ReadState;

/**
 * Linearizable reads, batched as etcd's {@code linearizableReadLoop} batches them: every read that
 * arrives while a ReadIndex round is in flight waits for the next round, and one round serves all of
 * them. A round sends one ReadIndex request to raft; when its ReadState comes back, each read of the
 * round completes as soon as this node has applied the round's index. A round starts only after all
 * of its reads were invoked, which is what makes the index a safe lower bound for each of them.
 *
 * <p>Unlike etcd, rounds do not wait for each other's apply: the next round is sent as soon as the
 * previous one's index is known, so a slow apply does not hold up ReadIndex traffic.
 *
 * <p>Threads: {@link #barrier} is called by HTTP threads; {@link #onReadStates}, {@link #onTick} and
 * {@link #onLeaderChange} by the raft loop. The round state is guarded by this object's monitor; raft
 * is called outside it. Reads complete on the registry's completer threads.
 */
final class LinearizableReads {

    /** Ticks after which an unanswered round is asked again (raft drops requests while it has no leader). */
    static final int RETRY_TICKS = 5;

    private final RequestRegistry requests;
    private java.util.function.Consumer<ByteString> readIndex;

    private List<CompletableFuture<Void>> waiting = new ArrayList<>();
    private Round inFlight;
    private long rounds;

    /** The reads of one ReadIndex round and the request contexts it was sent under. */
    private static final class Round {
        final List<CompletableFuture<Void>> reads;
        final Set<ByteString> contexts = new HashSet<>(2);
        int ticks;

        Round(List<CompletableFuture<Void>> reads) {
            this.reads = reads;
        }
    }

    LinearizableReads(RequestRegistry requests) {
        this.requests = requests;
    }

    /** Starts with the call that hands a read index request to raft (the raft loop's). */
    void start(java.util.function.Consumer<ByteString> readIndex) {
        this.readIndex = readIndex;
    }

    /**
     * Completes once this node has applied every entry committed when the call was made, or fails at
     * the request deadline.
     */
    CompletableFuture<Void> barrier() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        ByteString send;
        synchronized (this) {
            waiting.add(f);
            send = inFlight == null ? startRoundLocked() : null;
        }
        requests.withDeadline(f, () -> {});
        if (send != null) {
            sendReadIndex(send);
        }
        return f;
    }

    private ByteString startRoundLocked() {
        rounds++;
        inFlight = new Round(waiting);
        waiting = new ArrayList<>();
        return newContextLocked(inFlight);
    }

    private ByteString newContextLocked(Round r) {
        ByteString ctx = ByteString.copyFrom(
                ByteBuffer.allocate(Long.BYTES).putLong(requests.nextId()).flip());
        r.contexts.add(ctx);
        r.ticks = 0;
        return ctx;
    }

    private void sendReadIndex(ByteString ctx) {
        try {
            // A refusal (node stopping, request dropped) is retried on a later tick, or fails by deadline.
            readIndex.accept(ctx);
        } catch (RuntimeException e) {
            // The node is stopping: the reads fail when the registry shuts down.
        }
    }

    /** The ReadStates of a Ready (raft loop). */
    void onReadStates(List<ReadState> states) {
        for (ReadState rs : states) {
            Round done;
            ByteString next = null;
            synchronized (this) {
                if (inFlight == null || !inFlight.contexts.contains(rs.requestCtx())) {
                    continue; // an answer to a retried request whose round is already served
                }
                done = inFlight;
                inFlight = null;
                if (!waiting.isEmpty()) {
                    next = startRoundLocked();
                }
            }
            requests.whenApplied(rs.index(), done.reads);
            if (next != null) {
                sendReadIndex(next);
            }
        }
    }

    /** One tick of raft's clock (raft loop): ask again for a round that has waited too long. */
    void onTick() {
        ByteString resend = null;
        synchronized (this) {
            Round r = inFlight;
            if (r == null) {
                return;
            }
            if (r.reads.stream().allMatch(CompletableFuture::isDone)) {
                // Every read of the round timed out or was abandoned; nobody needs its answer.
                inFlight = null;
                if (!waiting.isEmpty()) {
                    resend = startRoundLocked();
                }
            } else if (++r.ticks >= RETRY_TICKS) {
                resend = newContextLocked(r);
            }
        }
        if (resend != null) {
            sendReadIndex(resend);
        }
    }

    /** A new leader is known (raft loop): a request sent before may have been dropped, send it again. */
    void onLeaderChange() {
        ByteString resend = null;
        synchronized (this) {
            if (inFlight != null) {
                resend = newContextLocked(inFlight);
            }
        }
        if (resend != null) {
            sendReadIndex(resend);
        }
    }

    /** ReadIndex rounds started so far (each serves every read waiting when it started). */
    synchronized long rounds() {
        return rounds;
    }

    /** Reads waiting for a round or in the round in flight (tests, status). */
    synchronized int waitingReads() {
        return waiting.size() + (inFlight == null ? 0 : inFlight.reads.size());
    }
}
