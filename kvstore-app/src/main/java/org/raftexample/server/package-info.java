/**
 * The glue every service replicated with raft-core needs, as etcd's server drives etcd's raft: WAL and
 * snapshot storage, bootstrap and replay, the Ready loop, the apply loop, batched ReadIndex reads,
 * membership changes, request deadlines and shutdown. An application implements {@link
 * org.raftexample.server.StateMachine} and runs a {@link org.raftexample.server.RaftNode} configured by
 * {@link org.raftexample.server.ServerConfig#builder()}; the key-value store ({@code
 * org.raftexample.kvstore}) and the replicated counter ({@code org.raftexample.counter}) are two such
 * applications. docs/server.md describes the API and what is stable.
 *
 * <p>Public and stable: {@code RaftNode}, {@code ServerConfig}, {@code StateMachine}, {@code
 * NodeEvents}, {@code Overloaded}, {@code Failures}. Public for diagnostics and the key-value
 * application, not stable: {@code GlueTracer}, {@code JsonStringMap}. Everything else is
 * package-private.
 *
 * <p>Invariants: a proposal's future completes only after its command is committed and applied on
 * this node; commands are applied in log order, exactly once per node lifetime past the snapshot it
 * restarted from; a snapshot's file is durable before its WAL marker and before the WAL is released
 * up to it; a follower persists a Ready before sending its messages, the leader may send first
 * (Raft thesis 10.2.1) but never counts itself toward commit before its own write is durable; a
 * fatal storage error stops the node ({@link org.raftexample.server.RaftNode#terminated()} completes
 * with {@link org.raftexample.server.RaftNode#FATAL}).
 *
 * <p>Thread contract: every public method of {@code RaftNode} may be called from any thread. The
 * node runs its own threads: {@code raftexample-raft-<id>} (the only thread that touches raft),
 * {@code raftexample-apply-<id>} (the only one that calls {@code StateMachine#apply} and {@code
 * restore}), {@code raftexample-snapshot-<id>} (writes a snapshot view), and the request completer
 * threads, on which every returned future completes - never on the raft or apply thread, so a
 * dependent stage may block briefly or write to a socket. docs/threads.md has the details.
 */
package org.raftexample.server;
