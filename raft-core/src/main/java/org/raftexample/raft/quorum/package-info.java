/**
 * Quorum arithmetic for Raft: when a majority (or a joint pair of majorities) has acknowledged
 * a log index or won a vote. Port of etcd's {@code raft/quorum}.
 *
 * <p>Log indexes are Go {@code uint64}s held in a {@code long}; they are never negative here, and
 * "no limit" is {@link org.raftexample.raft.quorum.Index#MAX} ({@code Long.MAX_VALUE}, standing
 * for Go's {@code math.MaxUint64}).
 *
 * <p>Internal: public only so that {@code org.raftexample.raft} can use it across packages.
 *
 * <p>Thread contract: {@code MajorityConfig} and {@code JointConfig} are mutable sets owned by
 * the thread driving raft; the functions computing committed indexes and vote results keep no
 * state.
 */
package org.raftexample.raft.quorum;
