package org.raftexample.server;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.raftexample.raft.Config;
import org.raftexample.raft.Peer;
import org.raftexample.raft.RaftPanicException;
import org.raftexample.raft.RawNode;
import org.raftexample.raft.SnapshotStatus;
import org.raftexample.raft.StateType;
import org.raftexample.raft.Status;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.Message;
import org.raftexample.transport.MessageDroppedException;
import org.raftexample.transport.RaftReceiver;
import org.raftexample.transport.Transport;
import org.raftexample.transport.TransportConfig;
import org.raftexample.transport.TransportLimits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The glue between raft and the rest of raftexample (the original's raft.go, shaped as etcd's server
 * drives raft): it wires and starts the parts, each with one job and, where it runs, its own thread -
 *
 * <ul>
 *   <li>{@link Bootstrap}: replay of snapshot and WAL (the starting thread);</li>
 *   <li>{@link RaftStorage}: WAL and snapshot files;</li>
 *   <li>{@link RaftLoop}: ticks and Readies (thread {@code raftexample-raft-<id>});</li>
 *   <li>{@link ApplyLoop}: committed entries into the state machine, snapshots (thread
 *       {@code raftexample-apply-<id>});</li>
 *   <li>{@link LinearizableReads}: batched ReadIndex rounds;</li>
 *   <li>{@link Membership}: conf changes, removed members, learned peer URLs;</li>
 *   <li>{@link RequestRegistry}: every waiting request with its deadline, completed on its own
 *       threads (so no HTTP response is ever written on the raft or apply loop).</li>
 * </ul>
 *
 * <p>Every public-facing method may be called from any thread. The node ends in one of three ways,
 * reported by {@link #terminated()}: it was removed from the cluster (0), it hit a fatal error such as
 * a failed fsync or a corrupt WAL (1), or someone called {@link #close()}.
 */
public final class RaftNode implements RaftReceiver, AutoCloseable {

    /** Exit code of a node removed from the cluster. */
    public static final int REMOVED = 0;
    /** Exit code of a node that hit an error it cannot recover from. */
    public static final int FATAL = 1;
    /**
     * Most entries that may be committed but not yet applied before new writes are refused (etcd's
     * maxGapBetweenApplyAndCommitIndex): the apply loop is then far behind, and more writes would
     * only queue up.
     */
    static final long MAX_APPLY_GAP = 5000;

    private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);
    private static final long CLUSTER_ID = 0x1000;

    private final ServerConfig opts;
    private final StateMachine stateMachine;
    private final RequestRegistry requests;
    private final LinearizableReads reads;
    private final ProposalFilter proposals;
    private final CompletableFuture<Integer> terminated = new CompletableFuture<>();

    private RaftStorage storage;
    private Membership membership;
    private Transport transport;
    private ApplyLoop applier;
    // Set once start() has built it; the transport may call in before that (its server starts first).
    private volatile RaftLoop raftLoop;
    private volatile boolean closing;
    // Operability hooks (metrics, leader watch); set before start.
    private NodeEvents events = NodeEvents.NONE;

    /**
     * A node that will replicate {@code stateMachine} as {@code config} says; nothing runs before
     * {@link #start()}.
     *
     * @param config who this node is, its peers, its directories and raft's timing
     * @param stateMachine the application's state
     */
    public RaftNode(ServerConfig config, StateMachine stateMachine) {
        this.opts = config;
        this.stateMachine = stateMachine;
        this.requests = new RequestRegistry(config.requestTimeout());
        this.reads = new LinearizableReads(requests);
        this.proposals = new ProposalFilter(stateMachine);
    }

    /**
     * Replays the newest valid snapshot and the WAL after it into the state machine, starts raft, the
     * peer transport and the loops. Nothing is left running if it fails.
     *
     * @throws IOException when the WAL or the snapshots cannot be read
     */
    public void start() throws IOException {
        Bootstrap.Replayed replayed = Bootstrap.replay(opts, stateMachine);
        storage = replayed.storage();
        storage.wal().setSyncObserver(events::walSynced);
        membership = new Membership(opts, replayed.confState());
        membership.load();

        Config c = Config.builder()
                .id(opts.id())
                .electionTick(opts.electionTicks())
                .heartbeatTick(opts.heartbeatTicks())
                .storage(replayed.raftLog())
                .maxSizePerMsg(1024 * 1024)
                .maxInflightMsgs(256)
                .maxUncommittedEntriesSize(1L << 30)
                .preVote(opts.preVote())
                .checkQuorum(opts.checkQuorum())
                .build();

        try {
            RawNode rn = new RawNode(c);
            if (!replayed.hadWal() && !opts.join()) {
                List<Peer> peers = new ArrayList<>();
                for (int i = 1; i <= opts.cluster().size(); i++) {
                    peers.add(new Peer(i));
                }
                bootstrap(rn, peers);
            }
            // A MsgApp holds up to maxSizePerMsg of entries, or one larger entry: room for the largest value.
            TransportLimits defaults = TransportLimits.defaults();
            int maxMessage = (int) Math.max(defaults.maxMessageBytes(), opts.maxCommandBytes() + (2L << 20));
            transport = new Transport(TransportConfig.of(opts.id(), CLUSTER_ID, opts.ownPeerUrl(), this, opts.peerTls())
                    // No fixed cap on a snapshot's size: it streams to disk, and SnapshotTransfer checks free space.
                    .withLimits(defaults.withMaxMessageBytes(maxMessage).withMaxSnapshotBytes(Long.MAX_VALUE))
                    .withTraffic(events.peerTraffic()));
            transport.start();
            membership.connect(transport);
            applier = new ApplyLoop(
                    opts,
                    stateMachine,
                    membership,
                    replayed.raftLog(),
                    storage,
                    requests,
                    replayed.snapshotIndex(),
                    this::end);
            raftLoop = new RaftLoop(
                    opts,
                    rn,
                    storage,
                    replayed.raftLog(),
                    transport,
                    applier,
                    reads,
                    membership,
                    requests,
                    replayed.raftLog().initialState().hardState().getCommit(),
                    this::end);
            applier.setEvents(events);
            raftLoop.setEvents(events);
            reads.start(raftLoop::readIndex);
            applier.start(raftLoop::applyConfChange);
            raftLoop.start();
        } catch (RuntimeException e) {
            stopQuietly();
            throw e;
        }
    }

    /**
     * Writes the initial configuration of a new cluster into raft's log, as etcd's StartNode does; a
     * storage that is not empty only gets a warning (etcd's node logs and goes on).
     */
    private static void bootstrap(RawNode rn, List<Peer> peers) {
        try {
            rn.bootstrap(peers);
        } catch (RaftPanicException e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.warn("error occurred during starting a new node: {}", e.getMessage());
        }
    }

    private void end(int code) {
        // Errors caused by the stop itself (raft refusing calls, interrupted waits) are not failures.
        if (!closing) {
            terminated.complete(code);
        }
    }

    /**
     * Completes once the node has ended by itself (see the class comment); a {@link #close()} does not
     * complete it.
     *
     * @return a future of {@link #REMOVED} or {@link #FATAL}
     */
    public CompletableFuture<Integer> terminated() {
        return terminated;
    }

    /** The most entries one Ready has carried to the WAL so far (one fsync for all of them). */
    long maxEntriesPerReady() {
        return raftLoop.maxEntriesPerReady();
    }

    /**
     * The last index applied on this node.
     *
     * @return the applied index
     */
    public long appliedIndex() {
        return applier.appliedIndex();
    }

    /**
     * The highest commit index this node knows.
     *
     * @return the commit index
     */
    public long committedIndex() {
        return raftLoop.committedIndex();
    }

    RequestRegistry requests() {
        return requests;
    }

    /** The batched linearizable reads (tests, status). */
    LinearizableReads reads() {
        return reads;
    }

    /**
     * Whether this node is the leader, as of the last Ready.
     *
     * @return true on the leader
     */
    public boolean isLeader() {
        return raftLoop.isLeader();
    }

    // ---- requests from the HTTP side ------------------------------------------------------------

    /**
     * Hands an encoded entry to raft; the future completes when raft has taken it and fails if raft
     * drops it, if the node is too far behind in applying (then {@link Overloaded}), or if it stops.
     * Cancelling the future withdraws a proposal raft has not taken yet.
     */
    void propose(ByteString data, long id, CompletableFuture<?> request) {
        long gap = raftLoop.committedIndex() - applier.appliedIndex();
        if (gap > MAX_APPLY_GAP) {
            requests.fail(id, new Overloaded("too many requests: " + gap + " committed entries wait to be applied"));
            return;
        }
        raftLoop.propose(data, id, request);
    }

    /**
     * Proposes {@code command} to the cluster; on any member (a follower forwards it to the leader).
     * The future completes with what {@link StateMachine#apply} returned for it on this node, once the
     * command is committed and applied here. It fails with {@link Overloaded} when the node cannot
     * take it now (it is far behind in applying, or its raft loop's inbox is full: not applied, safe to
     * retry), with {@link IllegalArgumentException} when it is larger than
     * {@link ServerConfig#maxCommandBytes()} (not proposed), with {@link java.util.concurrent.TimeoutException} at the request deadline (outcome
     * unknown), or when raft drops it or the node stops. Cancelling the future withdraws a proposal that
     * raft has not taken yet.
     *
     * @param command the application's command; not copied, so it must not change afterwards
     * @param <T> the type of what {@link StateMachine#apply} returns for this command (as MicroRaft's
     *     {@code replicate} does, the caller names it; a wrong one fails where the result is used)
     * @return the future of the apply result
     */
    public <T> CompletableFuture<T> propose(ByteString command) {
        if (command.size() > opts.maxCommandBytes()) {
            // Peer messages are sized for the largest command: a larger one could never be replicated.
            return CompletableFuture.failedFuture(new IllegalArgumentException("a command of " + command.size()
                    + " bytes is larger than maxCommandBytes (" + opts.maxCommandBytes() + ")"));
        }
        long id = requests.nextId();
        CompletableFuture<T> done = requests.register(id);
        propose(Proposal.encode(opts.id(), id, command), id, done);
        return done;
    }

    /**
     * {@link #propose(ByteString)} of a copy of {@code command}.
     *
     * @param command the application's command
     * @param <T> the type of the apply result
     * @return the future of the apply result
     */
    public <T> CompletableFuture<T> propose(byte[] command) {
        return propose(ByteString.copyFrom(command));
    }

    /**
     * Proposes raw entry data that no request waits for and no header frames (tests): completes once
     * raft has taken the entry, fails if raft drops it or the node is too far behind in applying.
     */
    CompletableFuture<Void> proposeRaw(byte[] data) {
        long gap = raftLoop.committedIndex() - applier.appliedIndex();
        if (gap > MAX_APPLY_GAP) {
            return CompletableFuture.failedFuture(
                    new Overloaded("too many requests: " + gap + " committed entries wait to be applied"));
        }
        return raftLoop.propose(ByteString.copyFrom(data));
    }

    /**
     * Completes once this node has applied everything that was committed when the call was made
     * (a batched ReadIndex round, see {@link LinearizableReads}), so that a read of the state after it
     * is linearizable; fails at the request deadline, or at once while there is no leader.
     *
     * @return the future of the barrier
     */
    public CompletableFuture<Void> readBarrier() {
        return reads.barrier();
    }

    /**
     * Proposes adding a voter reachable at {@code peerUrl}, which is then started with
     * {@link ServerConfig#join()}; completes once the change is applied here.
     *
     * @param nodeId the new member's id
     * @param peerUrl the new member's peer URL
     * @return the future of the change
     */
    public CompletableFuture<Void> addNode(long nodeId, URI peerUrl) {
        return proposeConfChange(ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(nodeId)
                .setContext(ByteString.copyFromUtf8(peerUrl.toString())));
    }

    /**
     * Proposes removing a member; completes once the change is applied here. The removed node stops
     * with {@link #REMOVED}.
     *
     * @param nodeId the member's id
     * @return the future of the change
     */
    public CompletableFuture<Void> removeNode(long nodeId) {
        return proposeConfChange(ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeRemoveNode)
                .setNodeId(nodeId));
    }

    private CompletableFuture<Void> proposeConfChange(ConfChange.Builder builder) {
        long id = requests.nextId();
        ConfChange cc = builder.setId(id).build();
        CompletableFuture<Void> done = requests.register(id);
        raftLoop.proposeConfChange(cc, id, done);
        return done;
    }

    // ---- the transport's callbacks -------------------------------------------------------------

    @Override
    public void process(Message m) throws MessageDroppedException {
        if (!proposals.admit(m)) {
            return; // a proposal no member could apply must never reach the log (issue 13)
        }
        RaftLoop loop = raftLoop;
        if (loop == null || !loop.step(m)) {
            // Not started yet (the transport listens before the raft loop exists), or the inbox is full.
            throw new MessageDroppedException(m.getType(), m.getFrom()); // the sender must not count it delivered
        }
    }

    @Override
    public boolean isIdRemoved(long id) {
        return membership.isRemoved(id);
    }

    @Override
    public void reportUnreachable(long id) {
        RaftLoop loop = raftLoop;
        if (loop != null) {
            loop.reportUnreachable(id);
        }
    }

    @Override
    public void reportSnapshot(long id, SnapshotStatus status) {
        RaftLoop loop = raftLoop;
        if (loop != null) {
            loop.reportSnapshot(id, status);
        }
    }

    // Snapshots are streamed to and from their files, never held whole in memory (SnapshotTransfer).
    @Override
    public void processSnapshot(Message header, java.io.InputStream data, long size) throws Exception {
        // Only a snapshot raft may install is read back through its checksum first: one of a term that is
        // over, or at or below the commit index, is ignored by raft and its file never used.
        RaftLoop loop = raftLoop;
        if (loop == null) {
            throw new MessageDroppedException(header.getType(), header.getFrom());
        }
        Status st = loop.status();
        boolean installable = Long.compareUnsigned(header.getTerm(), st.term()) >= 0
                && Long.compareUnsigned(header.getSnapshot().getMetadata().getIndex(), st.commit()) > 0;
        Message m = new SnapshotTransfer(storage.snapshotter(), stateMachine).receive(header, data, size, installable);
        if (!loop.step(m)) {
            throw new MessageDroppedException(m.getType(), m.getFrom());
        }
    }

    @Override
    public SnapshotBody openSnapshot(Message m) throws IOException {
        return new SnapshotTransfer(storage.snapshotter(), stateMachine).open(m);
    }

    /** The transport, for tests that check which peers it reaches. */
    Transport transport() {
        return transport;
    }

    /** The durable storage, for tests that slow its writes down. */
    RaftStorage storage() {
        return storage;
    }

    /**
     * Records the stages of every entry (diagnostics: {@code scripts/bench-glue --stages}).
     *
     * @param t the tracer, or null to stop tracing
     */
    public void setTracer(GlueTracer t) {
        raftLoop.setTracer(t);
        applier.setTracer(t);
    }

    /**
     * Asks raft to hand leadership to member {@code to} (raft's TransferLeadership; only a leader acts
     * on it). Returns at once; watch {@link #status()} to see it happen.
     *
     * @param to the member that should lead
     */
    public void transferLeadership(long to) {
        raftLoop.transferLeadership(to);
    }

    /**
     * Raft's status, taken by the raft loop.
     *
     * @return the status
     */
    public Status status() {
        return raftLoop.status();
    }

    /**
     * Raft's status as the raft loop last published it, and when: at every tick, after a Ready that
     * changed this node's role or leader, and after a conf change is applied, before its proposer
     * hears back (a configuration or term that arrives with a snapshot, with no change of role, is
     * published at the next tick). Unlike {@link #status()} it never waits for the raft loop, which a
     * WAL fsync on a stalled disk, or a wait for the apply loop, can hold up; the status's age then
     * tells how long.
     *
     * @return the status and when it was taken
     * @throws IllegalStateException before {@link #start()}
     * @throws org.raftexample.raft.NodeStoppedException once the raft loop has ended
     */
    public PublishedStatus publishedStatus() {
        RaftLoop loop = raftLoop;
        if (loop == null) {
            throw new IllegalStateException("node not started");
        }
        return loop.publishedStatus();
    }

    // ---- operability (see RaftNodeView): hooks and read-only views, any thread -------------------

    /**
     * Sets who hears about state changes, syncs, snapshots and peer traffic (metrics); call before
     * {@link #start()}.
     *
     * @param events the listener
     */
    public void setEvents(NodeEvents events) {
        this.events = events;
    }

    /**
     * The index of the newest snapshot saved or restored here.
     *
     * @return the snapshot index
     */
    public long snapshotIndex() {
        return applier.snapshotIndex();
    }

    /**
     * How many ReadIndex rounds this node has started for linearizable reads; each serves every read
     * that waited when it started, so reads divided by rounds is the batching at work.
     *
     * @return the count since start
     */
    public long readIndexRounds() {
        return reads.rounds();
    }

    /**
     * How many proposals from peers were dropped because no member could apply them
     * ({@link StateMachine#accepts}).
     *
     * @return the count since start
     */
    public long proposalsFiltered() {
        return proposals.droppedCount();
    }

    /**
     * The cluster id the transport checks.
     *
     * @return the cluster id
     */
    public long clusterId() {
        return CLUSTER_ID;
    }

    /**
     * Peer URLs by id: the configured cluster, then the members added at run time.
     *
     * @return a new map, by unsigned id
     */
    public Map<Long, String> peerUrls() {
        Map<Long, String> urls = new java.util.TreeMap<>(Long::compareUnsigned);
        for (int i = 1; i <= opts.cluster().size(); i++) {
            urls.put((long) i, opts.cluster().get(i - 1).toString());
        }
        urls.putAll(membership.learnedPeers());
        return urls;
    }

    /**
     * Whether the transport is in contact with member {@code id} now.
     *
     * @param id a member's id
     * @return true when a connection to it is up
     */
    public boolean peerActive(long id) {
        Transport t = transport;
        return t != null && t.activeSince(id).isPresent();
    }

    // ---- shutdown --------------------------------------------------------------------------------

    /**
     * Hands leadership over if this node leads, stops the transport, raft and the loops, then closes the
     * WAL; waiting requests fail. Idempotent.
     */
    @Override
    public void close() {
        handOverLeadership();
        closing = true;
        stopQuietly();
        requests.close();
    }

    /**
     * A leader that stops on purpose hands leadership to the most up-to-date follower first, as etcd
     * does: the others then need not wait an election timeout, and writes sent to them meanwhile are
     * not forwarded to a leader that is gone.
     */
    private void handOverLeadership() {
        if (closing || raftLoop == null || !raftLoop.isAlive() || terminated.isDone()) {
            return;
        }
        try {
            Status st = raftLoop.status();
            if (st.raftState() != StateType.StateLeader) {
                return;
            }
            long target = handOverTarget(st, opts.id(), this::peerActive);
            if (target == 0) {
                LOG.info("no follower is both reachable and replicating: stopping without a leadership transfer");
                return;
            }
            LOG.info("transferring leadership to {} before stopping", target);
            raftLoop.transferLeadership(target);
            long deadline = System.nanoTime() + opts.tickInterval().toNanos() * opts.electionTicks();
            while (System.nanoTime() < deadline && raftLoop.status().lead() == opts.id()) {
                Thread.sleep(Math.max(1, opts.tickInterval().toMillis() / 2));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("could not hand over leadership: {}", e.toString());
        }
    }

    /**
     * The follower to hand leadership to: a voter the transport is in contact with now, whose log is
     * being replicated, the one with the highest match index; 0 if there is none. A stopped follower
     * must never be chosen (the cluster would then wait out an election timeout with no leader), and
     * raft's own recentActive flag may still be set for one that stopped a moment ago.
     */
    static long handOverTarget(Status st, long self, java.util.function.LongPredicate connected) {
        long target = 0;
        long bestMatch = -1;
        for (Map.Entry<Long, Progress> e : st.progress().entrySet()) {
            long id = e.getKey();
            Progress pr = e.getValue();
            if (id == self
                    || pr.isLearner()
                    || !connected.test(id)
                    || pr.state() != org.raftexample.raft.tracker.ProgressState.StateReplicate) {
                continue;
            }
            if (pr.match() > bestMatch) {
                target = id;
                bestMatch = pr.match();
            }
        }
        return target;
    }

    private void stopQuietly() {
        closing = true;
        if (raftLoop != null) {
            raftLoop.markStopping();
        }
        if (applier != null) {
            applier.markStopping();
        }
        if (transport != null) {
            try {
                transport.stop();
            } catch (RuntimeException e) {
                LOG.warn("stopping the transport: {}", e.toString());
            }
        }
        if (raftLoop != null) {
            raftLoop.stop();
        }
        if (applier != null) {
            applier.stop();
        }
        if (storage != null) {
            try {
                storage.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the WAL: {}", e.toString());
            }
        }
    }
}
