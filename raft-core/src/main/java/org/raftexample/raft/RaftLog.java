package org.raftexample.raft;

import java.util.List;
import java.util.function.Predicate;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Snapshot;

/**
 * The raft log as the state machine sees it (etcd's raftLog): the stable part in
 * {@link Storage}, the not-yet-persisted tail in {@link Unstable}, and how far it is
 * committed, being applied and applied.
 *
 * <p>Invariant: applied &lt;= applying &lt;= committed &lt;= lastIndex().
 */
final class RaftLog {
    /** "No limit" for sizes, Go's math.MaxUint64. */
    static final long NO_LIMIT = Long.MAX_VALUE;

    /** All stable entries since the last snapshot. */
    final Storage storage;
    /** Entries and snapshot not yet persisted to storage. */
    final Unstable unstable;

    /** The highest index known to be in stable storage on a quorum of nodes. */
    long committed;
    /**
     * The highest index the application has been told to apply; some of those may still be
     * being applied. Raised when a Ready is accepted.
     */
    long applying;
    /** The highest index the application has applied to its state machine. */
    long applied;

    final Logger logger;

    /**
     * The most bytes of entries handed out by nextCommittedEnts and not yet acknowledged
     * through appliedTo.
     */
    final long maxApplyingEntsSize;
    /** Bytes of entries handed out by nextCommittedEnts and not yet acknowledged by appliedTo. */
    long applyingEntsSize;
    /** Whether handing out committed entries waits until enough of them are acknowledged. */
    boolean applyingEntsPaused;

    /** A log over storage without a limit on outstanding applying bytes. */
    static RaftLog newLog(Storage storage, Logger logger) {
        return newLogWithSize(storage, logger, NO_LIMIT);
    }

    /**
     * A log over storage, committed and applied up to the storage's snapshot, handing out at
     * most maxApplyingEntsSize bytes of committed entries before they are acknowledged.
     */
    static RaftLog newLogWithSize(Storage storage, Logger logger, long maxApplyingEntsSize) {
        return new RaftLog(storage, logger, maxApplyingEntsSize);
    }

    private RaftLog(Storage storage, Logger logger, long maxApplyingEntsSize) {
        this.storage = storage;
        this.logger = logger == null ? DefaultLogger.get() : logger;
        long firstIndex = storage.firstIndex();
        long lastIndex = storage.lastIndex();
        this.unstable = new Unstable(this.logger);
        unstable.offset = lastIndex + 1;
        unstable.offsetInProgress = lastIndex + 1;
        this.maxApplyingEntsSize = maxApplyingEntsSize;
        // Everything up to the last compaction is committed and applied.
        this.committed = firstIndex - 1;
        this.applying = firstIndex - 1;
        this.applied = firstIndex - 1;
    }

    @Override
    public String toString() {
        return String.format(
                "committed=%d, applied=%d, applying=%d, unstable.offset=%d, "
                        + "unstable.offsetInProgress=%d, len(unstable.Entries)=%d",
                committed, applied, applying, unstable.offset, unstable.offsetInProgress, unstable.entries.size());
    }

    /**
     * Appends the entries of a if a.prev matches this log, and commits up to min(committed, last
     * new index). Returns the last index of the appended slice, or {@link Unstable#NONE} when
     * a.prev does not match (Go's {@code (0, false)}).
     */
    long maybeAppend(LogSlice a, long committed) {
        if (!matchTerm(a.prev())) {
            return Unstable.NONE;
        }
        List<Entry> ents = a.entries();
        long lastnewi = a.prev().index() + ents.size();
        long ci = findConflict(ents);
        if (ci == 0) {
            // Everything is already in the log.
        } else if (ci <= this.committed) {
            logger.panic("entry %d conflict with committed entry [committed(%d)]", ci, this.committed);
        } else {
            long offset = a.prev().index() + 1;
            if (ci - offset > ents.size()) {
                logger.panic("index, %d, is out of range [%d]", ci - offset, ents.size());
            }
            append(ents.subList((int) (ci - offset), ents.size()));
        }
        commitTo(Math.min(committed, lastnewi));
        return lastnewi;
    }

    /** Appends ents to the unstable log, replacing what they overlap; returns the new last index. */
    long append(List<Entry> ents) {
        if (ents.isEmpty()) {
            return lastIndex();
        }
        long after = ents.get(0).getIndex() - 1;
        if (after < committed) {
            logger.panic("after(%d) is out of range [committed(%d)]", after, committed);
        }
        unstable.truncateAndAppend(ents);
        return lastIndex();
    }

    /** Varargs form of {@link #append(List)}. */
    long append(Entry... ents) {
        return append(List.of(ents));
    }

