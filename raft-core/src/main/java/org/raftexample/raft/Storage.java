package org.raftexample.raft;

import java.util.List;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Snapshot;

/**
 * Read access to the part of the raft log and state that the application has made durable;
 * raft reads through it, the application writes to its implementation directly.
 *
 * <p>Every method may throw {@link StorageException}. Besides the documented outcomes
 * ({@link CompactedException}, {@link UnavailableException},
 * {@link SnapshotTemporarilyUnavailableException}) an exception makes the raft instance
 * inoperable; cleaning up and recovering is then the application's job.
 */
public interface Storage {

    /** The persisted hard state (empty when none was saved yet) and configuration (never null). */
    record InitialState(HardState hardState, ConfState confState) {}

    /**
     * Returns the saved HardState and ConfState.
     *
     * @return the hard state and configuration
     */
    InitialState initialState();

    /**
     * Returns the consecutive entries in [lo, hi), limited to {@code maxSize} bytes in total
     * but always at least one entry when the range is not empty.
     *
     * <p>The returned list must not be modified by anyone, neither the storage nor the
     * caller, and neither may its entries: raft hands them on to the application (in
     * {@code Ready}) and to other nodes.
     *
     * @param lo the first index
     * @param hi the index after the last
     * @param maxSize the byte limit (unsigned; at least one entry is returned)
     * @return the entries
     * @throws CompactedException if entry lo has been compacted
     * @throws UnavailableException if some entry in [lo, hi) is not available
     */
    List<Entry> entries(long lo, long hi, long maxSize);

    /**
     * Returns the term of entry i, which must be in [firstIndex()-1, lastIndex()]. The term of
     * the entry just before firstIndex is kept for matching even though the entry is gone.
     *
     * @param i the index
     * @return the term of entry i
     * @throws CompactedException if i is below that range
     * @throws UnavailableException if i is above it
     */
    long term(long i);

    /**
     * The index of the last entry in the log.
     *
     * @return the last index
     */
    long lastIndex();

    /**
     * The index of the first entry that may be available through {@link #entries}; older
     * entries are folded into the latest snapshot. When the storage holds only the entry
     * marking the snapshot, this is lastIndex()+1.
     *
     * @return the first index
     */
    long firstIndex();

    /**
     * Returns the most recent snapshot.
     *
     * @return the snapshot
     * @throws SnapshotTemporarilyUnavailableException if it is being prepared; raft will ask again
     */
    Snapshot snapshot();
}
