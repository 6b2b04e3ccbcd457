package org.raftexample.raft;

/** The outcome of sending a snapshot to a follower, reported back to raft by the application. */
public enum SnapshotStatus {
    /** The follower received the whole snapshot. */
    SnapshotFinish,
    /** The snapshot could not be delivered; raft will retry once the follower is reachable. */
    SnapshotFailure
}
