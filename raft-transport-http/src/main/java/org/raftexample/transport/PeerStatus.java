package org.raftexample.transport;

import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Whether a peer is reachable, and since when: active from the first successful contact until a failure. */
final class PeerStatus {
    private static final Logger LOG = LoggerFactory.getLogger(PeerStatus.class);

    private final long localId;
    private final long peerId;
    private Instant activeSince; // null while inactive

    PeerStatus(long localId, long peerId) {
        this.localId = localId;
        this.peerId = peerId;
    }

    synchronized void activate() {
        if (activeSince == null) {
            activeSince = Instant.now();
            LOG.info("{} -> {}: peer became active", Protocol.formatId(localId), Protocol.formatId(peerId));
        }
    }

    synchronized void deactivate(String reason) {
        if (activeSince != null) {
            activeSince = null;
            LOG.warn("{} -> {}: peer became inactive: {}", Protocol.formatId(localId), Protocol.formatId(peerId),
                    reason);
        }
    }

    synchronized Optional<Instant> activeSince() {
        return Optional.ofNullable(activeSince);
    }
}
