package org.raftexample.server;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.raftexample.raft.ReadState;

/**
 * Linearizable reads, batched as etcd's {@code linearizableReadLoop} batches them: every read that
 * arrives while ReadIndex rounds are in flight waits for the next round, and one round serves all of
 * them. A round sends one ReadIndex request to raft; when its ReadState comes back, each read of the
 * round completes as soon as this node has applied the round's index. A round starts only after all
 * of its reads were invoked, which is what makes the index a safe lower bound for each of them.
 *
 * <p>Unlike etcd, which has one round at a time and waits for its apply before the next, up to
 * {@value #MAX_ROUNDS_IN_FLIGHT} rounds may be in flight at once, and a round is sent as soon as reads
 * wait and a place is free: a read then waits on average for part of a round, not for the rest of the
 * current round and then a whole one. Each round is a heartbeat round trip on the leader, so the bound
 * keeps the cost of rounds in proportion; raft answers each by its own context, in any order, and
 * each stays safe on its own (see above).
 *
 * <p>Threads: {@link #barrier} is called by HTTP threads; {@link #onReadStates}, {@link #onTick} and
 * {@link #onLeaderChange} by the raft loop. The round state is guarded by this object's monitor; raft
 * is called outside it. Reads complete on the registry's completer threads.
 */
final class LinearizableReads {

    /** Ticks after which an unanswered round is asked again (raft drops requests while it has no leader). */
    static final int RETRY_TICKS = 5;
    /** ReadIndex rounds that may wait for raft's answer at once. */
    static final int MAX_ROUNDS_IN_FLIGHT = 2;

    private final RequestRegistry requests;
    private java.util.function.Consumer<ByteString> readIndex;

    private List<CompletableFuture<Void>> waiting = new ArrayList<>();
    // Rounds in flight by every context they were sent under (a retry adds one).
    private final Map<ByteString, Round> byContext = new HashMap<>();
    private final List<Round> inFlight = new ArrayList<>(MAX_ROUNDS_IN_FLIGHT);
    private long rounds;

    /** The reads of one ReadIndex round and the request contexts it was sent under. */
    private static final class Round {
        final List<CompletableFuture<Void>> reads;
        final List<ByteString> contexts = new ArrayList<>(2);
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
            send = inFlight.size() < MAX_ROUNDS_IN_FLIGHT ? startRoundLocked() : null;
        }
        requests.withDeadline(f, () -> {});
        if (send != null) {
            sendReadIndex(send);
        }
        return f;
    }

    private ByteString startRoundLocked() {
        rounds++;
        Round r = new Round(waiting);
        waiting = new ArrayList<>();
        inFlight.add(r);
        return newContextLocked(r);
    }

    private ByteString newContextLocked(Round r) {
        ByteString ctx = ByteString.copyFrom(
                ByteBuffer.allocate(Long.BYTES).putLong(requests.nextId()).flip());
        r.contexts.add(ctx);
        byContext.put(ctx, r);
        r.ticks = 0;
        return ctx;
    }

    private void endRoundLocked(Round r) {
        inFlight.remove(r);
        for (ByteString ctx : r.contexts) {
            byContext.remove(ctx);
        }
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
                done = byContext.get(rs.requestCtx());
                if (done == null) {
                    continue; // an answer to a retried request whose round is already served
                }
                endRoundLocked(done);
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
        List<ByteString> resend = new ArrayList<>(0);
        synchronized (this) {
            for (Round r : List.copyOf(inFlight)) {
                if (r.reads.stream().allMatch(CompletableFuture::isDone)) {
                    // Every read of the round timed out or was abandoned; nobody needs its answer.
                    endRoundLocked(r);
                } else if (++r.ticks >= RETRY_TICKS) {
                    resend.add(newContextLocked(r));
                }
            }
            while (!waiting.isEmpty() && inFlight.size() < MAX_ROUNDS_IN_FLIGHT) {
                resend.add(startRoundLocked());
            }
        }
        resend.forEach(this::sendReadIndex);
    }

    /** A new leader is known (raft loop): a request sent before may have been dropped, send it again. */
    void onLeaderChange() {
        List<ByteString> resend = new ArrayList<>(0);
        synchronized (this) {
            for (Round r : inFlight) {
                resend.add(newContextLocked(r));
            }
        }
        resend.forEach(this::sendReadIndex);
    }

    /** ReadIndex rounds started so far (each serves every read waiting when it started). */
    synchronized long rounds() {
        return rounds;
    }

    /** Reads waiting for a round or in the rounds in flight (tests, status). */
    synchronized int waitingReads() {
        int n = waiting.size();
        for (Round r : inFlight) {
            n += r.reads.size();
        }
        return n;
    }
}
