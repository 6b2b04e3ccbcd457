package org.raftexample.raft;

import java.util.List;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Snapshot;

/**
 * The tail of the raft log that is not yet known to be in {@link Storage}: new entries and
 * possibly a snapshot (etcd's {@code unstable}).
 *
 * <p>It holds them until they are handed out in a Ready to be persisted, and keeps holding
 * them while they are being written, so that {@link RaftLog} sees the in-flight log; once the
 * application reports them stable they are dropped from here. The entry at position i of
 * {@link #entries} has log index {@code offset + i}. offset may be lower than the last index in
 * storage: the next write to storage may then have to truncate it first.
 */
final class Unstable {
    /** What the maybe* lookups return when they have no answer. */
    static final long NONE = -1;

    /** The incoming snapshot, if any (null otherwise). */
    Snapshot snapshot;
    /** Entries not yet written to storage; a view that this class alone appends to. */
    EntrySlice entries = EntrySlice.EMPTY;
    /** The log index of entries.get(0). */
    long offset;

    /** Whether the snapshot is being written to storage. */
    boolean snapshotInProgress;
    /**
     * Entries below this index (exclusive bound, like offset) are being written to storage.
     * Invariant: offset &lt;= offsetInProgress.
     */
    long offsetInProgress;

    final Logger logger;

    Unstable(Logger logger) {
        this.logger = logger;
    }

    /** The index of the first entry that can follow the snapshot, or {@link #NONE} without one. */
    long maybeFirstIndex() {
        return snapshot != null ? snapshot.getMetadata().getIndex() + 1 : NONE;
    }

    /** The last index held here (entry or snapshot), or {@link #NONE} when there is neither. */
    long maybeLastIndex() {
        int n = entries.size();
        if (n != 0) {
            return offset + n - 1;
        }
        return snapshot != null ? snapshot.getMetadata().getIndex() : NONE;
    }

    /** The term of the entry at index i if this log knows it, else {@link #NONE}. */
    long maybeTerm(long i) {
        if (i < offset) {
            if (snapshot != null && snapshot.getMetadata().getIndex() == i) {
                return snapshot.getMetadata().getTerm();
            }
            return NONE;
        }
        long last = maybeLastIndex();
        if (last == NONE || i > last) {
            return NONE;
        }
        return entries.get((int) (i - offset)).getTerm();
    }

    /** The entries not already being written to storage (empty when there are none). */
    List<Entry> nextEntries() {
        int inProgress = (int) (offsetInProgress - offset);
        if (entries.size() == inProgress) {
            return EntrySlice.EMPTY;
        }
        return entries.subList(inProgress, entries.size());
    }

    /** The snapshot, if there is one that is not already being written to storage, else null. */
    Snapshot nextSnapshot() {
        if (snapshot == null || snapshotInProgress) {
            return null;
        }
        return snapshot;
    }

    /**
     * Marks everything held now as being written to storage, so that nextEntries and
     * nextSnapshot stop returning it; what is added later is returned until the next call.
     */
    void acceptInProgress() {
        int n = entries.size();
        if (n > 0) {
            offsetInProgress = entries.get(n - 1).getIndex() + 1;
        }
        if (snapshot != null) {
            snapshotInProgress = true;
        }
    }

    /**
     * Drops the entries up to id, which the application has written to stable storage. The
     * caller must know that no in-progress append can overwrite them (see etcd's comment on
     * newStorageAppendRespMsg); a stale id (replaced or missing entry) is ignored.
     */
    void stableTo(EntryID id) {
        long gt = maybeTerm(id.index());
        if (gt == NONE) {
            logger.info("entry at index %d missing from unstable log; ignoring", id.index());
            return;
        }
        if (id.index() < offset) {
            logger.info("entry at index %d matched unstable snapshot; ignoring", id.index());
            return;
        }
        if (gt != id.term()) {
            // The unstable log was (partly) replaced while these entries were being written.
            logger.info(
                    "entry at (index,term)=(%d,%d) mismatched with " + "entry at (%d,%d) in unstable log; ignoring",
                    id.index(), id.term(), id.index(), gt);
            return;
        }
        int num = (int) (id.index() + 1 - offset);
        entries = entries.subList(num, entries.size());
        offset = id.index() + 1;
        offsetInProgress = Math.max(offsetInProgress, offset);
        shrinkEntriesArray();
    }

    /**
     * Lets go of the array behind entries once nothing is left in it, so that stabilized
     * entries are not kept alive by this log (readers of older views still keep theirs).
     */
    private void shrinkEntriesArray() {
        if (entries.isEmpty()) {
            entries = EntrySlice.EMPTY;
        }
    }

    /** Forgets the snapshot once the application has persisted the one at index i. */
    void stableSnapTo(long i) {
        if (snapshot != null && snapshot.getMetadata().getIndex() == i) {
            snapshot = null;
            snapshotInProgress = false;
        }
    }

    /** Replaces everything held here with the snapshot s. */
    void restore(Snapshot s) {
        offset = s.getMetadata().getIndex() + 1;
        offsetInProgress = offset;
        entries = EntrySlice.EMPTY;
        snapshot = s;
        snapshotInProgress = false;
    }

    /**
     * Adds ents (non-empty, contiguous), dropping the entries held here from ents' first index
     * on when they overlap.
     */
    void truncateAndAppend(List<Entry> ents) {
        long fromIndex = ents.get(0).getIndex();
        if (fromIndex == offset + entries.size()) {
            // The next index: a plain append.
            entries = entries.append(ents);
        } else if (fromIndex <= offset) {
            logger.info("replace the unstable entries from index %d", fromIndex);
            // Everything held here is replaced; the log now continues at fromIndex.
            entries = EntrySlice.copyOf(ents);
            offset = fromIndex;
            offsetInProgress = offset;
        } else {
            logger.info("truncate the unstable entries before index %d", fromIndex);
            // Earlier views may still show the replaced entries: build a new array.
            entries = EntrySlice.concat(slice(offset, fromIndex), ents);
            // Only what is left of the in-progress entries stays in progress.
            offsetInProgress = Math.min(offsetInProgress, fromIndex);
        }
    }

    /**
     * The entries with indexes in [lo, hi), all of which must be held here (else it panics).
     * The result is a view shared with this log: nobody may modify it.
     */
    List<Entry> slice(long lo, long hi) {
        mustCheckOutOfBounds(lo, hi);
        return entries.subList((int) (lo - offset), (int) (hi - offset));
    }

    /** Panics unless offset &lt;= lo &lt;= hi &lt;= offset+len(entries). */
    private void mustCheckOutOfBounds(long lo, long hi) {
        if (lo > hi) {
            logger.panic("invalid unstable.slice %d > %d", lo, hi);
        }
        long upper = offset + entries.size();
        if (lo < offset || hi > upper) {
            logger.panic("unstable.slice[%d,%d) out of bound [%d,%d]", lo, hi, offset, upper);
        }
    }
}
