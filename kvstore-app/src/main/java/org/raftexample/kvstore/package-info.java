/**
 * raftexample itself: a replicated key-value store over the glue of {@code org.raftexample.server},
 * with the flags, HTTP API and data directory layout of etcd's {@code contrib/raftexample} (see
 * docs/kvstore.md and the tour in docs/tour.md). The store ({@code KVStore}, or {@code RocksKVStore}
 * with {@code --store rocksdb}) is the {@code StateMachine} a {@code RaftNode} replicates.
 *
 * <p>An application, not a library: nothing here is a supported API.
 *
 * <p>Invariants: a write is acknowledged only once committed and applied; a failed write says
 * whether it may still take effect; a GET is linearizable unless asked to be serializable.
 *
 * <p>Thread contract: Jetty's threads parse requests and hand them to the {@code RaftNode}; answers
 * are written on the node's completer threads, never on its raft or apply thread; the operability
 * parts (metrics, health, leader watch) read the node's state from any thread. Each class says which
 * threads call it.
 */
package org.raftexample.kvstore;
