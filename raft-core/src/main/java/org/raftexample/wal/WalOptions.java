package org.raftexample.wal;

/**
 * Tunables of a {@link WAL}.
 *
 * @param segmentSizeBytes the size each segment file is preallocated to; the log moves to a new
 *                         segment once a save leaves the current one at or past this size.
 *                         Tests use small values to exercise many segments.
 */
public record WalOptions(long segmentSizeBytes) {
    /** etcd's default segment size, 64 MiB. */
    public static final long DEFAULT_SEGMENT_SIZE_BYTES = 64L * 1024 * 1024;

    /**
     * Checks the segment size: from 64 bytes to 2 GiB.
     *
     * @param segmentSizeBytes the size each segment file is preallocated to; the log moves to a new segment once a save
     *     leaves the current one at or past this size. Tests use small values to exercise many segments
     */
    public WalOptions {
        if (segmentSizeBytes < 64 || segmentSizeBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("segment size must be between 64 bytes and 2 GiB: " + segmentSizeBytes);
        }
    }

    /**
     * etcd's defaults.
     *
     * @return options with a 64 MiB segment size
     */
    public static WalOptions defaults() {
        return new WalOptions(DEFAULT_SEGMENT_SIZE_BYTES);
    }
}
