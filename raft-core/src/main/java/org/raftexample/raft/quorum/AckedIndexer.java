package org.raftexample.raft.quorum;

/**
 * Looks up the log index a voter has acknowledged, so the quorum code can compute what a
 * configuration has committed without knowing where acknowledgements are kept.
 */
@FunctionalInterface
public interface AckedIndexer {
    /**
     * Returned by {@link #ackedIndex} for a voter with no acknowledgement. Go returns a second
     * "found" result instead; real indexes are never negative, so a sentinel says the same thing
     * without allocating.
     */
    long NOT_FOUND = -1L;

    /**
     * The index acknowledged by the voter, or {@link #NOT_FOUND}.
     *
     * @param voterId the voter
     * @return its acknowledged index
     */
    long ackedIndex(long voterId);
}
