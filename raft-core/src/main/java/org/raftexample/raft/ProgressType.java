package org.raftexample.raft;

/** Whether a progress visited by {@link RawNode#withProgress} belongs to a voter or a learner. */
public enum ProgressType {
    /** A voter. */
    ProgressTypePeer,
    /** A learner (receives the log, does not vote). */
    ProgressTypeLearner
}
