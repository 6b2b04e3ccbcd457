/**
 * The Raft consensus algorithm as a library: a port of etcd's {@code go.etcd.io/raft}, message
 * for message.
 *
 * <h2>Public API</h2>
 * The supported entry points are {@link org.raftexample.raft.Node} (raft on its own loop
 * thread) and {@link org.raftexample.raft.RawNode} (raft driven synchronously by the
 * application), configured by {@link org.raftexample.raft.Config}, reading its log from a
 * {@link org.raftexample.raft.Storage} such as {@link org.raftexample.raft.MemoryStorage}, and
 * handing out work as {@link org.raftexample.raft.Ready} batches. {@link org.raftexample.raft.Status},
 * {@link org.raftexample.raft.BasicStatus}, {@link org.raftexample.raft.SoftState},
 * {@link org.raftexample.raft.ReadState}, {@link org.raftexample.raft.Peer},
 * {@link org.raftexample.raft.SnapshotStatus} and the exceptions are the values those calls take
 * and return. The state machine itself ({@code Raft}, {@code RaftLog}, {@code Unstable}, ...) is
 * package-private; the subpackages {@code tracker}, {@code quorum} and {@code confchange} are
 * public only because Java needs it across packages, and are internal (a {@code Progress} seen
 * in a {@code Status} is a copy for reading).
 *
 * <h2>Invariants</h2>
 * <ul>
 * <li>Nothing in this package does I/O or starts threads, except the single loop thread of a
 * {@code Node}. Given its inputs (messages, ticks, storage contents) and its random source, raft
 * is deterministic.</li>
 * <li>The application must honour the Ready contract, the four obligations of etcd's README:
 * persist a Ready's hard state, entries and snapshot before sending its messages (a follower) or
 * alongside them (a leader, thesis 10.2.1); send the messages; apply the committed entries, and
 * pass every committed conf change to {@code applyConfChange}; then call {@code advance}.</li>
 * <li>Indexes, terms and node ids are Go {@code uint64}s held in {@code long}; ids compare
 * unsigned. The size limits of {@code Config} are unsigned too: {@code -1L} means no limit.</li>
 * <li>A {@link org.raftexample.raft.RaftPanicException} is raft's {@code panic}: an invariant is
 * broken (or storage failed unexpectedly), and the node must stop.</li>
 * </ul>
 *
 * <h2>Thread contract</h2>
 * <ul>
 * <li>{@code RawNode} is not thread-safe: every call must come from the one thread that drives
 * it (or be externally serialized).</li>
 * <li>Every method of {@code Node} may be called from any thread; raft state is touched only by
 * the node's loop thread. The application still handles Readys in order, one at a time.</li>
 * <li>{@code MemoryStorage} is thread-safe: the application appends to it from its Ready
 * thread while raft reads it from the loop.</li>
 * <li>{@code Config}, {@code Ready}, {@code Status} and the other values are immutable and may
 * be shared; a {@code Config.Builder} may not.</li>
 * </ul>
 */
package org.raftexample.raft;
