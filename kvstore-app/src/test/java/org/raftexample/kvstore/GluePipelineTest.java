package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.kvstore.proto.KV;
import org.raftexample.raft.NodeStoppedException;
import org.raftexample.raft.StateType;
import org.raftexample.raft.Status;
import org.raftexample.server.GlueAccess;
import org.raftexample.server.PublishedStatus;
import org.raftexample.server.RaftNode;
import org.raftexample.server.StateMachine;

/**
 * The pipelined glue: what runs in parallel, and the orderings that must survive it (leader's fsync vs
 * commit, apply vs snapshots and conf changes, batched reads vs leader changes, requests vs clients
 * that leave).
 */
@Timeout(120)
class GluePipelineTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    /** A KVStore per member, wired to that member's registry as RaftExample wires it. */
    private static class Kv {
        final Map<Long, KVStore> stores = new ConcurrentHashMap<>();
        final InProcessCluster c;

        Kv(InProcessCluster c) {
            this.c = c;
        }

        StateMachine make(long id) {
            KVStore s = new KVStore();
            stores.put(id, s);
            return s;
        }

        RaftKVService service(InProcessCluster.Member m) {
            return new RaftKVService(stores.get(m.opts().id()), m.node());
        }
    }

    private InProcessCluster cluster(int n, long snapshotCount, long catchup) throws IOException {
        InProcessCluster c = new InProcessCluster(n, snapshotCount, catchup);
        toClose.add(c);
        return c;
    }

    private static InProcessCluster.Member leaderOf(InProcessCluster c) throws InterruptedException {
        InProcessCluster.await("a leader", WAIT, () -> c.members.stream().anyMatch(m -> isLiveLeader(m)));
        return c.members.stream()
                .filter(GluePipelineTest::isLiveLeader)
                .findFirst()
                .orElseThrow();
    }

    private static boolean isLiveLeader(InProcessCluster.Member m) {
        try {
            return !m.node().terminated().isDone() && m.node().isLeader();
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void putUntilAcked(RaftKVService s, String k, String v) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                s.put(k, v).get(10, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    @Test
    void theLeadersOwnEntryCountsTowardCommitOnlyOnceItsWalWriteIsDone() throws Exception {
        InProcessCluster c = cluster(3, 10_000, 10_000);
        c.electionTicks = 200; // a stalled leader must not lose leadership during the test
        Kv kv = new Kv(c);
        c.startAll(kv::make);
        InProcessCluster.Member leader = leaderOf(c);
        putUntilAcked(kv.service(leader), "warm-up", "x");
        // Stop one follower: the quorum is now the leader and the other follower, so the leader's own
        // durable copy is needed for a commit.
        InProcessCluster.Member gone =
                c.members.stream().filter(m -> m != leader).findFirst().orElseThrow();
        gone.node().close();
        InProcessCluster.Member other = c.members.stream()
                .filter(m -> m != leader && m != gone)
                .findFirst()
                .orElseThrow();

        CountDownLatch diskDone = new CountDownLatch(1);
        AtomicBoolean slow = new AtomicBoolean(true);
        GlueAccess.setBeforeSave(leader.node(), () -> {
            if (slow.get()) {
                try {
                    diskDone.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        long committedBefore = leader.node().committedIndex();
        CompletableFuture<Void> put = kv.service(leader).put("k", "v");
        // The follower has the entry durably and answers at once; still nothing may commit.
        Thread.sleep(500);
        assertFalse(put.isDone(), "acknowledged before the leader's WAL write finished");
        assertEquals(committedBefore, leader.node().committedIndex());
        assertEquals(Optional.empty(), kv.stores.get(other.opts().id()).lookup("k"));
        slow.set(false);
        diskDone.countDown();
        put.get(20, TimeUnit.SECONDS);
        assertEquals(Optional.of("v"), kv.stores.get(leader.opts().id()).lookup("k"));
    }

    @Test
    void statusReportsDoNotWaitForARaftLoopHeldUpInItsWalWriteAndHealthSaysItIsStalled() throws Exception {
        InProcessCluster c = cluster(1, 10_000, 10_000);
        Kv kv = new Kv(c);
        c.startAll(kv::make);
        InProcessCluster.Member m = leaderOf(c);
        putUntilAcked(kv.service(m), "warm-up", "x");
        RaftNodeView view = new RaftNodeView(c.appOptions(1, c.peers, false), m.node(), kv.stores.get(1L));
        InProcessCluster.await("a healthy node", WAIT, () -> Health.of(view).healthy());

        CountDownLatch inSave = new CountDownLatch(1);
        CountDownLatch diskDone = new CountDownLatch(1);
        GlueAccess.setBeforeSave(m.node(), () -> {
            inSave.countDown();
            try {
                diskDone.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        CompletableFuture<Void> put = kv.service(m).put("k", "v");
        assertTrue(inSave.await(10, TimeUnit.SECONDS), "the write never reached the WAL");
        // The raft loop is held in its WAL write now: a status taken by the loop waits for it.
        CompletableFuture<Status> taken =
                CompletableFuture.supplyAsync(() -> m.node().status());
        Duration bound = view.maxRaftStatusAge();
        InProcessCluster.await("the status older than " + bound, WAIT, () -> {
            long start = System.nanoTime();
            boolean old = view.publishedStatus().age().compareTo(bound) > 0;
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the status waited for the loop");
            return old;
        });
        assertFalse(taken.isDone(), "the raft loop was not held up");

        long start = System.nanoTime();
        PublishedStatus published = view.publishedStatus();
        Health stalled = Health.of(view);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the reports waited for the raft loop");
        assertEquals(StateType.StateLeader, published.status().raftState());
        assertTrue(published.age().compareTo(bound) > 0, published.age().toString());
        assertFalse(stalled.healthy());
        assertTrue(stalled.reason().startsWith(Health.LOOP_STALLED + ": "), stalled.reason());

        diskDone.countDown();
        put.get(20, TimeUnit.SECONDS);
        assertEquals(StateType.StateLeader, taken.get(20, TimeUnit.SECONDS).raftState());
        InProcessCluster.await("healthy again", WAIT, () -> Health.of(view).healthy());

        // A loop that has ended is not a stalled one: its status is no longer handed out.
        m.node().close();
        InProcessCluster.await("the ended loop refusing its status", WAIT, () -> {
            try {
                view.publishedStatus();
                return false;
            } catch (NodeStoppedException e) {
                return true;
            }
        });
    }

    @Test
    void aNewRoleAndAnAppliedConfChangeArePublishedAtOnceNotAtTheNextTick() throws Exception {
        InProcessCluster c = cluster(1, 10_000, 10_000);
        // Ticks far apart: a status published only at a tick would show the old role or configuration
        // for up to a quarter second after raft has moved on.
        c.tick = Duration.ofMillis(250);
        c.electionTicks = 3;
        Kv kv = new Kv(c);
        c.startAll(kv::make);
        InProcessCluster.Member m = leaderOf(c);
        RaftNodeView view = new RaftNodeView(c.appOptions(1, c.peers, false), m.node(), kv.stores.get(1L));
        assertEquals(StateType.StateLeader, view.raftStatus().raftState(), "the leader's own status lags");
        assertEquals(1L, view.raftStatus().lead());

        m.node()
                .addNode(2, URI.create("http://127.0.0.1:" + NodeProcesses.freePort()))
                .get(20, TimeUnit.SECONDS);
        assertTrue(
                view.raftStatus().config().voters().incoming().contains(2L),
                "the applied configuration is not in the status: "
                        + view.raftStatus().config());
    }

    @Test
    void slowApplyRunsBesidePersistenceAndKeepsItsOrderWithSnapshotsAndConfChanges() throws Exception {
        InProcessCluster c = cluster(3, 25, 5);
        Map<Long, List<String>> problems = new ConcurrentHashMap<>();
        Map<Long, AtomicLong> lastApplied = new ConcurrentHashMap<>();
        Kv kv = new Kv(c) {
            @Override
            StateMachine make(long id) {
                KVStore inner = (KVStore) super.make(id);
                List<String> p = problems.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
                AtomicLong last = lastApplied.computeIfAbsent(id, k -> new AtomicLong());
                Map<String, Long> indexOfKey = new ConcurrentHashMap<>();
                return new StateMachine() {
                    @Override
                    public Object apply(long index, ByteString data) {
                        if (index <= last.get()) {
                            p.add("applied " + index + " after " + last.get());
                        }
                        last.set(index);
                        try {
                            Thread.sleep(1); // a slow state machine
                            indexOfKey.put(KV.parseFrom(data).getKey(), index);
                        } catch (Exception e) {
                            p.add(e.toString());
                        }
                        inner.apply(index, data);
                        return null;
                    }

                    @Override
                    public View view() {
                        // Taken on the apply thread; written later, while applying goes on.
                        long at = last.get();
                        Map<String, Long> before = new java.util.HashMap<>(indexOfKey);
                        View v = inner.view();
                        return new View() {
                            @Override
                            public long writeTo(java.io.OutputStream out) throws java.io.IOException {
                                java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
                                long n = v.writeTo(buf);
                                KVStore check = new KVStore();
                                check.restore(buf.toByteArray());
                                // Everything up to the view's applied index (KVStoreTest checks nothing after).
                                before.forEach((k, idx) -> {
                                    if (idx <= at && check.lookup(k).isEmpty()) {
                                        p.add("snapshot at " + at + " misses " + k + "@" + idx);
                                    }
                                });
                                buf.writeTo(out);
                                return n;
                            }

                            @Override
                            public void close() {
                                v.close();
                            }
                        };
                    }

                    @Override
                    public void restore(java.io.InputStream snapshot) throws java.io.IOException {
                        inner.restore(snapshot);
                        last.set(0);
                    }
                };
            }
        };
        c.startAll(kv::make);
        InProcessCluster.Member leader = leaderOf(c);
        RaftKVService s = kv.service(leader);
        putUntilAcked(s, "warm-up", "x");
        AtomicLong maxGap = new AtomicLong();
        // Sampled all along on a thread of its own, so a busy machine cannot hide the gap between samples.
        java.util.concurrent.ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gap-sampler");
            t.setDaemon(true);
            return t;
        });
        try {
            sampler.scheduleWithFixedDelay(
                    () -> maxGap.accumulateAndGet(
                            leader.node().committedIndex() - leader.node().appliedIndex(), Math::max),
                    0,
                    1,
                    TimeUnit.MILLISECONDS);
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                writes.add(s.put("k" + i, "v" + i));
                if (i == 150) {
                    // A conf change in the middle of the stream of writes.
                    int port = NodeProcesses.freePort();
                    writes.add(leader.node().addNode(4, java.net.URI.create("http://127.0.0.1:" + port)));
                }
                maxGap.accumulateAndGet(
                        leader.node().committedIndex() - leader.node().appliedIndex(), Math::max);
            }
            for (CompletableFuture<Void> w : writes) {
                try {
                    w.get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // a write may be dropped during the conf change; the checks below are about order
                }
                maxGap.accumulateAndGet(
                        leader.node().committedIndex() - leader.node().appliedIndex(), Math::max);
            }
        } finally {
            sampler.shutdownNow();
        }
        assertTrue(maxGap.get() > 0, "the raft loop committed ahead of the slow apply loop");
        // Everything committed anywhere (nothing new is proposed now), applied everywhere: the slow
        // apply loops may still be working through it, and leadership may have moved meanwhile.
        long target = c.members.stream()
                .mapToLong(m -> m.node().committedIndex())
                .max()
                .orElseThrow();
        InProcessCluster.await(
                "all live members applied " + target,
                WAIT,
                () -> c.members.stream().allMatch(m -> m.applied() >= target));
        for (List<String> p : problems.values()) {
            assertEquals(List.of(), p);
        }
        for (InProcessCluster.Member m : c.members) {
            assertFalse(m.node().terminated().isDone());
            assertEquals(
                    kv.stores.get(leader.opts().id()).size(),
                    kv.stores.get(m.opts().id()).size());
        }
        InProcessCluster.Member now = leaderOf(c);
        assertTrue(now.node().status().progress().containsKey(4L), "node 4 is a member");
    }

    @Test
    void batchedReadsSeeEveryWriteCompletedBeforeThemAcrossLeaderChanges() throws Exception {
        InProcessCluster c = cluster(3, 10_000, 10_000);
        Kv kv = new Kv(c);
        c.startAll(kv::make);
        putUntilAcked(kv.service(leaderOf(c)), "counter", "0");
        List<String> violations = new CopyOnWriteArrayList<>();
        AtomicLong acked = new AtomicLong();
        AtomicLong readsDone = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        // One writer counts up through whoever leads; readers on every node check they never see less
        // than what was acknowledged before their read began.
        Thread writer = new Thread(() -> {
            for (long i = 1; !stop.get(); i++) {
                try {
                    InProcessCluster.Member l = leaderOf(c);
                    kv.service(l).put("counter", Long.toString(i)).get(10, TimeUnit.SECONDS);
                    acked.set(i);
                } catch (Exception e) {
                    i--; // unknown outcome: try the same value again (a later value wins either way)
                }
            }
        });
        List<Thread> readers = new ArrayList<>();
        for (InProcessCluster.Member m : c.members) {
            for (int t = 0; t < 4; t++) {
                readers.add(new Thread(() -> {
                    while (!stop.get()) {
                        long before = acked.get();
                        try {
                            kv.service(m).readBarrier().get(10, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            continue; // no read index in time: no answer, nothing to check
                        }
                        long seen = Long.parseLong(
                                kv.stores.get(m.opts().id()).lookup("counter").orElse("0"));
                        if (seen < before) {
                            violations.add("node " + m.opts().id() + " read " + seen + " after " + before
                                    + " was acknowledged");
                        }
                        readsDone.incrementAndGet();
                    }
                }));
            }
        }
        writer.start();
        readers.forEach(Thread::start);
        // Move leadership around while the load runs.
        for (int round = 0; round < 4; round++) {
            Thread.sleep(700);
            InProcessCluster.Member l = leaderOf(c);
            long to = c.members.stream()
                    .filter(m -> m != l)
                    .findFirst()
                    .orElseThrow()
                    .opts()
                    .id();
            l.node().status(); // still alive
            l.node().transferLeadership(to);
        }
        Thread.sleep(700);
        stop.set(true);
        writer.join(20_000);
        for (Thread r : readers) {
            r.join(20_000);
        }
        assertEquals(List.of(), violations);
        assertTrue(acked.get() > 10, "writes went through: " + acked.get());
        assertTrue(readsDone.get() > 50, "reads went through: " + readsDone.get());
        long rounds =
                c.members.stream().mapToLong(m -> m.node().readIndexRounds()).sum();
        assertTrue(rounds < readsDone.get(), "reads share rounds: " + rounds + " rounds for " + readsDone.get());
    }

    @Test
    void aClientThatGoesAwayLeavesNoRequestBehind() throws Exception {
        // One member of three: no leader, so every PUT and GET waits.
        InProcessCluster c = cluster(3, 10_000, 10_000);
        RaftExample app = new RaftExample(c.appOptions(1, c.peers, false));
        toClose.add(app);
        app.start();
        for (String req : List.of(
                "PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nv", "GET /k HTTP/1.1\r\nHost: x\r\n\r\n")) {
            try (Socket sock = new Socket("127.0.0.1", app.httpPort())) {
                OutputStream out = sock.getOutputStream();
                out.write(req.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                Thread.sleep(200);
            }
        }
        RaftNode node = app.raftNodeForTest();
        InProcessCluster.await(
                "no request left waiting",
                Duration.ofSeconds(15),
                () -> GlueAccess.waitingRequests(node) == 0 && GlueAccess.waitingReads(node) == 0);
        // And a client that stays gets its 503 at the deadline.
        try (Socket sock = new Socket("127.0.0.1", app.httpPort())) {
            sock.getOutputStream()
                    .write("PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nv"
                            .getBytes(StandardCharsets.US_ASCII));
            InputStream in = sock.getInputStream();
            String status = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 503", status);
        }
    }
}
