package org.raftexample.raft;

/**
 * The volatile part of a node's state (who leads, what role this node has); useful for logging
 * and for noticing leadership changes, never persisted.
 */
public record SoftState(long lead, StateType raftState) {}
