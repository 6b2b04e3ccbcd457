package org.raftexample.transport;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * A WARN line that a flood of bad input cannot turn into a flood of log lines: at most one per interval, each
 * saying how many were suppressed since the previous one. Safe from any thread (lock-free; when two threads
 * race for the same slot one of them logs).
 */
final class RateLimitedLog {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong nextAllowed = new AtomicLong(System.nanoTime());
    private final AtomicLong suppressed = new AtomicLong();

    RateLimitedLog(Logger log, long intervalNanos) {
        this.log = log;
        this.intervalNanos = intervalNanos;
    }

    /** Logs {@code format} with {@code args} (SLF4J style) unless a line was logged within the interval. */
    void warn(String format, Object... args) {
        long now = System.nanoTime();
        long next = nextAllowed.get();
        if (now - next < 0 || !nextAllowed.compareAndSet(next, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return;
        }
        long n = suppressed.getAndSet(0);
        log.warn(n == 0 ? format : format + " (" + n + " similar lines suppressed)", args);
    }
}
