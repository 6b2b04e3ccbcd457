package org.raftexample.raft.quorum;

/** The outcome of an election as far as the votes received so far can tell. */
public enum VoteResult {
    /** Neither the yes nor the no votes have reached a quorum yet; more votes can decide it. */
    VotePending,
    /** A quorum has voted no. */
    VoteLost,
    /** A quorum has voted yes. */
    VoteWon
}
