package org.raftexample.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.raftexample.raft.ReadState;

class LinearizableReadsTest {

    private final RequestRegistry registry = new RequestRegistry(Duration.ofSeconds(10));
    private final List<ByteString> sent = new ArrayList<>();
    private final LinearizableReads reads = new LinearizableReads(registry);

    LinearizableReadsTest() {
        reads.start(ctx -> {
            synchronized (sent) {
                sent.add(ctx);
            }
        });
    }

    @AfterEach
    void close() {
        registry.close();
    }

    private static void awaitDone(CompletableFuture<Void> f) throws Exception {
        f.get(5, TimeUnit.SECONDS);
    }

    @Test
    void twoRoundsFlyAtOnceAndLaterReadsShareTheNext() throws Exception {
        CompletableFuture<Void> a = reads.barrier();
        CompletableFuture<Void> b = reads.barrier();
        assertEquals(2, sent.size(), "each of the first two reads starts a round of its own");
        List<CompletableFuture<Void>> later = List.of(reads.barrier(), reads.barrier(), reads.barrier());
        assertEquals(2, sent.size(), "no third round while two are in flight");
        assertEquals(5, reads.waitingReads());

        // The second round is answered first: its read waits for its index, and the waiting reads
        // start the next round together.
        reads.onReadStates(List.of(new ReadState(7, sent.get(1))));
        assertEquals(3, sent.size());
        registry.appliedTo(6);
        Thread.sleep(50);
        assertFalse(b.isDone(), "index 7 is not applied yet");
        registry.appliedTo(7);
        awaitDone(b);
        assertFalse(a.isDone(), "the first round is not answered yet");

        reads.onReadStates(List.of(new ReadState(5, sent.get(0))));
        awaitDone(a); // 5 <= 7, applied already
        reads.onReadStates(List.of(new ReadState(9, sent.get(2))));
        registry.appliedTo(9);
        for (CompletableFuture<Void> f : later) {
            awaitDone(f);
        }
        assertEquals(3, reads.rounds());
        assertEquals(0, reads.waitingReads());
    }

    @Test
    void anAnswerToAnUnknownOrServedContextChangesNothing() throws Exception {
        CompletableFuture<Void> a = reads.barrier();
        reads.onReadStates(List.of(new ReadState(3, ByteString.copyFromUtf8("not ours"))));
        registry.appliedTo(10);
        Thread.sleep(50);
        assertFalse(a.isDone());
        reads.onReadStates(List.of(new ReadState(3, sent.get(0))));
        awaitDone(a);
        CompletableFuture<Void> b = reads.barrier();
        reads.onReadStates(List.of(new ReadState(3, sent.get(0)))); // the served round's answer again
        Thread.sleep(50);
        assertFalse(b.isDone(), "a read is never served by a round that started before it");
        assertTrue(sent.size() == 2);
    }

    @Test
    void aRoundUnansweredForSomeTicksIsAskedAgainUnderANewContext() throws Exception {
        CompletableFuture<Void> a = reads.barrier();
        for (int i = 0; i < LinearizableReads.RETRY_TICKS; i++) {
            reads.onTick();
        }
        assertEquals(2, sent.size());
        reads.onReadStates(List.of(new ReadState(1, sent.get(1))));
        registry.appliedTo(1);
        awaitDone(a);
        reads.onLeaderChange();
        assertEquals(2, sent.size(), "nothing in flight, nothing to resend");
    }
}
