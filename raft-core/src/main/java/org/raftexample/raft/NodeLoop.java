package org.raftexample.raft;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfChanges;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * The {@link Node} implementation: one thread owns the {@link RawNode} and serves every request,
 * as etcd's {@code node.run} goroutine does (see docs/node.md for the whole contract).
 *
 * <p>Inputs reach the loop through bounded structures, each standing for one of etcd's channels:
 * {@code events} (recvc, confc and the status channel, in one FIFO), {@code proposals} (propc,
 * served only while a leader is known), a tick counter (the 128-slot tickc) and two flags for
 * advance and stop. Producers never hold a lock the loop needs; they enqueue and unpark the loop.
 * Each turn the loop handles at most one input, choosing among the ready sources in rotation so
 * that none starves, which is what Go's select gives.
 */
final class NodeLoop implements Node {
    /** Ticks buffered while the loop is busy (etcd's tickc capacity). */
    static final int TICK_BUFFER = 128;
    /** Capacity of the events queue. */
    static final int EVENT_CAPACITY = 4096;
    /** Slots of the events queue that messages from the network may not take, kept for local calls. */
    static final int LOCAL_RESERVE = 256;
    /** Capacity of the proposal queue. */
    static final int PROPOSAL_CAPACITY = 4096;

    /** An input of the loop carried by the events queue. */
    sealed interface Event permits Recv, ApplyConf, StatusRequest, ReadyRequest {}

    /** A message to step; done (may be null) completes once the loop has stepped it. */
    record Recv(Message m, CompletableFuture<Void> done) implements Event {}

    /** A committed configuration change to apply. */
    record ApplyConf(ConfChangeV2 cc, CompletableFuture<ConfState> result) implements Event {}

    /** A request for the current status. */
    record StatusRequest(CompletableFuture<Status> result) implements Event {}

    /**
     * An application waiting for the next Ready. It travels through the events queue so that
     * everything the application enqueued before asking is stepped before the Ready is built, as
     * etcd's blocking Step guarantees.
     */
    record ReadyRequest(CompletableFuture<Ready> result) implements Event {}

    /** A proposal; result (null for proposals forwarded by peers) completes when raft has stepped it. */
    record Proposal(Message m, CompletableFuture<Void> result) {}

    private final RawNode rn;
    private final Raft r;
    private final Logger logger;
    /** This node's id, copied so that threads other than the loop never read raft's fields. */
    private final long id;

    private final boolean asyncStorageWrites;

    final BlockingQueue<Event> events = new LinkedBlockingQueue<>(EVENT_CAPACITY);
    final BlockingQueue<Proposal> proposals = new LinkedBlockingQueue<>(PROPOSAL_CAPACITY);
    private final AtomicInteger pendingTicks = new AtomicInteger();
    private final AtomicBoolean advanceRequested = new AtomicBoolean();
    private final AtomicReference<CompletableFuture<Ready>> readyWaiter = new AtomicReference<>();
    /** The future a timed-out {@link #ready(long, TimeUnit)} left behind, for the next caller. */
    private final AtomicReference<CompletableFuture<Ready>> unclaimed = new AtomicReference<>();

    private final CountDownLatch exited = new CountDownLatch(1);
    private volatile boolean stopRequested;
    private volatile boolean stopped;
    private volatile Throwable failure;
    private volatile Thread loopThread;
    /** Set by every producer after it enqueued something; cleared by the loop before it re-looks. */
    private volatile boolean signalled;

    // Loop-thread state.
    /** Set while a Ready has been handed out (or is about to be) and not yet advanced. */
    private volatile boolean awaitingAdvance;
    /** The Ready accepted from the RawNode but whose waiter cancelled before taking it. */
    private Ready undelivered;

    private Ready outstanding;
    /** The waiter the loop has registered (through a ReadyRequest) and not yet served. */
    private CompletableFuture<Ready> readyRequest;

    private boolean proposalsOpen;
    private long lead = Raft.NONE;
    private int turn;

    NodeLoop(RawNode rn) {
        this.rn = rn;
        this.r = rn.raft;
        this.logger = r.logger;
        this.id = r.id;
        this.asyncStorageWrites = rn.asyncStorageWrites;
    }

