package org.raftexample.server;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.IntConsumer;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.snap.Snapshotter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apply loop (etcd's {@code applyAll}): applies what the raft loop hands over, in log order, on
 * its own thread, while the raft loop goes on persisting and sending the next Readies.
 *
 * <p>For each {@link ToApply}: restore a snapshot (once it is durable), apply the committed entries
 * to the state machine and conf changes to raft and the transport, release the reads and requests
 * waiting for that index, then, once the Ready is durable, maybe take a point-in-time view of the
 * state for a snapshot, which the {@link SnapshotWriter} writes on its own thread.
 *
 * <p>Threads: everything here but {@link #submit} and {@link #stop} runs on the apply thread, which
 * owns the state machine's write side, the applied index and the decision to take a snapshot; the
 * snapshot index is also advanced by the snapshot writer's thread, under this object's lock.
 * {@link #submit} is called by the raft loop only; the queue between them is bounded, and fills only
 * when applying falls far behind (admission control refuses new writes long before that, see
 * {@link #backlog}).
 */
final class ApplyLoop {

    private static final Logger LOG = LoggerFactory.getLogger(ApplyLoop.class);
    /** Readies that may wait to be applied; raft's per-Ready size limit bounds each. */
    static final int QUEUE_CAPACITY = 1024;

    private final ServerConfig opts;
    private final StateMachine stateMachine;
    private final Membership membership;
    private final MemoryStorage raftLog;
    private final RaftStorage storage;
    private final RequestRegistry requests;
    private final IntConsumer onEnd;
    private final BlockingQueue<ToApply> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private Membership.ConfApplier raft;
    private Thread thread;
    private volatile boolean stopping;

    // Apply thread only (published for status through volatile reads).
    private volatile long appliedIndex;
    private volatile GlueTracer tracer;
    private volatile long snapshotIndex; // also advanced by the snapshot writer, under this lock
    private volatile long maxViewNanos;
    // Operability hooks (metrics); set before start. snapshotStarted: when the snapshot in the writer began.
    private volatile NodeEvents events = NodeEvents.NONE;
    private volatile long snapshotStarted;
    // Apply thread only: when the next snapshot is due, and the entry bytes applied since the last one.
    private final SnapshotPolicy snapshotPolicy;
    private long bytesSinceSnapshot;
    // Set when a durable store was ahead of the snapshot at start (see applySnapshot).
    private boolean storeAhead;
    private final SnapshotWriter snapshots;

    ApplyLoop(
            ServerConfig opts,
            StateMachine stateMachine,
            Membership membership,
            MemoryStorage raftLog,
            RaftStorage storage,
            RequestRegistry requests,
            long snapshotIndex,
            IntConsumer onEnd) {
        this.opts = opts;
        this.stateMachine = stateMachine;
        this.membership = membership;
        this.raftLog = raftLog;
        this.storage = storage;
        this.requests = requests;
        this.snapshotIndex = snapshotIndex;
        // A store on disk may hold more than the snapshot: entries up to its own index are not applied again.
        this.appliedIndex = Math.max(snapshotIndex, stateMachine.durableAppliedIndex());
        this.storeAhead = appliedIndex > snapshotIndex;
        this.onEnd = onEnd;
        this.snapshotPolicy = SnapshotPolicy.of(opts.snapshotCount(), opts.snapshotLogPercent());
        this.snapshots = new SnapshotWriter(opts, raftLog, storage, this::snapshotSaved, index -> {
            if (!stopping) {
                onEnd.accept(RaftNode.FATAL);
            }
        });
        snapshots.setLastSnapshotBytes(snapshotFileBytes(raftLog.snapshot().getMetadata()));
        requests.appliedTo(appliedIndex);
    }

    void setEvents(NodeEvents events) {
        this.events = events;
    }

    void start(Membership.ConfApplier raftLoop) {
        this.raft = raftLoop;
        thread = new Thread(this::run, "raftexample-apply-" + opts.id());
        thread.start();
    }

    /** Hands a Ready's committed entries and snapshot over (raft loop); blocks only if far behind. */
    void submit(ToApply ap) throws InterruptedException {
        queue.put(ap);
    }

    void setTracer(GlueTracer t) {
        this.tracer = t;
    }

    long appliedIndex() {
        return appliedIndex;
    }

    long snapshotIndex() {
        return snapshotIndex;
    }

    /** Readies handed over but not applied yet. */
    int backlog() {
        return queue.size();
    }

    private void run() {
        try {
            while (!stopping) {
                ToApply ap = queue.take();
                if (!applyAll(ap)) {
                    LOG.info("I've been removed from the cluster! Shutting down.");
                    onEnd.accept(RaftNode.REMOVED);
                    return;
                }
            }
        } catch (InterruptedException e) {
            if (!stopping) {
                LOG.error("fatal: apply loop interrupted");
                onEnd.accept(RaftNode.FATAL);
            }
        } catch (Throwable t) {
            if (!stopping) {
                LOG.error("fatal: cannot apply", t);
                onEnd.accept(RaftNode.FATAL);
            }
        }
    }

    /** Applies one Ready's worth; returns false once this node has been removed. */
    private boolean applyAll(ToApply ap) throws InterruptedException, InvalidProtocolBufferException {
        if (ap.snapshot != null) {
            // The raft loop writes the snapshot file and its WAL marker first.
            ap.persisted.await();
            applySnapshot(ap.snapshot);
        }
        boolean removedSelf = applyEntries(ap);
        requests.appliedTo(appliedIndex);
        ap.applied.countDown();
        if (removedSelf) {
            return false;
        }
        // A snapshot must not cover entries the local log does not hold yet.
        ap.persisted.await();
        maybeTriggerSnapshot();
        return true;
    }

    private void applySnapshot(Snapshot snap) {
        long index = snap.getMetadata().getIndex();
        if (index <= appliedIndex && storeAhead) {
            // The store applied entries past the commit index its WAL holds (the leader applies while
            // it persists): raft may send an older snapshot; restoring it and re-applying is correct.
            LOG.info("restoring snapshot {} below the store's applied index {}", index, appliedIndex);
        } else if (index <= appliedIndex) {
            throw new IllegalStateException("snapshot index [" + Long.toUnsignedString(index)
                    + "] should > progress.appliedIndex [" + Long.toUnsignedString(appliedIndex) + "]");
        }
        LOG.info("applying snapshot at index {}", Long.toUnsignedString(index));
        // A snapshot from the leader arrives without data: its data was written to its file as it came.
        try (InputStream in = snap.getData().isEmpty()
                ? storage.snapshotter()
                        .file(snap.getMetadata().getTerm(), index)
                        .orElseThrow(() -> new IllegalStateException("no file for the snapshot at index " + index))
                        .openData()
                : snap.getData().newInput()) {
            stateMachine.restore(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restore the snapshot at index " + index, e);
        }
        membership.restored(snap.getMetadata().getConfState());
        synchronized (this) {
            snapshotIndex = index;
        }
        appliedIndex = index;
        bytesSinceSnapshot = 0;
        snapshots.setLastSnapshotBytes(snapshotFileBytes(snap.getMetadata()));
        LOG.info("applied snapshot at index {}", Long.toUnsignedString(index));
    }

    /**
     * Applies the entries not applied yet. A restart may hand out some a snapshot already holds
     * (skipped) and, with a store on disk, some the store applied before it stopped (only their conf
     * changes are applied, to raft).
     */
    private boolean applyEntries(ToApply ap) throws InvalidProtocolBufferException {
        List<Entry> ents = ap.entries;
        if (ents.isEmpty()) {
            return false;
        }
        long first = ents.get(0).getIndex();
        if (first > appliedIndex + 1) {
            throw new IllegalStateException("first index of committed entry[" + Long.toUnsignedString(first)
                    + "] should <= progress.appliedIndex[" + Long.toUnsignedString(appliedIndex) + "]+1");
        }
        long applied = appliedIndex;
        boolean removedSelf = false;
        // Entries a snapshot holds are skipped whole (its configuration is raft's already).
        long inSnapshot = snapshotIndex;
        for (int i = (int) Math.max(0, Math.min(inSnapshot, applied) - first + 1), n = ents.size(); i < n; i++) {
            Entry e = ents.get(i);
            // At or below the applied index only after a restart with a store on disk that applied it
            // already: its data is not applied again, but a conf change still goes to raft, which
            // restarted from the snapshot's configuration (etcd applies those to raft alike).
            boolean inStore = Long.compareUnsigned(e.getIndex(), appliedIndex) <= 0;
            switch (e.getType()) {
                case EntryNormal -> {
                    if (!inStore && !e.getData().isEmpty()) {
                        applyCommand(e);
                        bytesSinceSnapshot += e.getData().size();
                    }
                }
                case EntryConfChange -> {
                    ConfChange cc = decodeConfChange(e);
                    removedSelf = membership.apply(raft, cc);
                    if (!inStore) {
                        answerConfChange(ap, cc.getId());
                    }
                }
                case EntryConfChangeV2 -> {
                    ConfChangeV2 cc = decodeConfChangeV2(e);
                    if (cc == null) {
                        membership.apply(raft, IGNORED_CONF_CHANGE);
                    } else {
                        membership.apply(raft, cc);
                    }
                }
                default -> throw new IllegalStateException("unknown entry type " + e.getType());
            }
            applied = Math.max(applied, e.getIndex());
            if (removedSelf) {
                break;
            }
        }
        appliedIndex = applied;
        GlueTracer t = tracer;
        if (t != null) {
            t.at(GlueTracer.Stage.APPLIED, applied, System.nanoTime());
        }
        return removedSelf;
    }

    /**
     * Hands a normal entry's command to the state machine and, when this node proposed it, its result
     * to the waiting request. An entry whose header does not decode (forged, or damaged past what a CRC
     * catches) goes to the state machine whole, which skips it as it skips any command it cannot read.
     */
    private void applyCommand(Entry e) {
        Proposal p = Proposal.decode(e.getData());
        if (p == null) {
            stateMachine.apply(e.getIndex(), e.getData());
            return;
        }
        Object result = stateMachine.apply(e.getIndex(), p.command());
        if (p.proposer() == opts.id() && p.requestId() != 0) {
            requests.applied(p.requestId(), result);
        }
    }

    /**
     * A conf change that raft must apply but that does not decode (forged, or a bit flip no CRC
     * caught) is applied as the change of node 0, which raft ignores - what etcd's server applies
     * for a change it rejects - on every member alike, so the replicas stay identical.
     */
    private static final ConfChange IGNORED_CONF_CHANGE =
            ConfChange.newBuilder().setNodeId(0).build();

    private static ConfChange decodeConfChange(Entry e) {
        try {
            return ConfChange.parseFrom(e.getData());
        } catch (InvalidProtocolBufferException ex) {
            logUndecodable(e);
            return IGNORED_CONF_CHANGE;
        }
    }

    private static ConfChangeV2 decodeConfChangeV2(Entry e) {
        try {
            return ConfChangeV2.parseFrom(e.getData());
        } catch (InvalidProtocolBufferException ex) {
            logUndecodable(e);
            return null;
        }
    }

    private static void logUndecodable(Entry e) {
        LOG.error(
                "skipping the committed {} at index {}: it does not decode ({} bytes)",
                e.getType(),
                Long.toUnsignedString(e.getIndex()),
                e.getData().size());
    }

    /** The proposer of a conf change hears back only once raft has advanced past it (etcd #15528). */
    private void answerConfChange(ToApply ap, long id) {
        if (id != 0 && requests.isWaiting(id)) {
            ap.advanced.thenRun(() -> requests.trigger(id, null));
        }
    }

    /**
     * When the {@link SnapshotPolicy} says so (every {@code --snapshot-count} entries while the state is
     * small, less often as it grows): takes a point-in-time view of the state (cheap, here on the apply
     * thread, so it holds exactly the entries up to the applied index) and hands it to the snapshot
     * writer, which writes, records and compacts on its own thread.
     */
    private void maybeTriggerSnapshot() {
        if (snapshots.busy()
                || !snapshotPolicy.due(
                        appliedIndex - snapshotIndex, bytesSinceSnapshot, snapshots.lastSnapshotBytes())) {
            return;
        }
        bytesSinceSnapshot = 0;
        long index = appliedIndex;
        LOG.info("start snapshot [applied index: {} | last snapshot index: {}]", index, snapshotIndex);
        long t0 = System.nanoTime();
        snapshotStarted = t0;
        StateMachine.View view = stateMachine.view();
        maxViewNanos = Math.max(maxViewNanos, System.nanoTime() - t0);
        snapshots.trySubmit(index, membership.confState(), view);
    }

    /**
     * The size of the snapshot file of {@code md} (its data and a few bytes of framing), 0 when there
     * is none: what the {@link SnapshotPolicy} weighs. The file's length only; its checksum was checked
     * when it was loaded or received, and reading the whole file again here would cost a pass over
     * the state at every start and every installed snapshot.
     */
    private long snapshotFileBytes(SnapshotMetadata md) {
        if (md.getIndex() == 0) {
            return 0;
        }
        try {
            return Files.size(storage.snapshotter().dir().resolve(Snapshotter.fileName(md.getTerm(), md.getIndex())));
        } catch (IOException e) {
            return 0;
        }
    }

    /** The snapshot writer tells: the snapshot at {@code index} is durable and the log compacted. */
    private void snapshotSaved(long index) {
        events.snapshotSaved(index, System.nanoTime() - snapshotStarted);
        // Never backwards: a snapshot installed from the leader meanwhile may be newer.
        synchronized (this) {
            if (index > snapshotIndex) {
                snapshotIndex = index;
            }
        }
    }

    /** The longest the apply thread spent taking a snapshot's view (the benchmark reports it). */
    long maxViewNanos() {
        return maxViewNanos;
    }

    SnapshotWriter snapshots() {
        return snapshots;
    }

    /** Marks the loop as stopping, so that what the stop does to its calls is not taken for a failure. */
    void markStopping() {
        stopping = true;
    }

    /** Stops the apply thread and waits for it (not from the apply thread itself). */
    void stop() {
        stopping = true;
        LoopThreads.interruptAndJoin(thread, "apply loop", LOG);
        snapshots.stop();
    }
}
