package org.raftexample.server;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Snapshot;

/**
 * What one Ready hands from the raft loop to the apply loop, with the handshake that keeps their
 * order (etcd's {@code toApply} with its {@code notifyc} and {@code raftAdvancedC}).
 *
 * <p>Created by the raft loop; the latches and the future are the only state two threads share:
 * <ul>
 *   <li>{@link #persisted} is opened by the raft loop once the Ready's snapshot, hard state and
 *       entries are durable and in MemoryStorage; the apply loop waits for it before restoring a
 *       snapshot and before it takes a snapshot of its own (so a snapshot never covers entries the
 *       local log does not hold);</li>
 *   <li>{@link #applied} is opened by the apply loop once every entry of this batch is applied; a
 *       follower or candidate that committed a conf change in this Ready waits for it before it sends
 *       (it must not count votes of removed members, nor campaign alone before the change is in);</li>
 *   <li>{@link #advanced} is completed by the raft loop after {@code Node.advance()}, and only when
 *       the Ready committed a conf change: its proposer is answered after that, so that its next conf
 *       change is not refused by a raft that has not yet seen the first one applied.</li>
 * </ul>
 */
final class ToApply {
    final List<Entry> entries;
    final Snapshot snapshot;
    final boolean confChange;
    final CountDownLatch persisted = new CountDownLatch(1);
    final CountDownLatch applied = new CountDownLatch(1);
    final CompletableFuture<Void> advanced;

    ToApply(List<Entry> entries, Snapshot snapshot, boolean confChange) {
        this.entries = entries;
        this.snapshot = snapshot;
        this.confChange = confChange;
        this.advanced = confChange ? new CompletableFuture<>() : DONE;
    }

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /** Whether any of these committed entries changes the configuration. */
    static boolean hasConfChange(List<Entry> entries) {
        for (int i = 0, n = entries.size(); i < n; i++) {
            switch (entries.get(i).getType()) {
                case EntryConfChange, EntryConfChangeV2 -> {
                    return true;
                }
                default -> {}
            }
        }
        return false;
    }
}
