package org.raftexample.kvstore;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raft.Node;
import org.raftexample.raft.Ready;
import org.raftexample.raft.SoftState;
import org.raftexample.raft.StateType;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.transport.Transport;
import org.raftexample.transport.TransportError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raft loop (etcd's {@code raftNode.start}): keeps raft's clock ticking and drains every Ready in
 * the order raft requires, handing committed entries to the {@link ApplyLoop} instead of applying
 * them itself.
 *
 * <p>Per Ready: hand the committed entries (and a snapshot) to the apply loop; as leader, send the
 * messages at once, so that the leader's fsync runs while the followers write theirs (Raft thesis
 * 10.2.1: raft counts the leader's own entries toward commit only after {@code advance}, i.e. once
 * they are durable); save the snapshot file and marker, then hard state and entries to the WAL; put
 * them into MemoryStorage; as follower or candidate, send only now, after the write, and, if the
 * Ready committed a conf change, only after the apply loop has applied it; then {@code advance}.
 *
 * <p>Threads: one thread owns this loop, the WAL writes of Readies, MemoryStorage's appends and every
 * call to {@link Transport#send}. It never does work proportional to the size of the state.
 */
final class RaftLoop {

    private static final Logger LOG = LoggerFactory.getLogger(RaftLoop.class);

    private final Options opts;
    private final Node node;
    private final RaftStorage storage;
    private final MemoryStorage raftLog;
    private final Transport transport;
    private final ApplyLoop applier;
    private final LinearizableReads reads;
    private final Membership membership;
    private final IntConsumer onEnd;
    private Thread thread;
    private volatile boolean stopping;
    // Operability hooks (metrics, leader watch); set before start.
    private volatile NodeEvents events = NodeEvents.NONE;

    // Loop thread only, published for status and admission control.
    private volatile long lead;
    private volatile boolean isLeader;
    private volatile long committedIndex;
    private long maxEntriesPerReady;
    private volatile GlueTracer tracer;

    RaftLoop(
            Options opts,
            Node node,
            RaftStorage storage,
            MemoryStorage raftLog,
            Transport transport,
            ApplyLoop applier,
            LinearizableReads reads,
            Membership membership,
            long committedIndex,
            IntConsumer onEnd) {
        this.opts = opts;
        this.node = node;
        this.storage = storage;
        this.raftLog = raftLog;
        this.transport = transport;
        this.applier = applier;
        this.reads = reads;
        this.membership = membership;
        this.committedIndex = committedIndex;
        this.onEnd = onEnd;
    }

    void setEvents(NodeEvents events) {
        this.events = events;
    }

    void start() {
        thread = new Thread(this::run, "raftexample-raft-" + opts.id());
        thread.start();
    }

    long lead() {
        return lead;
    }

    boolean isLeader() {
        return isLeader;
    }

    /** The highest commit index raft has handed out (durable on this node once its Ready is saved). */
    long committedIndex() {
        return committedIndex;
    }

    synchronized long maxEntriesPerReady() {
        return maxEntriesPerReady;
    }

    void setTracer(GlueTracer t) {
        this.tracer = t;
    }

    private static void trace(GlueTracer t, GlueTracer.Stage stage, List<org.raftexample.raftpb.Entry> ents) {
        long now = System.nanoTime();
        for (int i = 0, n = ents.size(); i < n; i++) {
            t.at(stage, ents.get(i).getIndex(), now);
        }
    }

    boolean isAlive() {
        return thread != null && thread.isAlive();
    }

    private void run() {
        long tickNanos = opts.tickInterval().toNanos();
        long nextTick = System.nanoTime() + tickNanos;
        try {
            while (!stopping) {
                long wait = nextTick - System.nanoTime();
                if (wait > 0) {
                    Ready rd = awaitReady(wait);
                    if (rd != null) {
                        handleReady(rd);
                    }
                }
                long now = System.nanoTime();
                if (now - nextTick >= 0) {
                    node.tick();
                    reads.onTick();
                    // After a long stall, tick once and resume the normal rhythm rather than fire a burst.
                    nextTick = Math.max(nextTick + tickNanos, now);
                }
                if (!checkTransport()) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            if (!stopping) {
                fatal("raft loop interrupted", e);
            }
        } catch (Throwable t) {
            if (!stopping) {
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
            try {
                return next.join();
            } catch (CompletionException ce) {
                throw Failures.unchecked(ce.getCause());
            }
        } catch (ExecutionException e) {
            throw Failures.unchecked(e.getCause());
        }
    }

    private void handleReady(Ready rd) throws InterruptedException {
        if (rd.softState() != null || rd.hardState() != null) {
            events.stateChanged(rd.softState(), rd.hardState());
        }
        GlueTracer t = tracer;
        if (t != null) {
            trace(t, GlueTracer.Stage.READY, rd.entries());
            trace(t, GlueTracer.Stage.COMMITTED, rd.committedEntries());
        }
        SoftState ss = rd.softState();
        if (ss != null) {
            boolean newLeader = ss.lead() != 0 && ss.lead() != lead;
            lead = ss.lead();
            isLeader = ss.raftState() == StateType.StateLeader;
            if (newLeader) {
                reads.onLeaderChange();
            }
        }
        if (!rd.readStates().isEmpty()) {
            reads.onReadStates(rd.readStates());
        }
        Snapshot snap = rd.snapshot();
        boolean confChanged = ToApply.hasConfChange(rd.committedEntries());
        ToApply ap = new ToApply(rd.committedEntries(), snap, confChanged);
        if (snap != null || !rd.committedEntries().isEmpty()) {
            applier.submit(ap);
        }

        boolean leader = isLeader;
        if (leader) {
            transport.send(processMessages(rd.messages(), membership.confState()));
            if (t != null) {
                trace(t, GlueTracer.Stage.SENT, rd.entries());
            }
        }
        // The snapshot file and its WAL marker go first: after a crash the WAL may then point to a
        // snapshot that exists, never to one that does not.
        if (snap != null) {
            storage.saveSnap(snap);
        }
        storage.save(rd.hardState(), rd.entries());
        if (t != null) {
            trace(t, GlueTracer.Stage.PERSISTED, rd.entries());
        }
        if (rd.hardState() != null) {
            committedIndex = Math.max(committedIndex, rd.hardState().getCommit());
            raftLog.setHardState(rd.hardState());
        }
        if (snap != null) {
            raftLog.applySnapshot(snap);
            storage.release(snap);
        }
        raftLog.append(rd.entries());
        if (!rd.entries().isEmpty()) {
            noteBatch(rd.entries().size());
        }
        if (!leader) {
            List<Message> msgs = processMessages(rd.messages(), membership.confState());
            ap.persisted.countDown();
            if (confChanged) {
                // Votes of removed members must not be counted, nor may this node campaign alone
                // before the change is applied: wait until the apply loop is through this Ready.
                ap.applied.await();
            }
            transport.send(msgs);
        } else {
            ap.persisted.countDown();
        }
        node.advance();
        if (confChanged) {
            ap.advanced.complete(null);
        }
    }

    private synchronized void noteBatch(int n) {
        maxEntriesPerReady = Math.max(maxEntriesPerReady, n);
    }

    private boolean checkTransport() throws InterruptedException {
        TransportError err = transport.pollError(0, TimeUnit.MILLISECONDS);
        if (err == null) {
            return true;
        }
        if (err.kind() == TransportError.Kind.MEMBER_REMOVED) {
            LOG.info("a peer says this member was removed from the cluster ({}); shutting down", err.message());
            onEnd.accept(RaftNode.REMOVED);
        } else {
            fatal("peer transport failed: " + err.message(), err.cause());
        }
        return false;
    }

    /**
     * The messages of a Ready, with every MsgSnap carrying the current configuration: a conf change
     * applied after the snapshot was taken would otherwise be missing from what the follower restores.
     */
    static List<Message> processMessages(List<Message> ms, ConfState confState) {
        boolean anySnap = false;
        for (int i = 0, n = ms.size(); i < n && !anySnap; i++) {
            anySnap = ms.get(i).getType() == MessageType.MsgSnap;
        }
        if (!anySnap) {
            return ms; // the common case: nothing to patch, no copy per Ready
        }
        List<Message> out = new ArrayList<>(ms.size());
        for (Message m : ms) {
            if (m.getType() == MessageType.MsgSnap) {
                Snapshot s = m.getSnapshot();
                m = m.toBuilder()
                        .setSnapshot(s.toBuilder()
                                .setMetadata(s.getMetadata().toBuilder().setConfState(confState)))
                        .build();
            }
            out.add(m);
        }
        return out;
    }

    private void fatal(String what, Throwable cause) {
        LOG.error("fatal: {}", what, cause);
        onEnd.accept(RaftNode.FATAL);
    }

    /** Marks the loop as stopping, so that what the stop does to its calls is not taken for a failure. */
    void markStopping() {
        stopping = true;
    }

    /** Stops the loop (node.stop() must come first or with it, so a wait for a Ready ends) and waits. */
    void stop() {
        stopping = true;
        LoopThreads.interruptAndJoin(thread, "raft loop", LOG);
    }
}