    static NodeLoop start(Config config, List<Peer> peers) {
        if (peers == null || peers.isEmpty()) {
            throw new IllegalArgumentException("no peers given; use RestartNode instead");
        }
        RawNode rn = new RawNode(config);
        try {
            rn.bootstrap(peers);
        } catch (RaftPanicException e) {
            throw e;
        } catch (RuntimeException e) {
            rn.raft.logger.warning("error occurred during starting a new node: %s", e.getMessage());
        }
        NodeLoop n = new NodeLoop(rn);
        n.startThread();
        return n;
    }

    static NodeLoop restart(Config config) {
        NodeLoop n = new NodeLoop(new RawNode(config));
        n.startThread();
        return n;
    }

    void startThread() {
        Thread t = new Thread(this::run, "raft-node-" + Long.toHexString(id));
        t.setDaemon(true);
        loopThread = t;
        t.start();
    }

    // ---------------------------------------------------------------- the loop

    void run() {
        try {
            while (!stopRequested) {
                if (advanceRequested.getAndSet(false)) {
                    // Served before anything else so that whatever the application does after
                    // advance() returns is seen after the advance, as with etcd's blocking Advance.
                    handleAdvance();
                    continue;
                }
                trackLeader();
                if (serveOne()) {
                    continue;
                }
                if (signalled) {
                    // Something may have been enqueued after we looked at its source: look again.
                    // The flag, not the park permit, carries the wake-up, because the permit can
                    // be consumed by any lock this thread waits on (the queues' own locks).
                    signalled = false;
                    continue;
                }
                LockSupport.park(this);
            }
        } catch (Throwable t) {
            failure = t;
            logger.error("raft.node: %x loop failed: %s", r.id, t);
        } finally {
            shutDown();
        }
    }

    /** Serves one ready input, trying the sources in rotation; false if none had anything. */
    private boolean serveOne() {
        int first = turn++;
        for (int k = 0; k < 4; k++) {
            boolean served = switch ((first + k) & 3) {
                case 0 -> handOutReady();
                case 1 -> takeEvent();
                case 2 -> takeProposal();
                default -> takeTick();
            };
            if (served) {
                return true;
            }
        }
        return false;
    }

    private void trackLeader() {
        if (lead == r.lead) {
            return;
        }
        if (r.hasLeader()) {
            if (lead == Raft.NONE) {
                logger.info("raft.node: %x elected leader %x at term %d", r.id, r.lead, r.term);
            } else {
                logger.info("raft.node: %x changed leader from %x to %x at term %d", r.id, lead, r.lead, r.term);
            }
            proposalsOpen = true;
        } else {
            logger.info("raft.node: %x lost leader %x at term %d", r.id, lead, r.term);
            proposalsOpen = false;
        }
        lead = r.lead;
    }

    private boolean handOutReady() {
        CompletableFuture<Ready> waiter = readyRequest;
        if (waiter == null || waiter.isDone()) {
            return false;
        }
        if (undelivered == null) {
            if (awaitingAdvance || !rn.hasReady()) {
                return false;
            }
            Ready rd = rn.readyWithoutAccept();
            // Accept before handing out: once a Ready is accepted it must reach the application,
            // so a waiter that cancels in between only passes it on to the next waiter.
            if (!asyncStorageWrites) {
                awaitingAdvance = true;
                outstanding = rd;
            }
            rn.acceptReady(rd);
            undelivered = rd;
        }
        if (waiter.complete(undelivered)) {
            undelivered = null;
            readyRequest = null;
        }
        return true;
    }

    private void handleAdvance() {
        if (!awaitingAdvance || undelivered != null) {
            logger.warning("raft.node: %x advance without an outstanding Ready ignored", r.id);
            return;
        }
        rn.advance(outstanding);
        outstanding = null;
        awaitingAdvance = false;
    }

    private boolean takeEvent() {
        Event e = events.poll();
        if (e == null) {
            return false;
        }
        if (e instanceof Recv recv) {
            handleRecv(recv);
        } else if (e instanceof ApplyConf ac) {
            handleApplyConf(ac);
        } else if (e instanceof StatusRequest sr) {
            completeOrRethrow(sr.result(), rn::status);
        } else if (e instanceof ReadyRequest rr) {
            readyRequest = rr.result();
        }
        return true;
    }

