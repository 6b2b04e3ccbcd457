package org.raftexample.kvstore;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.raftexample.raft.CompactedException;
import org.raftexample.raft.Config;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raft.Node;
import org.raftexample.raft.NodeStoppedException;
import org.raftexample.raft.Peer;
import org.raftexample.raft.ReadState;
import org.raftexample.raft.Ready;
import org.raftexample.raft.SnapshotStatus;
import org.raftexample.raft.StateType;
import org.raftexample.raft.Status;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.snap.Snapshotter;
import org.raftexample.transport.Raft;
import org.raftexample.transport.Transport;
import org.raftexample.transport.TransportConfig;
import org.raftexample.transport.TransportError;
import org.raftexample.transport.TransportLimits;
import org.raftexample.wal.WAL;
import org.raftexample.wal.WalContents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The glue between raft and the rest of raftexample (the original's raft.go): it persists what raft
 * hands out, sends it to the peers, applies committed entries to the {@link StateMachine}, takes
 * snapshots, and keeps raft's clock ticking.
 *
 * <p>One loop thread owns the WAL, the snapshotter and the apply path; every other method may be called
 * from any thread. The node ends in one of three ways, reported by {@link #terminated()}: it was removed
 * from the cluster (0), it hit a fatal error such as a failed fsync or a corrupt WAL (1), or someone
 * called {@link #close()}.
 */
final class RaftNode implements Raft, AutoCloseable {

    /** Exit code of a node removed from the cluster. */
    static final int REMOVED = 0;
    /** Exit code of a node that hit an error it cannot recover from. */
    static final int FATAL = 1;

    private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);
    private static final long CLUSTER_ID = 0x1000;

    private final Options opts;
    private final StateMachine stateMachine;
    private final AppliedIndex applied;
    private final CompletableFuture<Integer> terminated = new CompletableFuture<>();
    private final Map<ByteString, PendingRead> pendingReads = new ConcurrentHashMap<>();
    private final Map<Long, PendingConfChange> pendingConfChanges = new ConcurrentHashMap<>();
    private final Set<Long> removedIds = ConcurrentHashMap.newKeySet();
    private final AtomicLong nextId = new AtomicLong(new SecureRandom().nextLong() & Long.MAX_VALUE | 1);

    // Owned by the loop thread once started.
    private ConfState confState = ConfState.getDefaultInstance();
    private volatile long snapshotIndex; // written by the loop only; volatile for the status endpoint
    private long appliedIndex;
    // Operability hooks (metrics, leader watch); set before start, called from the loop.
    private NodeEvents events = NodeEvents.NONE;

    // Peer URLs learned from conf changes (loop thread; loaded at start), persisted as a hint.
    private final Map<Long, String> learnedPeers = new java.util.TreeMap<>(Long::compareUnsigned);
    // What the operational endpoints read: a copy of learnedPeers, replaced whenever it changes.
    private volatile Map<Long, String> learnedPeersView = Map.of();
    private PeerDirectory peerDirectory;

    private MemoryStorage storage;
    private WAL wal;
    private Snapshotter snapshotter;
    private Node node;
    private Transport transport;
    private Thread loop;
    private volatile boolean closing;
    // Largest number of entries persisted by one Ready: shows proposals being batched (tests, logs).
    private final AtomicLong maxEntriesPerReady = new AtomicLong();

    /** A ReadIndex request waiting for its ReadState; {@code ticks} counts loop ticks since it was last sent. */
    private static final class PendingRead {
        final CompletableFuture<Long> result = new CompletableFuture<>();
        int ticks;
    }

    /**
     * Ticks after which an unanswered ReadIndex request is sent again: raft drops one silently when
     * no leader is known (e.g. right after a restart), and the client should not pay for that with
     * a 503 if a leader shows up within its timeout.
     */
    private static final int READ_RETRY_TICKS = 5;

    /** A configuration change proposed here, waiting to be applied. */
    private record PendingConfChange(ConfChange change, CompletableFuture<Void> done) {
    }

    RaftNode(Options opts, StateMachine stateMachine, AppliedIndex applied) {
        this.opts = opts;
        this.stateMachine = stateMachine;
        this.applied = applied;
    }

    /**
     * Replays the newest valid snapshot and the WAL after it, starts raft, the peer transport and the
     * loop. Throws if any of that fails; nothing is left running then.
     */
    void start() throws IOException {
        Files.createDirectories(opts.snapDir());
        snapshotter = new Snapshotter(opts.snapDir());
        peerDirectory = new PeerDirectory(opts.snapDir());
        try {
            learnedPeers.putAll(peerDirectory.load());
            learnedPeersView = Map.copyOf(learnedPeers);
        } catch (IOException e) {
            // Only a hint (membership is raft's): a damaged file must not keep the node down. It is
            // set aside for the operator; the next conf change writes a fresh one.
            LOG.warn("ignoring unreadable {} (moved to {}.broken): {}", PeerDirectory.FILE_NAME,
                    PeerDirectory.FILE_NAME, e.toString());
            peerDirectory.setAside();
        }
        boolean oldWal = WAL.exists(opts.walDir());
        wal = replayWal(oldWal);
        wal.setSyncObserver(events::walSynced);

        Config c = new Config();
        c.id = opts.id();
        c.electionTick = opts.electionTicks();
        c.heartbeatTick = opts.heartbeatTicks();
        c.storage = storage;
        c.maxSizePerMsg = 1024 * 1024;
        c.maxInflightMsgs = 256;
        c.maxUncommittedEntriesSize = 1L << 30;
        c.preVote = opts.preVote();
        c.checkQuorum = opts.checkQuorum();

        try {
            if (oldWal || opts.join()) {
                node = Node.restart(c);
            } else {
                List<Peer> peers = new ArrayList<>();
                for (int i = 1; i <= opts.cluster().size(); i++) {
                    peers.add(new Peer(i));
                }
                node = Node.start(c, peers);
            }
            // A MsgApp holds up to maxSizePerMsg of entries, or one larger entry: room for the largest value.
            TransportLimits defaults = TransportLimits.defaults();
            int maxMessage = (int) Math.max(defaults.maxMessageBytes(), opts.maxValueBytes() + (2L << 20));
            transport = new Transport(TransportConfig.of(opts.id(), CLUSTER_ID, opts.ownPeerUrl(), this)
                    .withLimits(defaults.withMaxMessageBytes(maxMessage)).withTraffic(events.peerTraffic()));
            transport.start();
            for (int i = 1; i <= opts.cluster().size(); i++) {
                if (i != opts.id()) {
                    transport.addPeer(i, List.of(opts.cluster().get(i - 1).toString()));
                }
            }
            // Members added at run time, whose ConfChange may be compacted away by now.
            for (Map.Entry<Long, String> p : learnedPeers.entrySet()) {
                long id = p.getKey();
                if (id != opts.id() && (id < 1 || id > opts.cluster().size())) {
                    addPeer(id, p.getValue());
                }
            }
        } catch (RuntimeException e) {
            stopQuietly();
            throw e;
        }
        loop = new Thread(this::run, "raftexample-loop-" + opts.id());
        loop.start();
    }

    /** Completes with the exit code once the node has ended by itself (see the class comment). */
    CompletableFuture<Integer> terminated() {
        return terminated;
    }

    /** The most entries one Ready has carried to the WAL so far (one fsync for all of them). */
    long maxEntriesPerReady() {
        return maxEntriesPerReady.get();
    }

    // ---- requests from the HTTP side ------------------------------------------------------------

    /** Hands an encoded entry to raft; the future fails if raft drops it. */
    CompletableFuture<Void> propose(byte[] data) {
        try {
            return node.propose(data);
        } catch (NodeStoppedException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Asks raft for a read index; completes with it once the leader has confirmed its leadership.
     * Gives up after the request timeout, so that a lost request does not linger.
     */
    CompletableFuture<Long> readIndex() {
        long id = nextId.getAndIncrement();
        ByteString ctx = ByteString.copyFrom(ByteBuffer.allocate(Long.BYTES).putLong(id).flip());
        PendingRead read = new PendingRead();
        pendingReads.put(ctx, read);
        read.result.orTimeout(opts.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((v, e) -> pendingReads.remove(ctx));
        forwardFailure(() -> node.readIndex(ctx.toByteArray()), read.result);
        return read.result;
    }

    /** Proposes adding a voter at {@code peerUrl}; completes once the change is applied here. */
    CompletableFuture<Void> addNode(long nodeId, URI peerUrl) {
        return proposeConfChange(ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(nodeId)
                .setContext(ByteString.copyFromUtf8(peerUrl.toString())));
    }

    /** Proposes removing a node; completes once the change is applied here. */
    CompletableFuture<Void> removeNode(long nodeId) {
        return proposeConfChange(ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeRemoveNode)
                .setNodeId(nodeId));
    }

    private CompletableFuture<Void> proposeConfChange(ConfChange.Builder builder) {
        long id = nextId.getAndIncrement();
        ConfChange cc = builder.setId(id).build();
        CompletableFuture<Void> done = new CompletableFuture<>();
        pendingConfChanges.put(id, new PendingConfChange(cc, done));
        done.orTimeout(opts.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((v, e) -> pendingConfChanges.remove(id));
        forwardFailure(() -> node.proposeConfChange(cc), done);
        return done;
    }

    /** Runs a raft request; if raft refuses it, fails {@code target} with the reason. */
    private static void forwardFailure(Supplier<CompletableFuture<Void>> request,
            CompletableFuture<?> target) {
        try {
            CompletableFuture<Void> stepped = request.get();
            stepped.whenComplete((v, e) -> {
                if (e != null) {
                    target.completeExceptionally(e);
                }
            });
            // A caller that gave up withdraws the request if raft has not taken it yet.
            target.whenComplete((v, e) -> {
                if (e != null) {
                    stepped.cancel(false);
                }
            });
        } catch (RuntimeException e) {
            target.completeExceptionally(e);
        }
    }

    // ---- the transport's callbacks -------------------------------------------------------------

    @Override
    public void process(Message m) {
        node.step(m);
    }

    @Override
    public boolean isIdRemoved(long id) {
        return removedIds.contains(id);
    }

    @Override
    public void reportUnreachable(long id) {
        node.reportUnreachable(id);
    }

    @Override
    public void reportSnapshot(long id, SnapshotStatus status) {
        node.reportSnapshot(id, status);
    }

    // ---- startup ---------------------------------------------------------------------------------

    private WAL replayWal(boolean oldWal) {
        LOG.info("replaying WAL of member {}", opts.id());
        Snapshot snapshot = oldWal
                ? snapshotter.loadNewestAvailable(WAL.validSnapshotEntries(opts.walDir())).orElse(null)
                : null;
        if (!oldWal) {
            WAL.create(opts.walDir(), null).close();
        }
        org.raftexample.wal.pb.Snapshot walSnap = snapshot == null
                ? WAL.marker(0, 0)
                : WAL.marker(snapshot.getMetadata().getIndex(), snapshot.getMetadata().getTerm());
        LOG.info("loading WAL at term {} and index {}", walSnap.getTerm(), walSnap.getIndex());
        WAL w = WAL.open(opts.walDir(), walSnap);
        try {
            WalContents all = w.readAll();
            storage = new MemoryStorage();
            if (snapshot != null) {
                storage.applySnapshot(snapshot);
                LOG.info("loading snapshot at term {} and index {}", snapshot.getMetadata().getTerm(),
                        snapshot.getMetadata().getIndex());
                stateMachine.restore(snapshot.getData().toByteArray());
                confState = snapshot.getMetadata().getConfState();
                snapshotIndex = snapshot.getMetadata().getIndex();
                appliedIndex = snapshotIndex;
                applied.advanceTo(appliedIndex);
            }
            storage.setHardState(all.hardState());
            // Appended so that raft starts at the right place in the log.
            storage.append(all.entries());
            return w;
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
    }

    // ---- the loop --------------------------------------------------------------------------------

    private void run() {
        long tickNanos = opts.tickInterval().toNanos();
        long nextTick = System.nanoTime() + tickNanos;
        try {
            while (!closing) {
                long wait = nextTick - System.nanoTime();
                if (wait > 0) {
                    Ready rd = awaitReady(wait);
                    if (rd != null && !handleReady(rd)) {
                        return;
                    }
                }
                long now = System.nanoTime();
                if (now - nextTick >= 0) {
                    node.tick();
                    retryReads();
                    // After a long stall, tick once and resume the normal rhythm rather than fire a burst.
                    nextTick = Math.max(nextTick + tickNanos, now);
                }
                if (!checkTransport()) {
                    return;
                }
            }
        } catch (NodeStoppedException e) {
            if (!closing) {
                fatal("raft stopped unexpectedly", e.getCause() != null ? e.getCause() : e);
            }
        } catch (InterruptedException e) {
            if (!closing) {
                fatal("raft loop interrupted", e);
            }
        } catch (Throwable t) {
            if (!closing) {
                fatal("cannot go on", t);
            }
        }
    }

    /**
     * Waits up to {@code nanos} for the next Ready. On timeout the wait is cancelled, which hands a
     * Ready that is being delivered at that very moment back to the node for the next call; if the
     * Ready won the race, it is returned: a Ready the node considers delivered must never be dropped.
     */
    private Ready awaitReady(long nanos) throws InterruptedException {
        CompletableFuture<Ready> next = node.ready();
        try {
            return next.get(nanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (next.cancel(false)) {
                return null;
            }
            return readyOf(next);
        } catch (ExecutionException e) {
            throw asUnchecked(e.getCause());
        }
    }

    private static Ready readyOf(CompletableFuture<Ready> done) {
        try {
            return done.join();
        } catch (CompletionException e) {
            throw asUnchecked(e.getCause());
        }
    }

    private static RuntimeException asUnchecked(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(t);
    }

    /** Handles one Ready in the order raft requires; returns false when the node must end. */
    private boolean handleReady(Ready rd) throws InvalidProtocolBufferException {
        if (LOG.isDebugEnabled()) {
            LOG.debug("ready: hardState={} entries={} committed={} messages={} snapshot={} readStates={}",
                    rd.hardState() == null ? "-" : rd.hardState().toString().replace('\n', ' '), rd.entries().size(),
                    rd.committedEntries().size(), rd.messages().size(), rd.snapshot() != null,
                    rd.readStates().size());
        }
        if (rd.softState() != null || rd.hardState() != null) {
            events.stateChanged(rd.softState(), rd.hardState());
        }
        Snapshot snap = rd.snapshot();
        // The snapshot file and its WAL marker go first: after a crash the WAL may then point to a
        // snapshot that exists, never to one that does not.
        if (snap != null) {
            saveSnap(snap);
        }
        wal.save(rd.hardState(), rd.entries());
        maxEntriesPerReady.accumulateAndGet(rd.entries().size(), Math::max);
        if (snap != null) {
            storage.applySnapshot(snap);
            publishSnapshot(snap);
        }
        if (rd.hardState() != null) {
            storage.setHardState(rd.hardState());
        }
        storage.append(rd.entries());
        transport.send(processMessages(rd.messages(), confState));
        for (ReadState rs : rd.readStates()) {
            PendingRead read = pendingReads.get(rs.requestCtx());
            if (read != null) {
                read.result.complete(rs.index());
            }
        }
        if (!publishEntries(entriesToApply(rd.committedEntries()))) {
            LOG.info("I've been removed from the cluster! Shutting down.");
            terminated.complete(REMOVED);
            return false;
        }
        maybeTriggerSnapshot();
        node.advance();
        LOG.debug("advanced");
        return true;
    }

    private void retryReads() {
        for (Map.Entry<ByteString, PendingRead> e : pendingReads.entrySet()) {
            PendingRead read = e.getValue();
            if (++read.ticks >= READ_RETRY_TICKS && !read.result.isDone()) {
                read.ticks = 0;
                // A failure here (e.g. the node stopping) is reported by the first request's future.
                node.readIndex(e.getKey().toByteArray());
            }
        }
    }

    private boolean checkTransport() throws InterruptedException {
        TransportError err = transport.pollError(0, TimeUnit.MILLISECONDS);
        if (err == null) {
            return true;
        }
        if (err.kind() == TransportError.Kind.MEMBER_REMOVED) {
            LOG.info("a peer says this member was removed from the cluster ({}); shutting down", err.message());
            terminated.complete(REMOVED);
        } else {
            fatal("peer transport failed: " + err.message(), err.cause());
        }
        return false;
    }

    private void saveSnap(Snapshot snap) {
        snapshotter.save(snap);
        wal.saveSnapshot(WAL.marker(snap.getMetadata()));
        wal.releaseLockTo(snap.getMetadata().getIndex());
        int purged = wal.purgeReleased();
        if (purged > 0) {
            LOG.info("released {} WAL segment(s) before index {}", purged, snap.getMetadata().getIndex());
        }
    }

    private void publishSnapshot(Snapshot snap) {
        long index = snap.getMetadata().getIndex();
        if (index <= appliedIndex) {
            throw new IllegalStateException("snapshot index [" + index + "] should > progress.appliedIndex ["
                    + appliedIndex + "]");
        }
        LOG.info("publishing snapshot at index {}", index);
        stateMachine.restore(snap.getData().toByteArray());
        confState = snap.getMetadata().getConfState();
        snapshotIndex = index;
        appliedIndex = index;
        applied.advanceTo(index);
        LOG.info("finished publishing snapshot at index {}", index);
    }

    /** The committed entries not applied yet (a restart may hand out some already in a snapshot). */
    private List<Entry> entriesToApply(List<Entry> ents) {
        if (ents.isEmpty()) {
            return ents;
        }
        long first = ents.get(0).getIndex();
        if (first > appliedIndex + 1) {
            throw new IllegalStateException("first index of committed entry[" + first
                    + "] should <= progress.appliedIndex[" + appliedIndex + "]+1");
        }
        long skip = appliedIndex - first + 1;
        return skip < ents.size() ? ents.subList((int) skip, ents.size()) : List.of();
    }

    /** Applies committed entries in order; returns false when one of them removed this node. */
    private boolean publishEntries(List<Entry> ents) throws InvalidProtocolBufferException {
        boolean removedSelf = false;
        for (Entry e : ents) {
            switch (e.getType()) {
                case EntryNormal -> {
                    if (!e.getData().isEmpty()) {
                        stateMachine.apply(e.getIndex(), e.getData());
                    }
                }
                case EntryConfChange -> removedSelf = applyConfChange(ConfChange.parseFrom(e.getData()));
                case EntryConfChangeV2 -> confState = node.applyConfChange(ConfChangeV2.parseFrom(e.getData()));
                default -> throw new IllegalStateException("unknown entry type " + e.getType());
            }
            appliedIndex = e.getIndex();
            if (removedSelf) {
                break;
            }
        }
        applied.advanceTo(appliedIndex);
        return !removedSelf;
    }

    private boolean applyConfChange(ConfChange cc) {
        confState = node.applyConfChange(cc);
        boolean removedSelf = false;
        switch (cc.getType()) {
            case ConfChangeAddNode, ConfChangeAddLearnerNode -> {
                removedIds.remove(cc.getNodeId());
                if (!cc.getContext().isEmpty()) {
                    String url = cc.getContext().toStringUtf8();
                    if (cc.getNodeId() != opts.id()) {
                        addPeer(cc.getNodeId(), url);
                    }
                    rememberPeer(cc.getNodeId(), url);
                }
            }
            case ConfChangeRemoveNode -> {
                if (cc.getNodeId() == opts.id()) {
                    removedSelf = true;
                } else {
                    removedIds.add(cc.getNodeId());
                    transport.removePeer(cc.getNodeId());
                    rememberPeer(cc.getNodeId(), null);
                }
            }
            default -> {
            }
        }
        PendingConfChange pending = pendingConfChanges.get(cc.getId());
        if (pending != null && pending.change().equals(cc)) {
            pending.done().complete(null);
        }
        return removedSelf;
    }

    /**
     * Tells the transport where a member is. A URL it cannot dial (written to the log by another
     * version, or by hand) is logged and skipped: the entry is committed, so failing here would stop
     * every member each time it applies it, for good. Membership is raft's either way.
     */
    private void addPeer(long id, String url) {
        try {
            transport.addPeer(id, List.of(url));
        } catch (IllegalArgumentException e) {
            LOG.error("member {} has an unusable peer URL, it will not be reachable from here: {}",
                    Long.toUnsignedString(id), e.getMessage());
        }
    }

    /** Records a peer's URL (null: forget it) in peers.json when it changed. */
    private void rememberPeer(long id, String url) {
        boolean changed = url == null ? learnedPeers.remove(id) != null : !url.equals(learnedPeers.put(id, url));
        if (!changed) {
            return;
        }
        learnedPeersView = Map.copyOf(learnedPeers);
        try {
            peerDirectory.save(learnedPeers);
        } catch (IOException e) {
            // Only a hint for restarts (raft holds the membership); the WAL reports real disk trouble.
            LOG.warn("could not save {}: {}", PeerDirectory.FILE_NAME, e.toString());
        }
    }

    /** The transport, for tests that check which peers it reaches. */
    Transport transport() {
        return transport;
    }

    // ---- operability (see OpsNodeView): hooks and read-only views, any thread ---------------------

    /** Sets who hears about state changes, syncs, snapshots and peer traffic; call before start. */
    void setEvents(NodeEvents events) {
        this.events = events;
    }

    /** Raft's status (asks the node's loop; cheap, never waits for the disk). */
    Status status() {
        return node.status();
    }

    /** The index of the newest snapshot saved here. */
    long snapshotIndex() {
        return snapshotIndex;
    }

    /** The cluster id the transport checks. */
    long clusterId() {
        return CLUSTER_ID;
    }

    /** Peer URLs by id: the --cluster list, then the members added at run time. */
    Map<Long, String> peerUrls() {
        Map<Long, String> urls = new java.util.TreeMap<>(Long::compareUnsigned);
        for (int i = 1; i <= opts.cluster().size(); i++) {
            urls.put((long) i, opts.cluster().get(i - 1).toString());
        }
        urls.putAll(learnedPeersView);
        return urls;
    }

    /** Whether the transport is in contact with member {@code id} now. */
    boolean peerActive(long id) {
        Transport t = transport;
        return t != null && t.activeSince(id).isPresent();
    }

    private void maybeTriggerSnapshot() {
        if (appliedIndex - snapshotIndex <= opts.snapshotCount()) {
            return;
        }
        // Entries are applied synchronously above, so the state machine is exactly at appliedIndex here.
        LOG.info("start snapshot [applied index: {} | last snapshot index: {}]", appliedIndex, snapshotIndex);
        long started = System.nanoTime();
        byte[] data = stateMachine.snapshot();
        Snapshot snap = storage.createSnapshot(appliedIndex, confState, data);
        saveSnap(snap);
        events.snapshotSaved(appliedIndex, System.nanoTime() - started);
        long compactIndex = 1;
        if (appliedIndex > opts.snapshotCatchupEntries()) {
            compactIndex = appliedIndex - opts.snapshotCatchupEntries();
        }
        try {
            storage.compact(compactIndex);
            LOG.info("compacted log at index {}", compactIndex);
        } catch (CompactedException e) {
            // Already compacted further than that: nothing to do.
        }
        snapshotIndex = appliedIndex;
    }

    /**
     * The messages of a Ready, with every MsgSnap carrying the current configuration: a conf change
     * applied after the snapshot was taken would otherwise be missing from what the follower restores.
     */
    static List<Message> processMessages(List<Message> ms, ConfState confState) {
        if (ms.stream().noneMatch(m -> m.getType() == MessageType.MsgSnap)) {
            return ms; // the common case: nothing to patch, no copy per Ready
        }
        List<Message> out = new ArrayList<>(ms.size());
        for (Message m : ms) {
            if (m.getType() == MessageType.MsgSnap) {
                Snapshot s = m.getSnapshot();
                m = m.toBuilder()
                        .setSnapshot(s.toBuilder().setMetadata(s.getMetadata().toBuilder().setConfState(confState)))
                        .build();
            }
            out.add(m);
        }
        return out;
    }

    private void fatal(String what, Throwable cause) {
        LOG.error("fatal: {}", what, cause);
        terminated.complete(FATAL);
    }

    // ---- shutdown --------------------------------------------------------------------------------

    /** Stops the transport, raft and the loop, then closes the WAL; waiting requests fail. Idempotent. */
    @Override
    public void close() {
        handOverLeadership();
        closing = true;
        stopQuietly();
        RuntimeException stopped = new IllegalStateException("node is shutting down");
        pendingReads.values().forEach(r -> r.result.completeExceptionally(stopped));
        pendingConfChanges.values().forEach(p -> p.done().completeExceptionally(stopped));
        applied.failAll(stopped);
    }

    /**
     * A leader that stops on purpose hands leadership to the most up-to-date follower first, as etcd
     * does: the others then need not wait an election timeout, and writes sent to them meanwhile are
     * not forwarded to a leader that is gone.
     */
    private void handOverLeadership() {
        if (closing || node == null || loop == null || !loop.isAlive() || terminated.isDone()) {
            return;
        }
        try {
            Status st = node.status();
            if (st.raftState() != StateType.StateLeader) {
                return;
            }
            long target = handOverTarget(st, opts.id(), this::peerActive);
            if (target == 0) {
                LOG.info("no follower is both reachable and replicating: stopping without a leadership transfer");
                return;
            }
            LOG.info("transferring leadership to {} before stopping", target);
            node.transferLeadership(opts.id(), target);
            long deadline = System.nanoTime() + opts.tickInterval().toNanos() * opts.electionTicks();
            while (System.nanoTime() < deadline && node.status().lead() == opts.id()) {
                Thread.sleep(Math.max(1, opts.tickInterval().toMillis() / 2));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.warn("could not hand over leadership: {}", e.toString());
        }
    }

    /**
     * The follower to hand leadership to: a voter this node is in contact with (the transport is
     * connected, or raft heard from it within the last election timeout) whose log is being
     * replicated, the one with the highest match index; 0 if there is none. A stopped follower must
     * never be chosen: the cluster would then wait out an election timeout with no leader.
     */
    static long handOverTarget(Status st, long self, java.util.function.LongPredicate connected) {
        long target = 0;
        long bestMatch = -1;
        for (Map.Entry<Long, Progress> e : st.progress().entrySet()) {
            long id = e.getKey();
            Progress pr = e.getValue();
            boolean alive = connected.test(id) || pr.recentActive();
            if (id == self || pr.isLearner() || !alive || pr.state() != org.raftexample.raft.tracker.StateType.StateReplicate) {
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
        if (transport != null) {
            try {
                transport.stop();
            } catch (RuntimeException e) {
                LOG.warn("stopping the transport: {}", e.toString());
            }
        }
        if (node != null) {
            node.stop();
        }
        if (loop != null && loop != Thread.currentThread()) {
            try {
                loop.join(Duration.ofSeconds(10).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (loop.isAlive()) {
                LOG.warn("the raft loop did not stop within 10 s; closing the WAL anyway");
            }
        }
        if (wal != null) {
            try {
                wal.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the WAL: {}", e.toString());
            }
            wal = null;
        }
    }
}
