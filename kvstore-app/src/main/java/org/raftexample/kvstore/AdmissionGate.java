package org.raftexample.kvstore;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds how many requests of one kind are in flight at once, and how many body bytes they hold, so that a
 * flood of clients gets an immediate 429 instead of queueing without end (and running the node out of memory).
 *
 * <p>Thread-safe without locks: any HTTP thread may enter, and a ticket is released by whichever thread
 * completes its response.
 */
final class AdmissionGate {
    private final String what;
    private final long maxRequests;
    private final long maxBytes;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    AdmissionGate(String what, long maxRequests, long maxBytes) {
        if (maxRequests <= 0 || maxBytes <= 0) {
            throw new IllegalArgumentException("admission limits must be positive");
        }
        this.what = what;
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
    }

    /** A gate that counts requests only. */
    static AdmissionGate ofRequests(String what, long maxRequests) {
        return new AdmissionGate(what, maxRequests, Long.MAX_VALUE);
    }

    /** A place in the gate for one request (holding no bytes yet), or null when the request bound is full. */
    Ticket tryEnter() {
        return add(requests, 1, maxRequests) ? new Ticket() : null;
    }

    /** Why a request was turned away, for its 429 answer. */
    String refusal() {
        return "too many " + what + " in flight (limit " + maxRequests
                + (maxBytes == Long.MAX_VALUE ? "" : " requests, " + maxBytes + " bytes") + "), retry later";
    }

    long inFlight() {
        return requests.get();
    }

    long bytesHeld() {
        return bytes.get();
    }

    private static boolean add(AtomicLong counter, long n, long max) {
        while (true) {
            long now = counter.get();
            if (n > max - now) {
                return false;
            }
            if (counter.compareAndSet(now, now + n)) {
                return true;
            }
        }
    }

    /** One admitted request; releasing it twice releases it once. */
    final class Ticket {
        private final AtomicBoolean released = new AtomicBoolean();
        private final AtomicLong reserved = new AtomicLong();

        private Ticket() {}

        /**
         * Adds {@code n} bytes to what this request holds, if the gate's byte bound allows; called by the
         * request's own flow only (chunk by chunk as its body arrives), never after {@link #release()}.
         */
        boolean charge(long n) {
            if (released.get() || !add(bytes, n, maxBytes)) {
                return false;
            }
            reserved.addAndGet(n);
            return true;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                bytes.addAndGet(-reserved.get());
                requests.decrementAndGet();
            }
        }
    }
}