    /**
     * The index of the first of ents (contiguous, increasing) that is not in this log: either
     * one whose term differs from the log's entry at that index, or the first new one. Returns
     * 0 when the log already holds all of them.
     */
    long findConflict(List<Entry> ents) {
        for (int i = 0, n = ents.size(); i < n; i++) {
            EntryID id = EntryID.of(ents.get(i));
            if (!matchTerm(id)) {
                if (id.index() <= lastIndex()) {
                    logger.info(
                            "found conflict at index %d [existing term: %d, conflicting term: %d]",
                            id.index(), zeroTermOnOutOfBounds(id.index()), id.term());
                }
                return id.index();
            }
        }
        return 0;
    }

    /** The largest index at or below index guessed to match a log whose entry there has term. */
    record TermGuess(long index, long term) {}

    /**
     * A best guess of where this log stops matching another log of which only the entry
     * (index, term) is known: the largest guessIndex &lt;= index whose term is &lt;= term or is
     * unknown (compacted or not stored yet), with that term (0 when unknown). Leaders and
     * followers use it to skip over a diverging suffix after a rejected append.
     */
    TermGuess findConflictByTerm(long index, long term) {
        for (; index > 0; index--) {
            long ourTerm;
            try {
                ourTerm = term(index);
            } catch (CompactedException | UnavailableException e) {
                // Compacted or not stored: it may match, and its term is unknown.
                return new TermGuess(index, 0);
            }
            if (ourTerm <= term) {
                return new TermGuess(index, ourTerm);
            }
        }
        return new TermGuess(0, 0);
    }

    /** The entries that can be written to stable storage and are not already being written. */
    List<Entry> nextUnstableEnts() {
        return unstable.nextEntries();
    }

    /** Whether {@link #nextUnstableEnts()} has anything. */
    boolean hasNextUnstableEnts() {
        return !nextUnstableEnts().isEmpty();
    }

    /** Whether any entries are waiting to be written, or being written, to stable storage. */
    boolean hasNextOrInProgressUnstableEnts() {
        return !unstable.entries.isEmpty();
    }

    /**
     * The committed entries that can be handed to the application to apply. Committed entries
     * may be applied before this node has persisted them; allowUnstable says whether such
     * entries may be returned, otherwise only entries known to be in stable storage are.
     */
    List<Entry> nextCommittedEnts(boolean allowUnstable) {
        if (applyingEntsPaused) {
            // The outstanding size limit is reached.
            return EntrySlice.EMPTY;
        }
        if (hasNextOrInProgressSnapshot()) {
            // See hasNextCommittedEnts.
            return EntrySlice.EMPTY;
        }
        long lo = applying + 1;
        long hi = maxAppliableIndex(allowUnstable) + 1; // [lo, hi)
        if (lo >= hi) {
            return EntrySlice.EMPTY;
        }
        long maxSize = maxApplyingEntsSize - applyingEntsSize;
        if (maxSize <= 0) {
            logger.panic("applying entry size (%d-%d)=%d not positive", maxApplyingEntsSize, applyingEntsSize, maxSize);
        }
        try {
            return slice(lo, hi, maxSize);
        } catch (CompactedException e) {
            logger.panic("unexpected error when getting unapplied entries (%s)", e.getMessage());
            throw e; // not reached: panic throws
        }
    }

    /** Whether there are committed entries to apply; a cheap form of nextCommittedEnts. */
    boolean hasNextCommittedEnts(boolean allowUnstable) {
        if (applyingEntsPaused) {
            return false;
        }
        if (hasNextOrInProgressSnapshot()) {
            // With a snapshot to apply, entries wait: which should go first would be unclear.
            return false;
        }
        long lo = applying + 1;
        long hi = maxAppliableIndex(allowUnstable) + 1; // [lo, hi)
        return lo < hi;
    }

    /**
     * The highest committed index that may be applied: committed itself with allowUnstable,
     * otherwise no further than what is known to be in stable storage.
     */
    long maxAppliableIndex(boolean allowUnstable) {
        long hi = committed;
        if (!allowUnstable) {
            hi = Math.min(hi, unstable.offset - 1);
        }
        return hi;
    }

    /** The snapshot to write to stable storage, unless it is already being written; else null. */
    Snapshot nextUnstableSnapshot() {
        return unstable.nextSnapshot();
    }

    /** Whether {@link #nextUnstableSnapshot()} has one. */
    boolean hasNextUnstableSnapshot() {
        return unstable.nextSnapshot() != null;
    }

    /** Whether a snapshot is waiting to be applied or being applied. */
    boolean hasNextOrInProgressSnapshot() {
        return unstable.snapshot != null;
    }

