/**
 * What a leader knows about each follower (match/next indexes, flow control) and the active
 * configuration it counts quorums over. Port of etcd's {@code raft/tracker}.
 */
package org.raftexample.raft.tracker;
