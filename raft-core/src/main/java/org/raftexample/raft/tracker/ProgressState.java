package org.raftexample.raft.tracker;

/** How the leader is replicating to a follower. */
public enum ProgressState {
    /**
     * The follower's last index is unknown: at most one append is sent per heartbeat interval,
     * to find where its log matches the leader's.
     */
    StateProbe,
    /** Steady state: entries are streamed optimistically, limited by the in-flight window. */
    StateReplicate,
    /** The follower needs a snapshot because the entries it lacks were compacted away. */
    StateSnapshot
}
