package org.raftexample.raft;

/**
 * The role a raft node plays in its group. The constant names are what etcd prints for
 * {@code StateType}, so {@link #toString()} gives the same text in logs and status output.
 */
public enum StateType {
    StateFollower,
    StateCandidate,
    StateLeader,
    StatePreCandidate
}
