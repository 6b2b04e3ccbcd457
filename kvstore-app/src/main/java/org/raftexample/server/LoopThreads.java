package org.raftexample.server;

import org.slf4j.Logger;

/** Stopping the glue's own loop threads (raft loop, apply loop) the same way. */
final class LoopThreads {

    private LoopThreads() {}

    /**
     * Interrupts {@code thread} and waits up to 10 s for it to end; warns if it does not. Does nothing
     * for a thread not started, or when called from {@code thread} itself.
     */
    static void interruptAndJoin(Thread thread, String what, Logger log) {
        if (thread == null || thread == Thread.currentThread()) {
            return;
        }
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("the {} did not stop within 10 s", what);
        }
    }
}
