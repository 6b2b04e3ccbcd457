package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.raftexample.raft.RaftTestUtil.newTestConfig;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * The behaviour of {@link Node} (etcd's node_test.go). Each test names the Go test it ports;
 * TestNodeStop checks {@link NodeStoppedException} where Go returns an empty Status, since every
 * call on a stopped node fails here. TestDisableProposalForwarding, TestNodeReadIndexToOldLeader
 * and TestAppendPagination exercise Raft directly through the raft-level test {@link Network}, as
 * in etcd.
 */
class NodeTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final List<Node> started = new ArrayList<>();

    @AfterEach
    void stopNodes() {
        started.forEach(Node::stop);
    }

    // ------------------------------------------------------------------ helpers

    /** A node loop over a RawNode built from cfg, not yet running (etcd's newNode). */
    private static NodeLoop newNode(Config cfg) {
        return new NodeLoop(new RawNode(cfg));
    }

    private NodeLoop run(NodeLoop n) {
        n.startThread();
        started.add(n);
        return n;
    }

    private NodeLoop startNode(Config cfg) {
        return run(newNode(cfg));
    }

    /**
     * etcd's readyWithTimeout: a Ready must come, or the test fails. etcd waits a second; a loaded
     * CI machine can starve the loop thread that long, and a longer wait costs nothing when it comes.
     */
    private static Ready readyWithTimeout(Node n) throws InterruptedException {
        Ready rd = n.ready(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (rd == null) {
            fail("timed out waiting for ready");
        }
        return rd;
    }

    private static void awaitCondition(BooleanSupplier cond, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Asserts that no Ready shows up within a short grace period (etcd waits 1ms). */
    private static void assertNoReady(Node n) throws InterruptedException {
        Ready rd = n.ready(10, TimeUnit.MILLISECONDS);
        assertNull(rd, () -> "unexpected Ready: " + rd);
    }

    /** Campaigns a single-voter node and handles Readys until it leads; the raft step hook is then set. */
    private static void electAndHook(NodeLoop n, MemoryStorage s, Raft.StepFunc hook) throws Exception {
        Node.await(n.campaign(), WAIT);
        Raft r = n.rawNode().raft;
        while (true) {
            Ready rd = readyWithTimeout(n);
            s.append(rd.entries());
            if (rd.softState() != null && rd.softState().lead() == r.id) {
                r.step = hook;
                n.advance();
                return;
            }
            n.advance();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Entry entry(long term, long index, String data) {
        Entry.Builder b = Entry.newBuilder().setTerm(term).setIndex(index);
        if (data != null) {
            b.setData(ByteString.copyFromUtf8(data));
        }
        return b.build();
    }

    // ------------------------------------------------------------------ tests

    /** TestNodeStep: proposals go to the proposal queue, other messages to the event queue, local ones nowhere. */
    @Test
    @Timeout(10)
    void stepRoutesProposalsAndPeerMessagesAndRejectsLocalTypes() {
        for (MessageType t : MessageType.values()) {
            NodeLoop n = newNode(
                    newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1))).build());
            Message m = Message.newBuilder().setType(t).build();
            if (t == MessageType.MsgProp) {
                assertTrue(n.step(m));
                assertEquals(1, n.proposals.size(), t + " must reach the proposal queue");
                assertTrue(n.events.isEmpty());
            } else if (Util.isLocalMsg(t)) {
                assertThrows(StepLocalMsgException.class, () -> n.step(m), t.toString());
                assertTrue(n.events.isEmpty(), t + " must not be stepped");
                assertTrue(n.proposals.isEmpty());
            } else {
                assertTrue(n.step(m));
                assertEquals(1, n.events.size(), t + " must reach the event queue");
                assertTrue(n.proposals.isEmpty());
            }
        }
    }

    /** TestNodeStepUnblock: a proposal waiting for a leader is released by its timeout and by stop. */
    @Test
    @Timeout(10)
    void waitingProposalIsReleasedByTimeoutAndByStop() throws Exception {
        NodeLoop n = startNode(
                newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1))).build());

        CompletableFuture<Void> timedOut = n.propose(bytes("a"));
        assertThrows(TimeoutException.class, () -> Node.await(timedOut, Duration.ofMillis(50)));
        assertTrue(timedOut.isCancelled(), "a timed-out proposal is withdrawn");

        CompletableFuture<Void> stopped = n.propose(bytes("b"));
        n.stop();
        ExecutionException e = assertThrows(ExecutionException.class, () -> stopped.get(1, TimeUnit.SECONDS));
        assertInstanceOf(NodeStoppedException.class, e.getCause());
        assertEquals("raft: stopped", e.getCause().getMessage());
    }

    /** TestNodePropose: a proposal reaches raft as a MsgProp with the data. */
    @Test
    @Timeout(10)
    void proposeStepsMsgPropIntoRaft() throws Exception {
        List<Message> msgs = new CopyOnWriteArrayList<>();
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        NodeLoop n = startNode(newTestConfig(1, 10, 1, s).build());
        electAndHook(n, s, (r, m) -> {
            if (m.getType() != MessageType.MsgAppResp) { // MsgAppResp is raft's own, from advance
                msgs.add(m);
            }
        });
        Node.await(n.propose(bytes("somedata")), WAIT);
        n.stop();

        assertEquals(1, msgs.size());
        assertEquals(MessageType.MsgProp, msgs.get(0).getType());
        assertEquals(
                ByteString.copyFromUtf8("somedata"), msgs.get(0).getEntries(0).getData());
    }

    /** TestNodeProposeConfig: a conf change reaches raft as a MsgProp carrying the marshalled change. */
    @Test
    @Timeout(10)
    void proposeConfChangeStepsMarshalledChangeIntoRaft() throws Exception {
        List<Message> msgs = new CopyOnWriteArrayList<>();
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        NodeLoop n = startNode(newTestConfig(1, 10, 1, s).build());
        electAndHook(n, s, (r, m) -> {
            if (m.getType() != MessageType.MsgAppResp) {
                msgs.add(m);
            }
        });
        ConfChange cc = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(1)
                .build();
        Node.await(n.proposeConfChange(cc), WAIT);
        n.stop();

        assertEquals(1, msgs.size());
        assertEquals(MessageType.MsgProp, msgs.get(0).getType());
        assertEquals(cc.toByteString(), msgs.get(0).getEntries(0).getData());
        assertEquals(EntryType.EntryConfChange, msgs.get(0).getEntries(0).getType());
    }

    /** TestNodeProposeWaitDropped: a proposal raft drops fails with ProposalDroppedException at once. */
    @Test
    @Timeout(10)
    void proposalDroppedByRaftFailsItsFuture() throws Exception {
        List<Message> msgs = new CopyOnWriteArrayList<>();
        ByteString dropping = ByteString.copyFromUtf8("test_dropping");
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        NodeLoop n = startNode(newTestConfig(1, 10, 1, s).build());
        electAndHook(n, s, (r, m) -> {
            if (m.getType() == MessageType.MsgProp && m.getEntries(0).getData().equals(dropping)) {
                throw new ProposalDroppedException();
            }
            if (m.getType() != MessageType.MsgAppResp) {
                msgs.add(m);
            }
        });
        CompletableFuture<Void> f = n.propose(dropping);
        assertThrows(ProposalDroppedException.class, () -> Node.await(f, WAIT));
        n.stop();
        assertTrue(msgs.isEmpty());
    }

    /** TestDisableProposalForwarding: a follower with DisableProposalForwarding drops proposals instead of forwarding them. */
    @Test
    @Timeout(10)
    void followerWithForwardingDisabledDoesNotForwardProposals() {
        Raft r1 = RaftTestUtil.newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Raft r2 = RaftTestUtil.newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Config.Builder cfg3 = newTestConfig(3, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        cfg3.disableProposalForwarding(true);
        Raft r3 = Raft.newRaft(cfg3.build());
        Network nt = Network.newNetwork(r1, r2, r3);

        nt.send(Message.newBuilder()
                .setFrom(1)
                .setTo(1)
                .setType(MessageType.MsgHup)
                .build()); // elect r1

        Entry testEntry =
                Entry.newBuilder().setData(ByteString.copyFromUtf8("testdata")).build();
        // r2 forwards the proposal to the leader.
        r2.step(Message.newBuilder()
                .setFrom(2)
                .setTo(2)
                .setType(MessageType.MsgProp)
                .addEntries(testEntry)
                .build());
        assertEquals(1, r2.msgs.size());

        // r3 does not.
        assertThrows(
                ProposalDroppedException.class,
                () -> r3.step(Message.newBuilder()
                        .setFrom(3)
                        .setTo(3)
                        .setType(MessageType.MsgProp)
                        .addEntries(testEntry)
                        .build()));
        assertTrue(r3.msgs.isEmpty());
    }

    /** TestNodeReadIndexToOldLeader: MsgReadIndex sent to an old leader is forwarded to the new one, without a term. */
    @Test
    @Timeout(10)
    void readIndexToOldLeaderIsForwardedToTheNewLeader() {
        Raft r1 = RaftTestUtil.newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Raft r2 = RaftTestUtil.newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Raft r3 = RaftTestUtil.newTestRaft(3, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Network nt = Network.newNetwork(r1, r2, r3);

        nt.send(Message.newBuilder()
                .setFrom(1)
                .setTo(1)
                .setType(MessageType.MsgHup)
                .build()); // elect r1

        Entry testEntry =
                Entry.newBuilder().setData(ByteString.copyFromUtf8("testdata")).build();
        // Followers r2 and r3 forward read index requests to r1 with no term set.
        r2.step(readIndex(2, 2, testEntry));
        assertEquals(1, r2.msgs.size());
        Message readIndxMsg1 = readIndex(2, 1, testEntry);
        assertEquals(readIndxMsg1, r2.msgs.get(0));

        r3.step(readIndex(3, 3, testEntry));
        assertEquals(1, r3.msgs.size());
        Message readIndxMsg2 = readIndex(3, 1, testEntry);
        assertEquals(readIndxMsg2, r3.msgs.get(0));

        nt.send(Message.newBuilder()
                .setFrom(3)
                .setTo(3)
                .setType(MessageType.MsgHup)
                .build()); // elect r3

        // r1, now a follower, forwards both to r3.
        r1.step(readIndxMsg1);
        r1.step(readIndxMsg2);
        assertEquals(2, r1.msgs.size());
        assertEquals(readIndex(2, 3, testEntry), r1.msgs.get(0));
        assertEquals(readIndex(3, 3, testEntry), r1.msgs.get(1));
    }

    private static Message readIndex(long from, long to, Entry e) {
        return Message.newBuilder()
                .setFrom(from)
                .setTo(to)
                .setType(MessageType.MsgReadIndex)
                .addEntries(e)
                .build();
    }

    /** TestNodeProposeAddDuplicateNode: adding a node twice does not block adding another one. */
    @Test
    @Timeout(20)
    void duplicateAddNodeDoesNotBlockLaterConfChanges() throws Exception {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        NodeLoop n = startNode(newTestConfig(1, 10, 1, s).build());
        Node.await(n.campaign(), WAIT);
        Ready first = readyWithTimeout(n);
        s.append(first.entries());
        n.advance();

        List<Entry> allCommitted = Collections.synchronizedList(new ArrayList<>());
        LinkedBlockingQueue<Boolean> applied = new LinkedBlockingQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread app = appThread(n, stop, rd -> {
            s.append(rd.entries());
            boolean sawConf = false;
            for (Entry e : rd.committedEntries()) {
                allCommitted.add(e);
                if (e.getType() == EntryType.EntryConfChange) {
                    n.applyConfChange(parseConfChange(e));
                    sawConf = true;
                }
            }
            n.advance();
            if (sawConf) {
                applied.add(true);
            }
        });

        ConfChange cc1 = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(1)
                .build();
        Node.await(n.proposeConfChange(cc1), WAIT);
        assertNotNull(applied.poll(10, TimeUnit.SECONDS));

        // Adding the same node again.
        Node.await(n.proposeConfChange(cc1), WAIT);
        assertNotNull(applied.poll(10, TimeUnit.SECONDS));

        // A new node still joins.
        ConfChange cc2 = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(2)
                .build();
        Node.await(n.proposeConfChange(cc2), WAIT);
        assertNotNull(applied.poll(10, TimeUnit.SECONDS));

        stop.set(true);
        app.join();
        assertEquals(4, allCommitted.size());
        assertEquals(cc1.toByteString(), allCommitted.get(1).getData());
        assertEquals(cc2.toByteString(), allCommitted.get(3).getData());
    }

    /** TestBlockProposal: proposals wait while no leader is known and go through once one is. */
    @Test
    @Timeout(20)
    void proposalWaitsForALeader() throws Exception {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        NodeLoop n = startNode(newTestConfig(1, 10, 1, s).build());

        CompletableFuture<Void> f = n.propose(bytes("somedata"));
        // A status round trip proves the loop has had turns in which it could have taken it.
        n.status();
        n.status();
        assertFalse(f.isDone(), "proposal must wait while there is no leader");
        assertEquals(1, n.proposals.size());

        Node.await(n.campaign(), WAIT);
        Ready rd = readyWithTimeout(n);
        s.append(rd.entries());
        n.advance();
        Node.await(f, WAIT); // completes without error
    }

    /** TestNodeTick: a tick reaches raft's logical clock. */
    @Test
    @Timeout(10)
    void tickAdvancesElectionElapsed() {
        NodeLoop n = newNode(
                newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1))).build());
        Raft r = n.rawNode().raft;
        int elapsed = r.electionElapsed;
        run(n);
        n.tick();
        awaitCondition(() -> n.pendingTicks() == 0, "the tick to be taken");
        n.stop();
        assertEquals(elapsed + 1, r.electionElapsed);
    }

    /** Ticks beyond the buffer are dropped (with a warning), never blocking the caller. */
    @Test
    @Timeout(10)
    void ticksBeyondTheBufferAreDropped() {
        NodeLoop n = newNode(
                newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1))).build());
        for (int i = 0; i < NodeLoop.TICK_BUFFER + 10; i++) {
            n.tick();
        }
        assertEquals(NodeLoop.TICK_BUFFER, n.pendingTicks());
    }

    /** TestNodeStop: stop waits for the loop to exit, is idempotent, and later calls fail fast. */
    @Test
    @Timeout(10)
    void stopWaitsForTheLoopAndLaterCallsFail() {
        NodeLoop n = startNode(
                newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1))).build());
        Status status = n.status();
        assertEquals(1, status.id());
        n.stop();
        assertTrue(n.exitedForTest(), "stop returns once the loop has exited");

        assertThrows(NodeStoppedException.class, n::status);
        assertThrows(NodeStoppedException.class, n::tick);
        assertThrows(NodeStoppedException.class, () -> n.propose(bytes("x")));
        assertThrows(NodeStoppedException.class, n::ready);
        assertThrows(
                NodeStoppedException.class,
                () -> n.step(Message.newBuilder().setType(MessageType.MsgApp).build()));
        n.stop(); // no effect
    }

    /** TestNodeStart: a started node emits its bootstrap entries, campaigns, and commits a proposal. */
    @Test
    @Timeout(10)
    void startedNodeBootstrapsAndCommitsAProposal() throws Exception {
        ConfChange cc = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddNode)
                .setNodeId(1)
                .build();
        Entry ccEntry = Entry.newBuilder()
                .setType(EntryType.EntryConfChange)
                .setTerm(1)
                .setIndex(1)
                .setData(cc.toByteString())
                .build();
        List<Ready> wants = List.of(
                new Ready(
                        null,
                        HardState.newBuilder()
                                .setTerm(1)
                                .setCommit(1)
                                .setVote(0)
                                .build(),
                        null,
                        List.of(ccEntry),
                        null,
                        List.of(ccEntry),
                        null,
                        true),
                new Ready(
                        null,
                        HardState.newBuilder()
                                .setTerm(2)
                                .setCommit(2)
                                .setVote(1)
                                .build(),
                        null,
                        List.of(entry(2, 3, "foo")),
                        null,
                        List.of(entry(2, 2, null)),
                        null,
                        true),
                new Ready(
                        null,
                        HardState.newBuilder()
                                .setTerm(2)
                                .setCommit(3)
                                .setVote(1)
                                .build(),
                        null,
                        null,
                        null,
                        List.of(entry(2, 3, "foo")),
                        null,
                        false));
        MemoryStorage storage = new MemoryStorage();
        Config.Builder c = newTestConfig(1, 10, 1, storage);
        Node n = Node.start(c.build(), List.of(new Peer(1)));
        started.add(n);

        Ready rd = readyWithTimeout(n);
        assertEquals(wants.get(0), rd);
        storage.append(rd.entries());
        n.advance();

        Node.await(n.campaign(), WAIT);
        // Persist the vote, then append the leader's empty entry.
        rd = readyWithTimeout(n);
        storage.append(rd.entries());
        n.advance();
        rd = readyWithTimeout(n);
        storage.append(rd.entries());
        n.advance();

        Node.await(n.propose(bytes("foo")), WAIT);
        rd = readyWithTimeout(n);
        assertEquals(wants.get(1), rd);
        storage.append(rd.entries());
        n.advance();

        rd = readyWithTimeout(n);
        assertEquals(wants.get(2), rd);
        storage.append(rd.entries());
        n.advance();

        assertNoReady(n);
    }

    /** Node.start refuses an empty peer list, as etcd's StartNode panics. */
    @Test
    @Timeout(10)
    void startWithoutPeersIsRejected() {
        Config.Builder c = newTestConfig(1, 10, 1, new MemoryStorage());
        assertThrows(IllegalArgumentException.class, () -> Node.start(c.build(), List.of()));
    }

    /** TestNodeRestart: a restarted node re-emits its committed entries and no hard state. */
    @Test
    @Timeout(10)
    void restartedNodeReplaysCommittedEntries() throws Exception {
        List<Entry> entries = List.of(entry(1, 1, null), entry(1, 2, "foo"));
        HardState st = HardState.newBuilder().setTerm(1).setCommit(1).build();
        Ready want = new Ready(null, null, null, null, null, entries.subList(0, 1), null, false);

        MemoryStorage storage = new MemoryStorage();
        storage.setHardState(st);
        storage.append(entries);
        Node n = Node.restart(newTestConfig(1, 10, 1, storage).build());
        started.add(n);
        assertEquals(want, readyWithTimeout(n));
        n.advance();
        assertNoReady(n);
    }

    /** TestNodeRestartFromSnapshot: a node restarted over a snapshot replays only what follows it. */
    @Test
    @Timeout(10)
    void restartedNodeFromSnapshotReplaysEntriesAfterIt() throws Exception {
        Snapshot snap = Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setConfState(ConfState.newBuilder().addVoters(1).addVoters(2))
                        .setIndex(2)
                        .setTerm(1))
                .build();
        List<Entry> entries = List.of(entry(1, 3, "foo"));
        HardState st = HardState.newBuilder().setTerm(1).setCommit(3).build();
        Ready want = new Ready(null, null, null, null, null, entries, null, false);

        MemoryStorage s = new MemoryStorage();
        s.setHardState(st);
        s.applySnapshot(snap);
        s.append(entries);
        Node n = Node.restart(newTestConfig(1, 10, 1, s).build());
        started.add(n);
        assertEquals(want, readyWithTimeout(n));
        n.advance();
        assertNoReady(n);
    }

    /** TestNodeAdvance: after advance the next Ready is handed out. */
    @Test
    @Timeout(10)
    void advanceReleasesTheNextReady() throws Exception {
        MemoryStorage storage = newTestMemoryStorage(withPeers(1));
        NodeLoop n = startNode(newTestConfig(1, 10, 1, storage).build());
        Node.await(n.campaign(), WAIT);
        Ready rd = readyWithTimeout(n); // persist vote
        storage.append(rd.entries());
        n.advance();
        rd = readyWithTimeout(n); // append empty entry
        storage.append(rd.entries());
        n.advance();

        Node.await(n.propose(bytes("foo")), WAIT);
        rd = readyWithTimeout(n);
        storage.append(rd.entries());
        n.advance();
        assertNotNull(n.ready(100, TimeUnit.MILLISECONDS), "expect Ready after Advance");
    }

    /** At most one Ready is outstanding: none is handed out until the previous one is advanced. */
    @Test
    @Timeout(10)
    void noSecondReadyBeforeAdvance() throws Exception {
        MemoryStorage storage = newTestMemoryStorage(withPeers(1));
        NodeLoop n = startNode(newTestConfig(1, 10, 1, storage).build());
        assertThrows(IllegalStateException.class, n::advance, "advance without an outstanding Ready");
        Node.await(n.campaign(), WAIT);
        Ready rd = readyWithTimeout(n); // persist the vote
        storage.append(rd.entries());
        n.advance();
        rd = readyWithTimeout(n); // the leader's empty entry, held without advancing
        assertEquals(StateType.StateLeader, rd.softState().raftState());
        Node.await(n.propose(bytes("foo")), WAIT); // raft now has more work
        assertNoReady(n);
        storage.append(rd.entries());
        n.advance();
        assertNotNull(readyWithTimeout(n));
    }

    /** A Ready whose waiter gave up is handed to the next waiter, not lost. */
    @Test
    @Timeout(10)
    void readyFutureIsReusedAndSurvivesAGivenUpWait() throws Exception {
        MemoryStorage storage = newTestMemoryStorage(withPeers(1));
        NodeLoop n = startNode(newTestConfig(1, 10, 1, storage).build());
        CompletableFuture<Ready> f = n.ready();
        assertSame(f, n.ready(), "the pending future is shared until it completes");
        assertNull(n.ready(10, TimeUnit.MILLISECONDS));
        f.cancel(false);
        assertThrows(CancellationException.class, f::join);
        Node.await(n.campaign(), WAIT);
        Ready rd = readyWithTimeout(n);
        assertEquals(StateType.StateCandidate, rd.softState().raftState());
        assertEquals(HardState.newBuilder().setTerm(1).setVote(1).setCommit(0).build(), rd.hardState());
    }

    /** TestNodeReadIndex (node level): a read index request comes back as a ReadState with its context. */
    @Test
    @Timeout(10)
    void readIndexComesBackAsReadStateWithItsContext() throws Exception {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        NodeLoop n = startNode(newTestConfig(1, 10, 1, s).build());
        Node.await(n.campaign(), WAIT);
        long committed = 0;
        // Become leader and commit the empty entry of the new term, so reads can be served.
        while (committed < 1) {
            Ready rd = readyWithTimeout(n);
            s.append(rd.entries());
            if (rd.hardState() != null) {
                committed = rd.hardState().getCommit();
            }
            n.advance();
        }
        byte[] ctx = bytes("somedata");
        Node.await(n.readIndex(ctx), WAIT);
        Ready rd = readyWithTimeout(n);
        assertEquals(List.of(new ReadState(1, ByteString.copyFrom(ctx))), rd.readStates());
        n.advance();
    }

    /** TestSoftStateEqual. */
    @Test
    @Timeout(10)
    void softStateEquality() {
        SoftState empty = new SoftState(0, StateType.StateFollower);
        assertEquals(empty, new SoftState(0, StateType.StateFollower));
        assertFalse(new SoftState(1, StateType.StateFollower).equals(empty));
        assertFalse(new SoftState(0, StateType.StateLeader).equals(empty));
    }

    /** TestIsHardStateEqual. */
    @Test
    @Timeout(10)
    void hardStateEquality() {
        assertTrue(Util.isHardStateEqual(null, null));
        assertFalse(Util.isHardStateEqual(HardState.newBuilder().setVote(1).build(), null));
        assertFalse(Util.isHardStateEqual(HardState.newBuilder().setCommit(1).build(), null));
        assertFalse(Util.isHardStateEqual(HardState.newBuilder().setTerm(1).build(), null));
    }

    /** TestNodeProposeAddLearnerNode: applying an add-learner change reports the learner, voters unchanged. */
    @Test
    @Timeout(20)
    void addLearnerChangeReturnsConfStateWithTheLearner() throws Exception {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        NodeLoop n = startNode(newTestConfig(1, 10, 1, s).build());
        Node.await(n.campaign(), WAIT);
        LinkedBlockingQueue<ConfState> states = new LinkedBlockingQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread app = appThread(n, stop, rd -> {
            s.append(rd.entries());
            for (Entry e : rd.entries()) {
                if (e.getType() == EntryType.EntryConfChange) {
                    states.add(n.applyConfChange(parseConfChange(e)));
                }
            }
            n.advance();
        });
        ConfChange cc = ConfChange.newBuilder()
                .setType(ConfChangeType.ConfChangeAddLearnerNode)
                .setNodeId(2)
                .build();
        Node.await(n.proposeConfChange(cc), WAIT);
        ConfState state = states.poll(10, TimeUnit.SECONDS);
        stop.set(true);
        app.join();
        assertNotNull(state);
        assertEquals(List.of(2L), state.getLearnersList(), "apply conf change should return the new learner");
        assertEquals(List.of(1L), state.getVotersList(), "adding a learner must not change the voters");
    }

    /** TestAppendPagination: MsgApp never exceeds MaxSizePerMsg, and batches fill up to it. */
    @Test
    @Timeout(10)
    void appendMessagesArePaginated() {
        int maxSizePerMsg = 2048;
        Network nt = Network.newNetworkWithConfig(c -> c.maxSizePerMsg(maxSizePerMsg), null, null, null);
        boolean[] seenFullMessage = {false};
        List<String> tooLarge = new ArrayList<>();
        nt.msgHook = m -> {
            if (m.getType() == MessageType.MsgApp) {
                int size = 0;
                for (Entry e : m.getEntriesList()) {
                    size += e.getData().size();
                }
                if (size > maxSizePerMsg) {
                    tooLarge.add("sent MsgApp that is too large: " + size);
                }
                if (size > maxSizePerMsg / 2) {
                    seenFullMessage[0] = true;
                }
            }
            return true;
        };

        nt.send(Message.newBuilder()
                .setFrom(1)
                .setTo(1)
                .setType(MessageType.MsgHup)
                .build());
        // Partition the leader while proposing, so the entries are batched into larger messages.
        nt.isolate(1);
        ByteString blob = ByteString.copyFromUtf8("a".repeat(1000));
        for (int i = 0; i < 5; i++) {
            nt.send(Message.newBuilder()
                    .setFrom(1)
                    .setTo(1)
                    .setType(MessageType.MsgProp)
                    .addEntries(Entry.newBuilder().setData(blob))
                    .build());
        }
        nt.recover();
        // A heartbeat wakes everything up once the partition heals.
        nt.send(Message.newBuilder()
                .setFrom(1)
                .setTo(1)
                .setType(MessageType.MsgBeat)
                .build());
        assertEquals(List.of(), tooLarge);
        assertTrue(
                seenFullMessage[0],
                "didn't see any messages more than half the max size; something is wrong with this test");
    }

    /** TestCommitPagination: committed entries come in batches bounded by MaxCommittedSizePerReady. */
    @Test
    @Timeout(10)
    void committedEntriesArePaginated() throws Exception {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        Config.Builder cfg = newTestConfig(1, 10, 1, s);
        cfg.maxCommittedSizePerReady(2048);
        NodeLoop n = startNode(cfg.build());
        Node.await(n.campaign(), WAIT);

        Ready rd = readyWithTimeout(n); // persist vote
        s.append(rd.entries());
        n.advance();
        rd = readyWithTimeout(n); // append empty entry
        s.append(rd.entries());
        n.advance();
        rd = readyWithTimeout(n); // apply empty entry
        assertEquals(1, rd.committedEntries().size());
        s.append(rd.entries());
        n.advance();

        byte[] blob = bytes("a".repeat(1000));
        for (int i = 0; i < 3; i++) {
            Node.await(n.propose(blob), WAIT);
        }

        rd = readyWithTimeout(n); // the three proposals are appended first
        assertEquals(3, rd.entries().size());
        s.append(rd.entries());
        n.advance();

        rd = readyWithTimeout(n); // and commit in two batches
        assertEquals(2, rd.committedEntries().size());
        s.append(rd.entries());
        n.advance();
        rd = readyWithTimeout(n);
        assertEquals(1, rd.committedEntries().size());
        s.append(rd.entries());
        n.advance();
    }

    /** TestCommitPaginationWithAsyncStorageWrites: an entry is not handed out to apply before the previous apply is acknowledged. */
    @Test
    @Timeout(10)
    void committedEntriesArePaginatedWithAsyncStorageWrites() throws Exception {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        Config.Builder cfg = newTestConfig(1, 10, 1, s);
        cfg.maxCommittedSizePerReady(2048);
        cfg.asyncStorageWrites(true);
        NodeLoop n = startNode(cfg.build());
        Node.await(n.campaign(), WAIT);

        // Persist vote.
        Ready rd = readyWithTimeout(n);
        assertEquals(1, rd.messages().size());
        appendAndRespond(n, s, rd.messages().get(0));
        // Append empty entry.
        rd = readyWithTimeout(n);
        assertEquals(1, rd.messages().size());
        appendAndRespond(n, s, rd.messages().get(0));
        // Apply empty entry.
        rd = readyWithTimeout(n);
        assertEquals(2, rd.messages().size());
        for (Message m : rd.messages()) {
            if (m.getType() == MessageType.MsgStorageAppend) {
                appendAndRespond(n, s, m);
            } else if (m.getType() == MessageType.MsgStorageApply) {
                assertEquals(1, m.getEntriesCount());
                assertEquals(1, m.getResponsesCount());
                assertTrue(n.step(m.getResponses(0)));
            } else {
                fail("unexpected: " + m);
            }
        }

        byte[] blob = bytes("a".repeat(1024));
        // Propose and append the first entry.
        Node.await(n.propose(blob), WAIT);
        rd = readyWithTimeout(n);
        assertEquals(1, rd.messages().size());
        assertEquals(MessageType.MsgStorageAppend, rd.messages().get(0).getType());
        assertEquals(1, rd.messages().get(0).getEntriesCount());
        appendAndRespond(n, s, rd.messages().get(0));

        List<Message> applyResps = new ArrayList<>();
        // Propose the second entry and append it; do not apply the first yet. Same for the third.
        for (int i = 0; i < 2; i++) {
            Node.await(n.propose(blob), WAIT);
            rd = readyWithTimeout(n);
            assertEquals(2, rd.messages().size());
            for (Message m : rd.messages()) {
                if (m.getType() == MessageType.MsgStorageAppend) {
                    appendAndRespond(n, s, m);
                } else if (m.getType() == MessageType.MsgStorageApply) {
                    assertEquals(1, m.getEntriesCount());
                    assertEquals(1, m.getResponsesCount());
                    applyResps.add(m.getResponses(0));
                } else {
                    fail("unexpected: " + m);
                }
            }
        }

        // The third entry is not handed out to apply until the first one's apply is acknowledged.
        for (Ready more; (more = n.ready(10, TimeUnit.MILLISECONDS)) != null; ) {
            for (Message m : more.messages()) {
                assertFalse(m.getType() == MessageType.MsgStorageApply, "unexpected message: " + m);
            }
        }

        assertTrue(n.step(applyResps.remove(0)));
        rd = readyWithTimeout(n);
        assertEquals(1, rd.messages().size());
        Message m = rd.messages().get(0);
        assertEquals(MessageType.MsgStorageApply, m.getType());
        assertEquals(1, m.getEntriesCount());
        applyResps.add(m.getResponses(0));
        for (Message resp : applyResps) {
            assertTrue(n.step(resp));
        }
    }

    /** TestNodeCommitPaginationAfterRestart: a storage returning more than asked does not make the commit index regress. */
    @Test
    @Timeout(10)
    void commitIndexDoesNotRegressAfterRestartWithGreedyStorage() throws Exception {
        MemoryStorage ms = newTestMemoryStorage(withPeers(1));
        HardState persisted =
                HardState.newBuilder().setTerm(1).setVote(1).setCommit(10).build();
        ms.setHardState(persisted);
        List<Entry> ents = new ArrayList<>();
        long size = 0;
        for (int i = 0; i < 10; i++) {
            Entry e = Entry.newBuilder()
                    .setTerm(1)
                    .setIndex(i + 1)
                    .setType(EntryType.EntryNormal)
                    .setData(ByteString.copyFromUtf8("a"))
                    .build();
            ents.add(e);
            size += e.getSerializedSize();
        }
        ms.append(ents);
        Storage s = new IgnoreSizeHintMemStorage(ms);

        Config.Builder cfg = newTestConfig(1, 10, 1, s);
        // Suggests to raft that the last committed entry should not be in the first Ready; the
        // storage ignores the limit and returns it anyway.
        cfg.maxSizePerMsg(size - ents.get(ents.size() - 1).getSerializedSize() - 1);
        NodeLoop n = startNode(cfg.build());

        Ready rd = readyWithTimeout(n);
        assertFalse(
                !Util.isEmptyHardState(rd.hardState()) && rd.hardState().getCommit() < persisted.getCommit(),
                () -> "HardState regressed: Commit " + persisted.getCommit() + " -> "
                        + rd.hardState().getCommit());
    }

    /** A raft failure on the loop stops the node and reaches the caller, never swallowed. */
    @Test
    @Timeout(10)
    void raftPanicStopsTheNodeAndReachesCallers() throws Exception {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        NodeLoop n = startNode(newTestConfig(1, 10, 1, s).build());
        electAndHook(n, s, (r, m) -> {
            if (m.getType() == MessageType.MsgProp) {
                throw new RaftPanicException("boom");
            }
        });
        CompletableFuture<Void> f = n.propose(bytes("x"));
        RaftPanicException p = assertThrows(RaftPanicException.class, () -> Node.await(f, WAIT));
        assertEquals("boom", p.getMessage());
        awaitCondition(n::exitedForTest, "the loop to exit");
        assertSame(p, n.failure());
        NodeStoppedException e = assertThrows(NodeStoppedException.class, n::status);
        assertSame(p, e.getCause());
        assertSame(p, assertThrows(NodeStoppedException.class, n::ready).getCause());
    }

    /** A peer message arriving while the inbound queue is full is refused, not blocked on. */
    @Test
    @Timeout(10)
    void stepRefusesPeerMessagesWhenTheQueueIsFull() {
        NodeLoop n = newNode(
                newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1))).build());
        Message m = Message.newBuilder()
                .setType(MessageType.MsgApp)
                .setFrom(2)
                .setTo(1)
                .build();
        int accepted = 0;
        while (n.step(m)) {
            accepted++;
        }
        assertEquals(NodeLoop.EVENT_CAPACITY - NodeLoop.LOCAL_RESERVE, accepted);
        // Local requests still find room.
        n.campaign();
        assertEquals(accepted + 1, n.events.size());
    }

    // ------------------------------------------------------------------ app-thread helpers

    private interface ReadyHandler {
        void handle(Ready rd) throws Exception;
    }

    /** An application thread that ticks every 100ms and handles Readys until told to stop. */
    private static Thread appThread(Node n, AtomicBoolean stop, ReadyHandler handler) {
        Thread t = new Thread(
                () -> {
                    long nextTick = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
                    try {
                        while (!stop.get()) {
                            Ready rd = n.ready(10, TimeUnit.MILLISECONDS);
                            if (rd != null) {
                                handler.handle(rd);
                            }
                            if (System.nanoTime() - nextTick >= 0) {
                                n.tick();
                                nextTick += TimeUnit.MILLISECONDS.toNanos(100);
                            }
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                },
                "node-test-app");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static ConfChange parseConfChange(Entry e) {
        try {
            return ConfChange.parseFrom(e.getData());
        } catch (InvalidProtocolBufferException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static void appendAndRespond(Node n, MemoryStorage s, Message m) {
        assertEquals(MessageType.MsgStorageAppend, m.getType());
        s.append(m.getEntriesList());
        for (Message resp : m.getResponsesList()) {
            assertTrue(n.step(resp));
        }
    }
}