    private void handleRecv(Recv recv) {
        Message m = recv.m();
        CompletableFuture<Void> done = recv.done();
        try {
            if (Util.isResponseMsg(m.getType())
                    && !Util.isLocalMsgTarget(m.getFrom())
                    && !r.trk.progress().containsKey(m.getFrom())) {
                // A response from a peer this node does not track: etcd drops it here.
                complete(done);
                return;
            }
            r.step(m);
            complete(done);
        } catch (ProposalDroppedException e) {
            // etcd ignores step errors on this path; a local caller still gets to see it.
            if (done != null) {
                done.completeExceptionally(e);
            }
        } catch (Throwable t) {
            if (done != null) {
                done.completeExceptionally(t);
            }
            throw t;
        }
    }

    private void handleApplyConf(ApplyConf ac) {
        completeOrRethrow(ac.result(), () -> {
            boolean memberBefore = r.trk.progress().containsKey(r.id);
            ConfState cs = r.applyConfChange(ac.cc());
            // A node removed from the configuration stops taking proposals (until a leader
            // change), but only if it knew it was a member: a node still catching up on the log
            // may be in the group without knowing it.
            if (memberBefore
                    && !r.trk.progress().containsKey(r.id)
                    && !cs.getVotersList().contains(r.id)
                    && !cs.getVotersOutgoingList().contains(r.id)) {
                proposalsOpen = false;
            }
            return cs;
        });
    }

    private boolean takeProposal() {
        if (!proposalsOpen) {
            return false;
        }
        Proposal p = proposals.poll();
        if (p == null) {
            return false;
        }
        CompletableFuture<Void> result = p.result();
        if (result != null && result.isDone()) {
            return true; // withdrawn by its caller (cancelled or timed out) before the loop took it
        }
        Message m = p.m();
        if (m.getFrom() != r.id) {
            m = m.toBuilder().setFrom(r.id).build(); // forwarded by a peer; local ones carry our id already
        }
        try {
            r.step(m);
            complete(result);
        } catch (ProposalDroppedException e) {
            if (result != null) {
                result.completeExceptionally(e);
            }
        } catch (Throwable t) {
            if (result != null) {
                result.completeExceptionally(t);
            }
            throw t;
        }
        return true;
    }

    private boolean takeTick() {
        if (pendingTicks.get() == 0) {
            return false;
        }
        pendingTicks.decrementAndGet();
        rn.tick();
        return true;
    }

    private void shutDown() {
        stopped = true;
        NodeStoppedException ex = stoppedException();
        CompletableFuture<Ready> waiter = readyWaiter.get();
        if (waiter != null) {
            waiter.completeExceptionally(ex);
        }
        for (Event e; (e = events.poll()) != null; ) {
            failEvent(e, ex);
        }
        for (Proposal p; (p = proposals.poll()) != null; ) {
            fail(p.result(), ex);
        }
        exited.countDown();
    }

    private static void failEvent(Event e, Throwable t) {
        if (e instanceof Recv recv) {
            fail(recv.done(), t);
        } else if (e instanceof ApplyConf ac) {
            fail(ac.result(), t);
        } else if (e instanceof StatusRequest sr) {
            fail(sr.result(), t);
        } else if (e instanceof ReadyRequest rr) {
            fail(rr.result(), t);
        }
    }

    private static void complete(CompletableFuture<Void> f) {
        if (f != null) {
            f.complete(null);
        }
    }

    private static void fail(CompletableFuture<?> f, Throwable t) {
        if (f != null) {
            f.completeExceptionally(t);
        }
    }

    private interface LoopCall<T> {
        T call();
    }

    private static <T> void completeOrRethrow(CompletableFuture<T> f, LoopCall<T> call) {
        T value;
        try {
            value = call.call();
        } catch (Throwable t) {
            f.completeExceptionally(t);
            throw t;
        }
        f.complete(value);
    }

    // ---------------------------------------------------------------- the API

    @Override
    public void tick() {
        checkRunning();
        while (true) {
            int n = pendingTicks.get();
            if (n >= TICK_BUFFER) {
                logger.warning("%x A tick missed to fire. Node blocks too long!", id);
                return;
            }
            if (pendingTicks.compareAndSet(n, n + 1)) {
                break;
            }
        }
        wakeUp();
    }