    /** The latest snapshot: the unstable one if any, else the storage's. */
    Snapshot snapshot() {
        if (unstable.snapshot != null) {
            return unstable.snapshot;
        }
        return storage.snapshot();
    }

    long firstIndex() {
        long i = unstable.maybeFirstIndex();
        if (i != Unstable.NONE) {
            return i;
        }
        return storage.firstIndex();
    }

    long lastIndex() {
        long i = unstable.maybeLastIndex();
        if (i != Unstable.NONE) {
            return i;
        }
        return storage.lastIndex();
    }

    /** Raises committed to tocommit (never lowers it); panics past the end of the log. */
    void commitTo(long tocommit) {
        if (committed < tocommit) {
            if (lastIndex() < tocommit) {
                logger.panic(
                        "tocommit(%d) is out of range [lastIndex(%d)]. "
                                + "Was the raft log corrupted, truncated, or lost?",
                        tocommit, lastIndex());
            }
            committed = tocommit;
        }
    }

    /**
     * Records that the application applied everything up to i, acknowledging size bytes of
     * the entries it was handed.
     */
    void appliedTo(long i, long size) {
        if (committed < i || i < applied) {
            logger.panic("applied(%d) is out of range [prevApplied(%d), committed(%d)]", i, applied, committed);
        }
        applied = i;
        applying = Math.max(applying, i);
        if (applyingEntsSize > size) {
            applyingEntsSize -= size;
        } else {
            // Bad accounting must not drive the size below zero.
            applyingEntsSize = 0;
        }
        applyingEntsPaused = applyingEntsSize >= maxApplyingEntsSize;
    }

    /**
     * Records that entries up to i (size bytes) were handed to the application to apply.
     */
    void acceptApplying(long i, long size, boolean allowUnstable) {
        if (committed < i) {
            logger.panic("applying(%d) is out of range [prevApplying(%d), committed(%d)]", i, applying, committed);
        }
        applying = i;
        applyingEntsSize += size;
        // Pause when the limit is reached, or when the entries just handed out stopped short
        // of what could be applied: that means the size limit cut them, and the next entry
        // would go over it.
        applyingEntsPaused = applyingEntsSize >= maxApplyingEntsSize || i < maxAppliableIndex(allowUnstable);
    }

    void stableTo(EntryID id) {
        unstable.stableTo(id);
    }

    void stableSnapTo(long i) {
        unstable.stableSnapTo(i);
    }

    /**
     * Records that the application started persisting the current unstable entries and
     * snapshot, so that later Readys do not return them again.
     */
    void acceptUnstable() {
        unstable.acceptInProgress();
    }

    /** The ID of the last entry in the log. */
    EntryID lastEntryID() {
        long index = lastIndex();
        long t;
        try {
            t = term(index);
        } catch (CompactedException | UnavailableException e) {
            logger.panic("unexpected error when getting the last term at %d: %s", index, e.getMessage());
            throw e; // not reached: panic throws
        }
        return new EntryID(t, index);
    }

    /**
     * The term of the entry at index i, which must be in [firstIndex()-1, lastIndex()]: the
     * term of the entry just before the first one stays known for matching appends.
     *
     * @throws CompactedException below that range
     * @throws UnavailableException above it
     */
    long term(long i) {
        // The unstable log first: when it knows the term, the index is in range, and asking
        // for the range might need the storage.
        long t = unstable.maybeTerm(i);
        if (t != Unstable.NONE) {
            return t;
        }
        if (i + 1 < firstIndex()) {
            throw new CompactedException();
        }
        if (i > lastIndex()) {
            throw new UnavailableException();
        }
        try {
            return storage.term(i);
        } catch (CompactedException | UnavailableException e) {
            throw e;
        } catch (StorageException e) {
            // Any other storage failure leaves raft with a log it cannot read: etcd panics here.
            throw new RaftPanicException("storage term(" + i + ") failed: " + e.getMessage(), e);
        }
    }

    /** The entries from i to the end of the log, up to maxSize bytes (at least one). */
    List<Entry> entries(long i, long maxSize) {
        if (i > lastIndex()) {
            return EntrySlice.EMPTY;
        }
        return slice(i, lastIndex() + 1, maxSize);
    }

    /** All entries in the log. */
    List<Entry> allEntries() {
        while (true) {
            try {
                return entries(firstIndex(), NO_LIMIT);
            } catch (CompactedException e) {
                // A compaction raced with the read: try again.
            }
        }
    }

    /**
     * Whether a log ending with their entry is at least as up to date as this one: a later
     * last term wins, and with equal last terms the longer log wins (ties go to them).
     */
    boolean isUpToDate(EntryID their) {
        EntryID our = lastEntryID();
        return their.term() > our.term() || their.term() == our.term() && their.index() >= our.index();
    }

