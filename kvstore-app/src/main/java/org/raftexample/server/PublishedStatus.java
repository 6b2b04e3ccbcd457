package org.raftexample.server;

import java.time.Duration;
import org.raftexample.raft.Status;

/**
 * Raft's status as the raft loop published it, and when: what {@link RaftNode#publishedStatus()}
 * hands out without waiting for the loop. One object is shared by every reader: treat the status as
 * read-only.
 *
 * @param status     the status, taken by the raft loop
 * @param takenNanos {@link System#nanoTime()} when the loop took it
 */
public record PublishedStatus(Status status, long takenNanos) {

    /**
     * How long ago the raft loop took this status: under one tick for the newest one while the loop
     * turns, more while it is held up.
     *
     * @return the age
     */
    public Duration age() {
        return Duration.ofNanos(System.nanoTime() - takenNanos);
    }
}
