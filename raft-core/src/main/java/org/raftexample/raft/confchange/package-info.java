/**
 * Validated configuration changes, simple and by joint consensus, and rebuilding a
 * configuration from a ConfState. Port of etcd's {@code raft/confchange}.
 */
package org.raftexample.raft.confchange;