    /** Whether this log has an entry with id's index and term. */
    boolean matchTerm(EntryID id) {
        long t;
        try {
            t = term(id.index());
        } catch (CompactedException | UnavailableException e) {
            return false;
        }
        return t == id.term();
    }

    /** Commits up to at if this log holds that entry and it raises committed. */
    boolean maybeCommit(EntryID at) {
        // A term of 0 never matches: a leader commits at term 1 or later.
        if (at.term() != 0 && at.index() > committed && matchTerm(at)) {
            commitTo(at.index());
            return true;
        }
        return false;
    }

    /** Resets the log to the snapshot s, which becomes the committed state. */
    void restore(Snapshot s) {
        logger.info(
                "log [%s] starts to restore snapshot [index: %d, term: %d]",
                this, s.getMetadata().getIndex(), s.getMetadata().getTerm());
        committed = s.getMetadata().getIndex();
        unstable.restore(s);
    }

    /**
     * Passes the entries in [lo, hi) to visitor in consecutive pages of at most pageSize
     * bytes (a single larger entry makes a page of its own). The visitor returns false to stop.
     * Returns true when every page was visited, false when the visitor stopped the scan.
     *
     * @throws CompactedException if part of the range is compacted (possibly after some pages)
     * @throws StorageException if the log returns no entries for a range that should have them
     */
    boolean scan(long lo, long hi, long pageSize, Predicate<List<Entry>> visitor) {
        while (lo < hi) {
            List<Entry> ents = slice(lo, hi, pageSize);
            if (ents.isEmpty()) {
                throw new StorageException(String.format("got 0 entries in [%d, %d)", lo, hi));
            }
            if (!visitor.test(ents)) {
                return false;
            }
            lo += ents.size();
        }
        return true;
    }

    /**
     * The entries from lo to hi-1, limited to maxSize bytes but at least one.
     *
     * @throws CompactedException if lo is compacted
     */
    List<Entry> slice(long lo, long hi, long maxSize) {
        mustCheckOutOfBounds(lo, hi);
        if (lo == hi) {
            return EntrySlice.EMPTY;
        }
        if (lo >= unstable.offset) {
            return EntrySizes.limitSize(unstable.slice(lo, hi), maxSize);
        }

        long cut = Math.min(hi, unstable.offset);
        List<Entry> ents;
        try {
            ents = storage.entries(lo, cut, maxSize);
        } catch (CompactedException e) {
            throw e;
        } catch (UnavailableException e) {
            logger.panic("entries[%d:%d) is unavailable from storage", lo, cut);
            throw e; // not reached: panic throws
        } catch (StorageException e) {
            // Not an expected outcome: etcd panics rather than guess what the log holds.
            throw new RaftPanicException("storage entries[" + lo + ":" + cut + ") failed: " + e.getMessage(), e);
        }
        if (hi <= unstable.offset) {
            return ents;
        }

        // Fast path: fewer entries than asked for means the size limit was reached.
        if (ents.size() < cut - lo) {
            return ents;
        }
        // Otherwise measure, so that the unstable part is cut to exactly what still fits.
        long size = EntrySizes.entsSize(ents);
        if (size >= maxSize) {
            return ents;
        }

        List<Entry> uns = EntrySizes.limitSize(unstable.slice(unstable.offset, hi), maxSize - size);
        // limitSize keeps one entry even if it alone is too big: leave it out then.
        if (uns.size() == 1 && size + EntrySizes.entsSize(uns) > maxSize) {
            return ents;
        }
        return EntrySizes.extend(ents, uns);
    }

    /**
     * Checks firstIndex() &lt;= lo &lt;= hi &lt;= lastIndex()+1, panicking on a bad range.
     *
     * @throws CompactedException if lo is below firstIndex()
     */
    void mustCheckOutOfBounds(long lo, long hi) {
        if (lo > hi) {
            logger.panic("invalid slice %d > %d", lo, hi);
        }
        long fi = firstIndex();
        if (lo < fi) {
            throw new CompactedException();
        }
        long length = lastIndex() + 1 - fi;
        if (hi > fi + length) {
            logger.panic("slice[%d,%d) out of bound [%d,%d]", lo, hi, fi, lastIndex());
        }
    }

    /**
     * The term of the entry at i, or 0 when it is compacted or not in the log; any other
     * storage failure panics.
     */
    long zeroTermOnOutOfBounds(long i) {
        try {
            return term(i);
        } catch (CompactedException | UnavailableException e) {
            return 0;
        } catch (StorageException e) {
            logger.panic("unexpected error (%s)", e.getMessage());
            throw e; // not reached: panic throws
        }
    }
}
