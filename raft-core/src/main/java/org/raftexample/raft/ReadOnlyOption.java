package org.raftexample.raft;

/** How a leader confirms that it is still leader before answering a read-only (ReadIndex) request. */
public enum ReadOnlyOption {
    /**
     * Confirm leadership with a round of heartbeats acknowledged by a quorum. Linearizable
     * whatever the clocks do; the default.
     */
    ReadOnlySafe,
    /**
     * Trust the leader lease instead of asking a quorum. Cheaper, but a clock that drifts without
     * bound can make it unsafe; requires {@link Config#checkQuorum}.
     */
    ReadOnlyLeaseBased
}
