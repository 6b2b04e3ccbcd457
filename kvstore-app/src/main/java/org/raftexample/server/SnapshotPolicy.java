package org.raftexample.server;

/**
 * When the apply loop takes the next snapshot. The original takes one every {@code --snapshot-count}
 * applied entries. A snapshot writes the whole state, though, so with that rule alone its cost per
 * entry grows with the store: at 1M keys a 120 MB snapshot every 10,000 entries keeps a core busy
 * writing snapshots and the write rate falls as the store grows.
 *
 * <p>So once the last snapshot is no longer small, a snapshot also waits until the entries applied
 * since the last one hold at least half as many bytes as that snapshot: each byte of the state is then
 * written about twice per byte of new log (with the default 50 % of {@code --snapshot-log-percent}), whatever the store's size, and the raft log kept in memory
 * and in the WAL between two snapshots is at most half the state. That log is also capped at a sixteenth
 * of the heap, so that a store much larger than memory ({@code --store rocksdb}) cannot make it
 * outgrow the heap: there the snapshot interval stops growing and snapshots become costlier per entry
 * instead.
 *
 * <p>Immutable; used by the apply thread.
 */
record SnapshotPolicy(long minEntries, long smallSnapshotBytes, long maxLogBytes, int logPercent) {

    /** Below this a snapshot costs tens of milliseconds: the original's fixed count is kept. */
    static final long SMALL_SNAPSHOT_BYTES = 8L << 20;

    /**
     * The policy of a node that takes a snapshot at least every {@code snapshotCount} entries and, once
     * the state is large, waits for {@code logPercent} of the last snapshot's size in new entries (0:
     * never longer than the count).
     */
    static SnapshotPolicy of(long snapshotCount, int logPercent) {
        return new SnapshotPolicy(
                snapshotCount,
                SMALL_SNAPSHOT_BYTES,
                Math.max(SMALL_SNAPSHOT_BYTES, Runtime.getRuntime().maxMemory() / 16),
                logPercent);
    }

    /**
     * Whether a snapshot is due.
     *
     * @param entriesSince entries applied since the last snapshot's index
     * @param bytesSince bytes of entry data applied since then
     * @param lastSnapshotBytes the size of the last snapshot's data (0 when unknown or none)
     */
    boolean due(long entriesSince, long bytesSince, long lastSnapshotBytes) {
        if (entriesSince <= minEntries) {
            return false;
        }
        if (logPercent == 0 || lastSnapshotBytes < smallSnapshotBytes) {
            return true;
        }
        return bytesSince >= Math.min(lastSnapshotBytes * logPercent / 100, maxLogBytes);
    }
}
