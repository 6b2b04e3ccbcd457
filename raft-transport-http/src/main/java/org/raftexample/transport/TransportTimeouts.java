package org.raftexample.transport;

import java.time.Duration;

/**
 * Timings of connections: dialing, link heartbeats on streams, dead-stream detection and reconnection backoff.
 *
 * @param dial             connect plus response headers for a stream or a pipeline request
 * @param request          a whole pipeline request; for a snapshot, the longest time without progress
 * @param linkHeartbeat    how often a stream writer sends a keep-alive frame when it has nothing else to send
 * @param streamRead       a stream reader that receives nothing for this long declares the stream dead
 * @param reconnectMin     first wait before redialing a failed stream; doubles on each failure
 * @param reconnectMax     longest wait between redials
 */
public record TransportTimeouts(
        Duration dial,
        Duration request,
        Duration linkHeartbeat,
        Duration streamRead,
        Duration reconnectMin,
        Duration reconnectMax) {

    /**
     * Checks that the heartbeat is shorter than the read timeout and the redial delays are ordered.
     *
     * @param dial connect plus response headers for a stream or a pipeline request
     * @param request a whole pipeline request; for a snapshot, the longest time without progress
     * @param linkHeartbeat how often a stream writer sends a keep-alive frame when it has nothing else to send
     * @param streamRead a stream reader that receives nothing for this long declares the stream dead
     * @param reconnectMin first wait before redialing a failed stream; doubles on each failure
     * @param reconnectMax longest wait between redials
     */
    public TransportTimeouts {
        if (linkHeartbeat.compareTo(streamRead) >= 0) {
            throw new IllegalArgumentException("link heartbeat must be shorter than the stream read timeout");
        }
        if (reconnectMin.compareTo(reconnectMax) > 0) {
            throw new IllegalArgumentException("reconnectMin must not exceed reconnectMax");
        }
    }

    /**
     * etcd's figures: 5 s read timeout with a heartbeat every third of it, 100 ms first redial.
     *
     * @return the default timeouts
     */
    public static TransportTimeouts defaults() {
        return new TransportTimeouts(
                Duration.ofSeconds(1),
                Duration.ofSeconds(10),
                Duration.ofMillis(1600),
                Duration.ofSeconds(5),
                Duration.ofMillis(100),
                Duration.ofSeconds(1));
    }
}
