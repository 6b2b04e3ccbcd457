package org.raftexample.server;

import com.google.protobuf.ByteString;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntConsumer;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raft.NodeStoppedException;
import org.raftexample.raft.ProposalDroppedException;
import org.raftexample.raft.RawNode;
import org.raftexample.raft.Ready;
import org.raftexample.raft.SnapshotStatus;
import org.raftexample.raft.SoftState;
import org.raftexample.raft.StateType;
import org.raftexample.raft.Status;
import org.raftexample.raft.StepLocalMsgException;
import org.raftexample.raft.StepPeerNotFoundException;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.transport.Transport;
import org.raftexample.transport.TransportError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raft loop (etcd's {@code node.run} and {@code raftNode.start} in one thread): owns the
 * {@link RawNode}, steps what other threads hand in, keeps raft's clock ticking and drains every
 * Ready in the order raft requires, handing committed entries to the {@link ApplyLoop} instead of
 * applying them itself.
 *
 * <p>etcd runs raft's state machine in one goroutine and the Ready handling in another, joined by
 * channels; a Go channel hand-off costs a goroutine switch, but in Java each hand-off between
 * threads is a futex wake-up, which on this project's 2-core machines costs 25-60 us when the other
 * thread sits on the other CPU. A write crosses that boundary three times on its way to commit
 * (propose, the follower's append, the leader's hearing of the ack), so one thread does both jobs
 * here, stepping everything that arrived since the last turn before it builds the next Ready.
 * The Ready contract is unchanged: what raft asks for is done in the same order as with etcd's
 * {@code Node}.
 *
 * <p>Per Ready: hand the committed entries (and a snapshot) to the apply loop; as leader, send the
 * messages at once, so that the leader's fsync runs while the followers write theirs (Raft thesis
 * 10.2.1: raft counts the leader's own entries toward commit only after {@code advance}, i.e. once
 * they are durable); save the snapshot file and marker, then hard state and entries to the WAL; put
 * them into MemoryStorage; as follower or candidate, send only now, after the write, and, if the
 * Ready committed a conf change, only after the apply loop has applied it; then {@code advance}.
 *
 * <p>The loop publishes raft's status ({@link #publishedStatus}) at every tick and at once after a
 * change of role or leader and after a conf change is applied, so that what only reports it (the
 * operational endpoints, the metrics, the checks before a membership change) never waits for the loop,
 * which may be held up in a WAL fsync on a stalled disk; how old the status is tells that the loop is.
 *
 * <p>Inputs from other threads ({@link #step}, {@link #propose}, {@link #readIndex}, reports,
 * {@link #status}, {@link #applyConfChange}) are queued in one bounded inbox and stepped by the loop
 * in arrival order; proposals made while no leader is known wait in the loop (as etcd's
 * {@code propc} is not read without a leader) until one is, or until their request ends.
 *
 * <p>Threads: one thread owns this loop, the RawNode, the WAL writes of Readies, MemoryStorage's
 * appends and every call to {@link Transport#send}. It never does work proportional to the size of
 * the state. The public methods may be called from any thread; they only enqueue (and
 * {@link #status} and {@link #applyConfChange} wait for the answer).
 */
final class RaftLoop {

    private static final Logger LOG = LoggerFactory.getLogger(RaftLoop.class);
    /** Inputs that may wait for the loop. */
    static final int INBOX_CAPACITY = 8192;
    /** Inbox places that messages from the network may not take: kept for local calls. */
    static final int LOCAL_RESERVE = 512;
    /** Most inputs stepped before the loop looks for a Ready again (bounds one Ready's size). */
    private static final int MAX_INPUTS_PER_TURN = 1024;

    private final ServerConfig opts;
    private final RawNode rn;
    private final RaftStorage storage;
    private final MemoryStorage raftLog;
    private final Transport transport;
    private final ApplyLoop applier;
    private final LinearizableReads reads;
    private final Membership membership;
    private final RequestRegistry requests;
    private final IntConsumer onEnd;
    private final BlockingQueue<Input> inbox = new LinkedBlockingQueue<>(INBOX_CAPACITY);
    // Conf changes the apply loop applies: served even while the loop waits for the apply loop.
    private final BlockingQueue<ApplyConf> confApplies = new ArrayBlockingQueue<>(16);
    private Thread thread;
    private volatile boolean stopping;
    // Operability hooks (metrics, leader watch); set before start.
    private volatile NodeEvents events = NodeEvents.NONE;

    // Loop thread only.
    private final List<Input> batch = new ArrayList<>(MAX_INPUTS_PER_TURN);
    private final ArrayDeque<Input> waitingForLeader = new ArrayDeque<>();
    private boolean proposalsOpen;
    private long term;

    // Loop thread only, published for status and admission control.
    private volatile long lead;
    private volatile boolean isLeader;
    private volatile long committedIndex;
    private long maxEntriesPerReady;
    private volatile GlueTracer tracer;
    private volatile PublishedStatus published;
    private volatile boolean ended;

    RaftLoop(
            ServerConfig opts,
            RawNode rn,
            RaftStorage storage,
            MemoryStorage raftLog,
            Transport transport,
            ApplyLoop applier,
            LinearizableReads reads,
            Membership membership,
            RequestRegistry requests,
            long committedIndex,
            IntConsumer onEnd) {
        this.opts = opts;
        this.rn = rn;
        this.storage = storage;
        this.raftLog = raftLog;
        this.transport = transport;
        this.applier = applier;
        this.reads = reads;
        this.membership = membership;
        this.requests = requests;
        this.committedIndex = committedIndex;
        this.onEnd = onEnd;
        publishStatus();
    }

    // The constructor's thread, then the loop thread only.
    private void publishStatus() {
        published = new PublishedStatus(rn.status(), System.nanoTime());
    }

    /**
     * raft's status as the loop last published it (see the class comment); never waits.
     *
     * @throws NodeStoppedException once the loop has ended, as {@link #status} does
     */
    PublishedStatus publishedStatus() {
        if (ended) {
            throw new NodeStoppedException();
        }
        return published;
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

    boolean isAlive() {
        return thread != null && thread.isAlive();
    }

    // ---- inputs from other threads ---------------------------------------------------------------

    /** What other threads hand to the loop. */
    private sealed interface Input permits Step, Propose, ProposeConf, Local, StatusQuery, Wake {}

    /** A message from a peer. */
    private record Step(Message m) implements Input {}

    /**
     * A write to propose; {@code request} is the registry's future for request {@code id}, or, for
     * data proposed outside the registry (id 0), a future completed once raft has taken the entry.
     */
    private record Propose(ByteString data, long id, CompletableFuture<?> request) implements Input {}

    /** A configuration change to propose, for request {@code id}. */
    private record ProposeConf(ConfChange cc, long id, CompletableFuture<?> request) implements Input {}

    /** A call on the RawNode whose outcome nobody waits for (read index, reports, transfer). */
    private record Local(java.util.function.Consumer<RawNode> call) implements Input {}

    /** A request for raft's status. */
    private record StatusQuery(CompletableFuture<Status> result) implements Input {}

    /** Only wakes the loop (a conf change waits in {@link #confApplies}). */
    private record Wake() implements Input {}

    private static final Wake WAKE = new Wake();

    /** A committed conf change the apply loop applies to raft. */
    private record ApplyConf(ConfChangeV2 cc, CompletableFuture<ConfState> result) {}

    /**
     * Hands a message from a peer to raft; false if the inbox is too full to take it (the sender must
     * then not count it delivered).
     */
    boolean step(Message m) {
        if (stopping || inbox.remainingCapacity() <= LOCAL_RESERVE) {
            return false;
        }
        return inbox.offer(new Step(m));
    }

    /**
     * Proposes {@code data} for the request registered under {@code id}: if raft drops it, the request
     * fails; if the request ends before the loop gets to it, it is not proposed.
     */
    void propose(ByteString data, long id, CompletableFuture<?> request) {
        offerLocal(new Propose(data, id, request), id);
    }

    /**
     * Proposes {@code data} that no request waits for (tests, tools): the future completes once raft
     * has taken it and fails if raft drops it.
     */
    CompletableFuture<Void> propose(ByteString data) {
        CompletableFuture<Void> taken = new CompletableFuture<>();
        if (stopping) {
            taken.completeExceptionally(new NodeStoppedException());
        } else if (!inbox.offer(new Propose(data, 0, taken))) {
            taken.completeExceptionally(new Overloaded("too many requests: the raft loop's inbox is full"));
        }
        return taken;
    }

    /** Proposes a configuration change for the request registered under {@code id}. */
    void proposeConfChange(ConfChange cc, long id, CompletableFuture<?> request) {
        offerLocal(new ProposeConf(cc, id, request), id);
    }

    private void offerLocal(Input in, long id) {
        if (stopping) {
            requests.fail(id, new NodeStoppedException());
        } else if (!inbox.offer(in)) {
            requests.fail(id, new Overloaded("too many requests: the raft loop's inbox is full"));
        }
    }

    /** Asks raft for a read index tagged {@code ctx}; the answer comes in a later Ready's read states. */
    void readIndex(ByteString ctx) {
        local(rn -> rn.readIndex(ctx));
    }

    void reportUnreachable(long id) {
        local(rn -> rn.reportUnreachable(id));
    }

    void reportSnapshot(long id, SnapshotStatus status) {
        local(rn -> rn.reportSnapshot(id, status));
    }

    /** Asks the leader to hand leadership to {@code to}. */
    void transferLeadership(long to) {
        local(rn -> rn.transferLeader(to));
    }

    private void local(java.util.function.Consumer<RawNode> call) {
        // Dropped when stopping or overwhelmed, as a lossy network would: each caller copes (retries,
        // timeouts) with raft never seeing the call.
        if (!stopping) {
            inbox.offer(new Local(call));
        }
    }

    /** raft's status, taken by the loop; waits for it. */
    Status status() {
        if (Thread.currentThread() == thread) {
            throw new IllegalStateException("status() called on the raft loop itself");
        }
        CompletableFuture<Status> f = new CompletableFuture<>();
        if (stopping || !inbox.offer(new StatusQuery(f))) {
            throw new NodeStoppedException();
        }
        return await(f);
    }

    /** Applies a committed conf change to raft (apply loop); waits for the loop to do it. */
    ConfState applyConfChange(ConfChangeV2 cc) {
        CompletableFuture<ConfState> f = new CompletableFuture<>();
        if (stopping || !confApplies.offer(new ApplyConf(cc, f))) {
            throw new NodeStoppedException();
        }
        inbox.offer(WAKE);
        return await(f);
    }

    /** Waits for the loop's answer; gives up once the loop has ended without giving one. */
    private <T> T await(CompletableFuture<T> f) {
        try {
            while (true) {
                try {
                    return f.get(100, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    if (!isAlive()) {
                        throw new NodeStoppedException();
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeStoppedException(e);
        } catch (ExecutionException e) {
            throw Failures.unchecked(e.getCause());
        }
    }

    // ---- the loop ------------------------------------------------------------------------------------

    private void run() {
        long tickNanos = opts.tickInterval().toNanos();
        long nextTick = System.nanoTime() + tickNanos;
        try {
            while (!stopping) {
                serveConfApplies();
                long wait = nextTick - System.nanoTime();
                // Wait for input only when raft has nothing to hand out.
                boolean ready = rn.hasReady();
                if (!ready && wait > 0) {
                    Input first = inbox.poll(wait, TimeUnit.NANOSECONDS);
                    if (first != null) {
                        serve(first);
                    }
                }
                serveInbox();
                long now = System.nanoTime();
                if (now - nextTick >= 0) {
                    rn.tick();
                    reads.onTick();
                    publishStatus();
                    // After a long stall, tick once and resume the normal rhythm rather than fire a burst.
                    nextTick = Math.max(nextTick + tickNanos, now);
                }
                if (rn.hasReady()) {
                    Ready rd = rn.ready();
                    ToApply ap = handleReady(rd);
                    rn.advance(rd);
                    if (ap.confChange) {
                        // Its proposer hears back only now (see ToApply#advanced).
                        ap.advanced.complete(null);
                    }
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
        } finally {
            ended = true; // an ended loop is not a stalled one: its status is no longer handed out
            failPending(new NodeStoppedException());
        }
    }

    private void serveInbox() {
        inbox.drainTo(batch, MAX_INPUTS_PER_TURN);
        for (int i = 0, n = batch.size(); i < n; i++) {
            serve(batch.get(i));
        }
        batch.clear();
    }

    private void serve(Input in) {
        if (in instanceof Step s) {
            if (s.m().getType() == MessageType.MsgProp && !proposalsOpen) {
                holdForLeader(in);
            } else {
                stepMessage(s.m());
            }
        } else if (in instanceof Propose p) {
            if (!proposalsOpen) {
                holdForLeader(in);
            } else {
                stepProposal(p);
            }
        } else if (in instanceof ProposeConf p) {
            stepConfProposal(p);
        } else if (in instanceof Local l) {
            l.call().accept(rn);
        } else if (in instanceof StatusQuery q) {
            q.result().complete(rn.status());
        }
        // Wake: nothing to do; conf changes are served at the top of every turn.
    }

    /** Keeps a proposal until a leader is known; past the inbox's size, drops it (it fails or times out). */
    private void holdForLeader(Input in) {
        if (waitingForLeader.size() < INBOX_CAPACITY) {
            waitingForLeader.add(in);
        } else if (in instanceof Propose p) {
            fail(p, new ProposalDroppedException());
        }
    }

    private void stepMessage(Message m) {
        if (m.getType() == MessageType.MsgProp) {
            // A proposal forwarded by a peer is stepped as this node's own, as etcd's node does with propc.
            m = m.toBuilder().setFrom(opts.id()).build();
        }
        try {
            rn.step(m);
        } catch (StepLocalMsgException | StepPeerNotFoundException | ProposalDroppedException e) {
            // etcd's node drops these too: a local type from the network, a response from a peer not
            // tracked, a forwarded proposal this node cannot take now.
        }
    }

    private void stepProposal(Propose p) {
        if (p.request().isDone()) {
            return; // withdrawn by its caller (deadline, client gone) before raft took it
        }
        try {
            rn.propose(p.data());
            if (p.id() == 0) {
                p.request().complete(null);
            }
        } catch (ProposalDroppedException e) {
            fail(p, e);
        }
    }

    private void fail(Propose p, RuntimeException cause) {
        if (p.id() == 0) {
            p.request().completeExceptionally(cause);
        } else {
            requests.fail(p.id(), cause);
        }
    }

    private void stepConfProposal(ProposeConf p) {
        if (p.request().isDone()) {
            return;
        }
        if (!proposalsOpen) {
            requests.fail(p.id(), new ProposalDroppedException());
            return;
        }
        try {
            rn.proposeConfChange(p.cc());
        } catch (ProposalDroppedException e) {
            requests.fail(p.id(), e);
        }
    }

    private void serveConfApplies() {
        for (ApplyConf ac; (ac = confApplies.poll()) != null; ) {
            applyConf(ac);
        }
    }

    private void applyConf(ApplyConf ac) {
        boolean memberBefore = isMember(rn.status().config(), opts.id());
        ConfState cs;
        try {
            cs = rn.applyConfChange(ac.cc());
        } catch (RuntimeException e) {
            ac.result().completeExceptionally(e);
            throw e;
        }
        // A node removed from the configuration stops taking proposals (until a leader change), but
        // only if it knew it was a member: a node catching up on the log may be in without knowing it.
        if (memberBefore
                && !cs.getVotersList().contains(opts.id())
                && !cs.getVotersOutgoingList().contains(opts.id())
                && !cs.getLearnersList().contains(opts.id())) {
            proposalsOpen = false;
        }
        publishStatus(); // published before anyone hears of the change: a client then sees it in the status
        ac.result().complete(cs);
    }

    private static boolean isMember(org.raftexample.raft.tracker.TrackerConfig cfg, long id) {
        return cfg.voters().incoming().contains(id)
                || cfg.voters().outgoing().contains(id)
                || cfg.learners().contains(id);
    }

    /** Follows the leader as each Ready reports it (etcd's node logs the same lines). */
    private void trackLeader(SoftState ss) {
        long newLead = ss.lead();
        if (newLead == lead) {
            return;
        }
        if (newLead != 0) {
            if (lead == 0) {
                LOG.info("raft.node: {} elected leader {} at term {}", hex(opts.id()), hex(newLead), term);
            } else {
                LOG.info(
                        "raft.node: {} changed leader from {} to {} at term {}",
                        hex(opts.id()),
                        hex(lead),
                        hex(newLead),
                        term);
            }
            proposalsOpen = true;
            lead = newLead;
            reads.onLeaderChange();
            // Proposals that waited for a leader go to raft now, in the order they came.
            for (Input in; (in = waitingForLeader.poll()) != null; ) {
                if (in instanceof Propose p) {
                    stepProposal(p);
                } else if (in instanceof Step st) {
                    stepMessage(st.m());
                }
            }
        } else {
            LOG.info("raft.node: {} lost leader {} at term {}", hex(opts.id()), hex(lead), term);
            proposalsOpen = false;
            lead = 0;
        }
    }

    private static String hex(long id) {
        return Long.toHexString(id);
    }

    /** Handles one Ready up to its advance; returns what went to the apply loop. */
    private ToApply handleReady(Ready rd) throws InterruptedException {
        if (rd.softState() != null) {
            // First: whoever hears of the new role or leader (the events, isLeader) finds it in the
            // published status too, not a tick later.
            publishStatus();
        }
        if (rd.softState() != null || rd.hardState() != null) {
            events.stateChanged(rd.softState(), rd.hardState());
        }
        GlueTracer t = tracer;
        if (t != null) {
            trace(t, GlueTracer.Stage.READY, rd.entries());
            trace(t, GlueTracer.Stage.COMMITTED, rd.committedEntries());
        }
        HardState hs = rd.hardState();
        if (hs != null) {
            term = hs.getTerm();
            // Before the committed entries go to the apply loop: the applied index never passes it.
            committedIndex = Math.max(committedIndex, hs.getCommit());
        }
        SoftState ss = rd.softState();
        if (ss != null) {
            isLeader = ss.raftState() == StateType.StateLeader;
            trackLeader(ss);
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
        storage.save(hs, rd.entries());
        if (t != null) {
            trace(t, GlueTracer.Stage.PERSISTED, rd.entries());
        }
        if (hs != null) {
            raftLog.setHardState(hs);
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
                // before the change is applied: wait until the apply loop is through this Ready,
                // applying to raft the conf changes it hands back meanwhile.
                awaitApplied(ap);
            }
            transport.send(msgs);
        } else {
            ap.persisted.countDown();
        }
        return ap;
    }

    private void awaitApplied(ToApply ap) throws InterruptedException {
        while (!ap.applied.await(0, TimeUnit.NANOSECONDS)) {
            ApplyConf ac = confApplies.poll(200, TimeUnit.MICROSECONDS);
            if (ac != null) {
                applyConf(ac);
            }
        }
    }

    private static void trace(GlueTracer t, GlueTracer.Stage stage, List<org.raftexample.raftpb.Entry> ents) {
        long now = System.nanoTime();
        for (int i = 0, n = ents.size(); i < n; i++) {
            t.at(stage, ents.get(i).getIndex(), now);
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

    /** Fails what waits in the loop: the node is stopping. */
    private void failPending(RuntimeException cause) {
        stopping = true;
        for (Input in; (in = waitingForLeader.poll()) != null; ) {
            if (in instanceof Propose p) {
                fail(p, cause);
            }
        }
        for (Input in; (in = inbox.poll()) != null; ) {
            if (in instanceof Propose p) {
                fail(p, cause);
            } else if (in instanceof ProposeConf p) {
                requests.fail(p.id(), cause);
            } else if (in instanceof StatusQuery q) {
                q.result().completeExceptionally(cause);
            }
        }
        for (ApplyConf ac; (ac = confApplies.poll()) != null; ) {
            ac.result().completeExceptionally(cause);
        }
    }

    private void fatal(String what, Throwable cause) {
        LOG.error("fatal: {}", what, cause);
        onEnd.accept(RaftNode.FATAL);
    }

    /** Marks the loop as stopping, so that what the stop does to its calls is not taken for a failure. */
    void markStopping() {
        stopping = true;
    }

    /** Stops the loop and waits for it; whatever waits in it fails. */
    void stop() {
        stopping = true;
        LoopThreads.interruptAndJoin(thread, "raft loop", LOG);
        if (thread == null || !thread.isAlive()) {
            failPending(new NodeStoppedException());
        }
    }
}