    @Override
    public CompletableFuture<Void> campaign() {
        return stepLocal(Message.newBuilder().setType(MessageType.MsgHup).build());
    }

    @Override
    public CompletableFuture<Void> propose(byte[] data) {
        return propose(data == null ? null : ByteString.copyFrom(data));
    }

    @Override
    public CompletableFuture<Void> propose(ByteString data) {
        Entry.Builder e = Entry.newBuilder();
        if (data != null) {
            e.setData(data);
        }
        return enqueueProposal(
                Message.newBuilder()
                        .setType(MessageType.MsgProp)
                        .setFrom(id)
                        .addEntries(e)
                        .build(),
                true);
    }

    @Override
    public CompletableFuture<Void> proposeConfChange(ConfChange cc) {
        return enqueueProposal(withFrom(Raft.confChangeToMsg(cc)), true);
    }

    @Override
    public CompletableFuture<Void> proposeConfChange(ConfChangeV2 cc) {
        return enqueueProposal(withFrom(Raft.confChangeToMsg(cc)), true);
    }

    private Message withFrom(Message m) {
        return m.toBuilder().setFrom(id).build();
    }

    @Override
    public boolean step(Message m) {
        checkRunning();
        if (Util.isLocalMsg(m.getType()) && !Util.isLocalMsgTarget(m.getFrom())) {
            throw new StepLocalMsgException();
        }
        if (m.getType() == MessageType.MsgProp) {
            return !enqueueProposal(m, false).isCompletedExceptionally();
        }
        if (Util.isLocalMsgTarget(m.getFrom())) {
            // Responses from the application's own storage threads (async storage writes) are
            // never retried by raft, so they wait for room instead of being dropped.
            enqueueLocal(new Recv(m, null));
            return true;
        }
        if (events.remainingCapacity() <= LOCAL_RESERVE || !events.offer(new Recv(m, null))) {
            return false;
        }
        if (stopped) {
            throw stoppedException();
        }
        wakeUp();
        return true;
    }

    @Override
    public CompletableFuture<Ready> ready() {
        checkRunning();
        CompletableFuture<Ready> left = unclaimed.getAndSet(null);
        if (left != null && !left.isCancelled()) {
            // A timed wait gave up on this future; it may hold a Ready by now, which belongs to
            // whoever asks next.
            return left;
        }
        while (true) {
            CompletableFuture<Ready> cur = readyWaiter.get();
            if (cur != null && !cur.isDone()) {
                return cur;
            }
            CompletableFuture<Ready> next = new CompletableFuture<>();
            if (readyWaiter.compareAndSet(cur, next)) {
                enqueueLocal(new ReadyRequest(next));
                return next;
            }
        }
    }

    @Override
    public Ready ready(long timeout, TimeUnit unit) throws InterruptedException {
        checkNotLoopThread();
        CompletableFuture<Ready> f = ready();
        try {
            return f.get(timeout, unit);
        } catch (TimeoutException e) {
            unclaimed.set(f);
            return null;
        } catch (ExecutionException e) {
            throw unchecked(e.getCause());
        }
    }

    @Override
    public void advance() {
        checkRunning();
        if (asyncStorageWrites) {
            throw new IllegalStateException("advance must not be called when using AsyncStorageWrites");
        }
        if (!awaitingAdvance) {
            throw new IllegalStateException("advance called without an outstanding Ready");
        }
        advanceRequested.set(true);
        wakeUp();
    }

    @Override
    public ConfState applyConfChange(ConfChange cc) {
        return applyConfChange(ConfChanges.asV2(cc));
    }

    @Override
    public ConfState applyConfChange(ConfChangeV2 cc) {
        checkNotLoopThread();
        CompletableFuture<ConfState> result = new CompletableFuture<>();
        enqueueLocal(new ApplyConf(cc, result));
        return join(result);
    }

    @Override
    public CompletableFuture<Void> transferLeadership(long lead, long transferee) {
        // 'from' and 'to' are set by hand so that a leader can step down voluntarily.
        return stepLocal(Message.newBuilder()
                .setType(MessageType.MsgTransferLeader)
                .setFrom(transferee)
                .setTo(lead)
                .build());
    }

