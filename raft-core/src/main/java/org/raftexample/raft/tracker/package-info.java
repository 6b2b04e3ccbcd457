/**
 * What a leader knows about each follower (match/next indexes, flow control) and the active
 * configuration it counts quorums over. Port of etcd's {@code raft/tracker}.
 *
 * <p>Internal: public only so that {@code org.raftexample.raft} can use it across packages. An
 * application sees {@code Progress} values only in a {@code Status}, as copies taken by raft's
 * thread; their setters are raft's and changing a copy changes nothing.
 *
 * <p>Thread contract: not thread-safe; owned by the thread driving the raft instance (the
 * {@code Node} loop, or the caller of {@code RawNode}).
 */
package org.raftexample.raft.tracker;
