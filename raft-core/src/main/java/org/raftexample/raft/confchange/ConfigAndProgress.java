package org.raftexample.raft.confchange;

import org.raftexample.raft.tracker.ProgressMap;
import org.raftexample.raft.tracker.TrackerConfig;

/** A configuration and the peer progress that goes with it, as a change produces them. */
public record ConfigAndProgress(TrackerConfig config, ProgressMap progress) {}