    @Override
    public CompletableFuture<Void> forgetLeader() {
        return stepLocal(
                Message.newBuilder().setType(MessageType.MsgForgetLeader).build());
    }

    @Override
    public CompletableFuture<Void> readIndex(byte[] rctx) {
        Entry.Builder e = Entry.newBuilder();
        if (rctx != null) {
            e.setData(ByteString.copyFrom(rctx));
        }
        return stepLocal(Message.newBuilder()
                .setType(MessageType.MsgReadIndex)
                .addEntries(e)
                .build());
    }

    @Override
    public Status status() {
        checkNotLoopThread();
        CompletableFuture<Status> result = new CompletableFuture<>();
        enqueueLocal(new StatusRequest(result));
        return join(result);
    }

    @Override
    public void reportUnreachable(long id) {
        stepLocal(Message.newBuilder()
                .setType(MessageType.MsgUnreachable)
                .setFrom(id)
                .build());
    }

    @Override
    public void reportSnapshot(long id, SnapshotStatus status) {
        stepLocal(Message.newBuilder()
                .setType(MessageType.MsgSnapStatus)
                .setFrom(id)
                .setReject(status == SnapshotStatus.SnapshotFailure)
                .build());
    }

    @Override
    public void stop() {
        stopRequested = true;
        Thread t = loopThread;
        if (t == null) {
            stopped = true; // never started (tests build loops without a thread)
            return;
        }
        wakeUp();
        if (Thread.currentThread() == t) {
            return; // called from a callback on the loop thread: it exits after this turn
        }
        boolean interrupted = false;
        while (true) {
            try {
                exited.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public Throwable failure() {
        return failure;
    }

    // ---------------------------------------------------------------- helpers

    /** Ticks buffered and not yet served, for tests. */
    int pendingTicks() {
        return pendingTicks.get();
    }

    /** Whether the loop has exited, for tests. */
    boolean exitedForTest() {
        return exited.getCount() == 0;
    }

    /** The RawNode the loop owns; only for tests that inspect it after stop(). */
    RawNode rawNode() {
        return rn;
    }

    private CompletableFuture<Void> stepLocal(Message m) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        enqueueLocal(new Recv(m, done));
        return done;
    }

    private CompletableFuture<Void> enqueueProposal(Message m, boolean wantResult) {
        checkRunning();
        CompletableFuture<Void> result = new CompletableFuture<>();
        Proposal p = new Proposal(m, wantResult ? result : null);
        if (!proposals.offer(p)) {
            // Withdrawn proposals only leave the queue when the loop polls them, which it does not
            // while there is no leader; make room by discarding them before giving up.
            proposals.removeIf(q -> q.result() != null && q.result().isDone());
            if (!proposals.offer(p)) {
                result.completeExceptionally(new ProposalDroppedException());
                return result;
            }
        }
        if (stopped) {
            result.completeExceptionally(stoppedException());
            return result;
        }
        wakeUp();
        return result;
    }

    /** Enqueues a local request, waiting for room if need be (the loop always drains the queue). */
    private void enqueueLocal(Event e) {
        checkRunning();
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    if (events.offer(e, 10, TimeUnit.MILLISECONDS)) {
                        break;
                    }
                } catch (InterruptedException ie) {
                    interrupted = true;
                }
                checkRunning();
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (stopped) {
            failEvent(e, stoppedException());
        }
        wakeUp();
    }

    private void wakeUp() {
        signalled = true;
        Thread t = loopThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private void checkRunning() {
        if (stopped || stopRequested) {
            throw stoppedException();
        }
    }

    private void checkNotLoopThread() {
        if (Thread.currentThread() == loopThread) {
            throw new IllegalStateException("a blocking Node call was made on the node's own loop thread");
        }
    }

    private NodeStoppedException stoppedException() {
        return new NodeStoppedException(failure);
    }

    private static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            throw unchecked(e.getCause());
        }
    }

    /** A future's failure as the unchecked exception to rethrow (an Error is thrown as it is). */
    static RuntimeException unchecked(Throwable cause) {
        if (cause instanceof RuntimeException re) {
            return re;
        }
        if (cause instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(cause);
    }
}
