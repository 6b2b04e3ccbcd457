/**
 * Validated configuration changes, simple and by joint consensus, and rebuilding a
 * configuration from a ConfState. Port of etcd's {@code raft/confchange}.
 *
 * <p>Internal: public only so that {@code org.raftexample.raft} can use it across packages.
 * Invariants: a change is computed on copies and only returned when valid, so a rejected change
 * leaves the tracker untouched; at most one joint configuration is active at a time.
 *
 * <p>Thread contract: stateless functions over the caller's tracker; called only from the
 * thread driving raft.
 */
package org.raftexample.raft.confchange;
