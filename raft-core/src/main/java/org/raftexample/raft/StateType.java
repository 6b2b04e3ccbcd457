package org.raftexample.raft;

/**
 * The role a raft node plays in its group. The constant names are what etcd prints for
 * {@code StateType}, so {@link #toString()} gives the same text in logs and status output.
 */
public enum StateType {
    /** Follows a leader, or waits for one. */
    StateFollower,
    /** Asks for votes in a new term. */
    StateCandidate,
    /** Leads the group in its term. */
    StateLeader,
    /** Asks whether it could win an election, without raising its term (PreVote). */
    StatePreCandidate
}
