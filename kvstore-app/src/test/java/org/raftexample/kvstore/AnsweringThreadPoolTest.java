package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.ByteArrayEndPoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.server.CompleterThread;

@Timeout(30)
class AnsweringThreadPoolTest {

    private KVHttpServer.AnsweringThreadPool pool;
    private ExecutorService completer;
    private ExecutorService other;

    /** A connection that, run as a job, records the thread it ran on (and may fail). */
    static final class RecordingConnection extends AbstractConnection implements Runnable {
        final CompletableFuture<Thread> ranOn = new CompletableFuture<>();
        final RuntimeException failure;

        RecordingConnection(RuntimeException failure) {
            super(new ByteArrayEndPoint(), Runnable::run);
            this.failure = failure;
        }

        @Override
        public void onFillable() {}

        @Override
        public void run() {
            ranOn.complete(Thread.currentThread());
            if (failure != null) {
                throw failure;
            }
        }
    }

    @BeforeEach
    void start() throws Exception {
        pool = new KVHttpServer.AnsweringThreadPool(8, 2);
        pool.setName("test-http");
        pool.start();
        completer = Executors.newSingleThreadExecutor(CompleterThread.factory("test-completer"));
        other = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void stop() throws Exception {
        completer.shutdownNow();
        other.shutdownNow();
        pool.stop();
    }

    @Test
    void aConnectionHandedOverByACompleterRunsOnThatCompleterBeforeExecuteReturns() throws Exception {
        RecordingConnection c = new RecordingConnection(null);
        Thread caller = completer
                .submit(() -> {
                    pool.execute(c);
                    assertTrue(c.ranOn.isDone(), "the connection ran before execute returned");
                    return Thread.currentThread();
                })
                .get(10, TimeUnit.SECONDS);
        assertEquals(caller, c.ranOn.get(10, TimeUnit.SECONDS));
    }

    @Test
    void otherJobsOfACompleterAndConnectionsOfOtherThreadsGoToJettysThreads() throws Exception {
        CompletableFuture<Thread> job = new CompletableFuture<>();
        completer
                .submit(() -> pool.execute(() -> job.complete(Thread.currentThread())))
                .get(10, TimeUnit.SECONDS);
        assertTrue(
                job.get(10, TimeUnit.SECONDS).getName().startsWith("test-http"),
                job.get().getName());

        RecordingConnection c = new RecordingConnection(null);
        Thread caller = other.submit(() -> {
                    pool.execute(c);
                    return Thread.currentThread();
                })
                .get(10, TimeUnit.SECONDS);
        Thread ran = c.ranOn.get(10, TimeUnit.SECONDS);
        assertNotEquals(caller, ran);
        assertTrue(ran.getName().startsWith("test-http"), ran.getName());
    }

    @Test
    void aConnectionThatFailsOnACompleterLeavesTheCompleterWorking() throws Exception {
        RecordingConnection failing = new RecordingConnection(new IllegalStateException("broken connection"));
        completer.submit(() -> pool.execute(failing)).get(10, TimeUnit.SECONDS);
        assertTrue(failing.ranOn.isDone());
        RecordingConnection next = new RecordingConnection(null);
        completer.submit(() -> pool.execute(next)).get(10, TimeUnit.SECONDS);
        assertTrue(next.ranOn.get(10, TimeUnit.SECONDS) instanceof CompleterThread);
    }
}
