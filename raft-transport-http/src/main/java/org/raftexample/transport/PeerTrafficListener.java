package org.raftexample.transport;

/**
 * Hears what the transport sends to and receives from each peer, for an application's metrics: the
 * transport itself keeps no counters and depends on no metrics library.
 *
 * <p>Called from the transport's own threads (stream writers and readers, pipeline senders, the
 * server's request threads, the prober) concurrently, so an implementation must be thread-safe and
 * must return quickly: it runs on the send and receive paths.
 */
public interface PeerTrafficListener {

    /** Does nothing; the default when an application does not listen. */
    PeerTrafficListener NONE = new PeerTrafficListener() {};

    /**
     * A message of {@code bytes} (its encoded size) was handed to the connection to {@code to}.
     *
     * @param to the peer
     * @param bytes the message's encoded size
     */
    default void sent(long to, long bytes) {}

    /**
     * A message of {@code bytes} (its encoded size) arrived from {@code from}.
     *
     * @param from the peer
     * @param bytes the message's encoded size
     */
    default void received(long from, long bytes) {}

    /**
     * A message to {@code to} was lost: dropped on a full buffer, or its connection or request failed.
     *
     * @param to the peer
     */
    default void sendFailed(long to) {}

    /**
     * A probe of {@code to}'s peer endpoint took {@code nanos} from request to answer.
     *
     * @param to the peer
     * @param nanos the round trip, in nanoseconds
     */
    default void roundTrip(long to, long nanos) {}
}
