/**
 * A replicated counter: the smallest service on {@code org.raftexample.server}, shown in the README as
 * what a library user writes (one {@link org.raftexample.server.StateMachine} of a long, and a
 * {@link org.raftexample.server.RaftNode} to replicate it). An example, not a supported API.
 *
 * <p>Invariants: every member applies the same deltas in the same order, so all hold the same value at
 * the same applied index. Thread contract: see {@link org.raftexample.counter.ReplicatedCounter}.
 */
package org.raftexample.counter;
