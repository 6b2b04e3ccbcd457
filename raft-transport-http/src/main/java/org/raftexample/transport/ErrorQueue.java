package org.raftexample.transport;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The bounded queue of fatal errors the application watches; when full, newer errors are only logged. */
final class ErrorQueue {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorQueue.class);
    static final int CAPACITY = 16;

    private final BlockingQueue<TransportError> queue = new ArrayBlockingQueue<>(CAPACITY);

    void report(TransportError error) {
        LOG.error("transport error: {}", error, error.cause());
        queue.offer(error);
    }

    TransportError poll(long timeout, TimeUnit unit) throws InterruptedException {
        return queue.poll(timeout, unit);
    }

    TransportError take() throws InterruptedException {
        return queue.take();
    }
}
