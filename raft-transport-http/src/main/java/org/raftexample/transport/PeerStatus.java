package org.raftexample.transport;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a peer is reachable, and since when: active from the first successful contact until a failure.
 * Also keeps the log quiet about a peer that stays unreachable: its failures are said once, then at most
 * once per {@link #WARN_INTERVAL} (a leader sends to a down follower at every heartbeat).
 *
 * <p>Shared by the peer's threads (writers, readers, pipeline senders); every method is synchronized.
 */
final class PeerStatus {
    private static final Logger LOG = LoggerFactory.getLogger(PeerStatus.class);
    static final Duration WARN_INTERVAL = Duration.ofSeconds(30);

    private final long localId;
    private final long peerId;
    private final long warnIntervalNanos;
    private Instant activeSince; // null while inactive
    private boolean warned; // a failure was said since the peer was last active
    private long lastWarnNanos;
    private long suppressed;

    PeerStatus(long localId, long peerId) {
        this(localId, peerId, WARN_INTERVAL);
    }

    PeerStatus(long localId, long peerId, Duration warnInterval) {
        this.localId = localId;
        this.peerId = peerId;
        this.warnIntervalNanos = warnInterval.toNanos();
    }

    synchronized void activate() {
        if (activeSince == null) {
            activeSince = Instant.now();
            warned = false;
            suppressed = 0;
            LOG.info("{} -> {}: peer became active", Protocol.formatId(localId), Protocol.formatId(peerId));
        }
    }

    synchronized void deactivate(String reason) {
        if (activeSince != null) {
            activeSince = null;
            LOG.warn(
                    "{} -> {}: peer became inactive: {}",
                    Protocol.formatId(localId),
                    Protocol.formatId(peerId),
                    reason);
            noteWarned();
        }
    }

    /**
     * Logs a delivery problem at WARN unless one was logged less than the interval ago (counted then,
     * and the count is given with the next one); returns whether it was logged.
     */
    synchronized boolean warnThrottled(String problem) {
        long now = System.nanoTime();
        if (warned && now - lastWarnNanos < warnIntervalNanos) {
            suppressed++;
            return false;
        }
        LOG.warn(
                "{} -> {}: {}{}",
                Protocol.formatId(localId),
                Protocol.formatId(peerId),
                problem,
                suppressed == 0 ? "" : " (" + suppressed + " more failure(s) not logged since the last warning)");
        noteWarned();
        return true;
    }

    private void noteWarned() {
        warned = true;
        lastWarnNanos = System.nanoTime();
        suppressed = 0;
    }

    synchronized Optional<Instant> activeSince() {
        return Optional.ofNullable(activeSince);
    }
}
