package org.raftexample.server;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A thread on which the request registry completes waiting requests (a write's answer after it was
 * applied, a read's after its ReadIndex round, a failure raft or the state machine reported; a
 * deadline's failure comes from the registry's deadline thread instead). It is never the raft loop nor
 * the apply loop, so whatever a completion runs may do non-blocking I/O here: the HTTP server writes
 * the answer on it, and may go on with the answered connection (see the key-value server's thread
 * pool) instead of handing that to another thread.
 */
public final class CompleterThread extends Thread {

    private CompleterThread(Runnable task, String name) {
        super(task, name);
        setDaemon(true);
    }

    /**
     * Makes completer threads (daemons), for the registry and for tests of code that runs on them.
     *
     * @param prefix the threads' name, before a number counted from 1
     * @return a factory of completer threads
     */
    public static ThreadFactory factory(String prefix) {
        AtomicLong n = new AtomicLong();
        return task -> new CompleterThread(task, prefix + "-" + n.incrementAndGet());
    }

    /**
     * Tells a completer thread from any other.
     *
     * @return whether the calling thread is one of a request registry's completer threads
     */
    public static boolean isCurrent() {
        return Thread.currentThread() instanceof CompleterThread;
    }
}
