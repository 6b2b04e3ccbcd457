package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.kvstore.proto.KV;
import org.raftexample.server.GlueAccess;
import org.raftexample.server.RaftNode;
import org.raftexample.server.ServerConfig;
import org.raftexample.server.StateMachine;

/** The behaviours of the original's raftexample_test.go, on RaftNode with real WAL, snapshots and transport. */
@Timeout(60)
class RaftNodeTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private InProcessCluster cluster(int n, long snapshotCount, long catchup) throws IOException {
        InProcessCluster c = new InProcessCluster(n, snapshotCount, catchup);
        toClose.add(c);
        return c;
    }

    /** A KVStore wired to its own node, as RaftExample wires them. */
    private static final class Stores {
        final Map<Long, KvClient> byId = new ConcurrentHashMap<>();
        private final InProcessCluster cluster;

        Stores(InProcessCluster cluster) {
            this.cluster = cluster;
        }

        StateMachine make(long id) {
            KVStore s = new KVStore();
            byId.put(id, new KvClient(id, s));
            return s;
        }

        void bind(InProcessCluster.Member m) {
            byId.get(m.opts().id()).node.set(m.node());
        }
    }

    /** Writes and local reads on one member, as the HTTP API does them. */
    static final class KvClient {
        final long id;
        final KVStore store;
        final AtomicReference<RaftNode> node = new AtomicReference<>();

        KvClient(long id, KVStore store) {
            this.id = id;
            this.store = store;
        }

        CompletableFuture<Void> propose(String key, String value) {
            return new RaftKVService(store, node.get()).put(key, value);
        }

        Optional<String> lookup(String key) {
            return store.lookup(key);
        }

        long size() {
            return store.size();
        }
    }

    private static byte[] kv(String key, String value) {
        return KV.newBuilder()
                .setKey(key)
                .setValue(ByteString.copyFromUtf8(value))
                .build()
                .toByteArray();
    }

    /** Proposes until raft accepts (while no leader is elected, proposals may be dropped). */
    private static void proposeUntilAccepted(RaftNode node, byte[] data) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                node.propose(data).get(5, TimeUnit.SECONDS);
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
    void proposalsAreCommittedOnAllThreeNodesWhileApplyFeedsNewProposals() throws Exception {
        // TestProposeOnCommit: every applied entry makes its node propose again; that must not stall raft.
        InProcessCluster c = cluster(3, 10_000, 10_000);
        Map<Long, AtomicInteger> appliedCount = new ConcurrentHashMap<>();
        Map<Long, AtomicReference<RaftNode>> refs = new ConcurrentHashMap<>();
        c.startAll(id -> {
            AtomicInteger count = appliedCount.computeIfAbsent(id, k -> new AtomicInteger());
            AtomicReference<RaftNode> ref = refs.computeIfAbsent(id, k -> new AtomicReference<>());
            return new StateMachine() {
                @Override
                public Object apply(long index, ByteString data) {
                    if (count.incrementAndGet() < 100) {
                        ref.get().propose(data.toByteArray());
                    }
                    return null;
                }

                @Override
                public View view() {
                    return new KVStore().view();
                }

                @Override
                public void restore(InputStream snapshot) throws IOException {
                    snapshot.transferTo(OutputStream.nullOutputStream());
                }
            };
        });
        for (InProcessCluster.Member m : c.members) {
            refs.get(m.opts().id()).set(m.node());
        }
        for (InProcessCluster.Member m : c.members) {
            proposeUntilAccepted(m.node(), kv("foo", "from " + m.opts().id()));
        }
        InProcessCluster.await(
                "100 entries applied on every node",
                WAIT,
                () -> appliedCount.values().stream().allMatch(n -> n.get() >= 100) && appliedCount.size() == 3);
        long applied0 = c.member(0).applied();
        InProcessCluster.await(
                "all nodes at the same applied index",
                WAIT,
                () -> c.members.stream().allMatch(m -> m.applied() >= applied0));
        for (InProcessCluster.Member m : c.members) {
            assertFalse(m.node().terminated().isDone(), "node " + m.opts().id() + " ended");
        }
    }

    @Test
    void closingBeforeAnythingHappensIsClean() throws Exception {
        // TestCloseProposerBeforeReplay
        InProcessCluster c = cluster(1, 10_000, 10_000);
        Stores stores = new Stores(c);
        InProcessCluster.Member m = c.start(1, c.peers, false, stores::make);
        m.node().close();
        assertFalse(m.node().terminated().isDone(), "close is not a failure");
        assertTrue(Files.isDirectory(m.opts().walDir()));
        assertTrue(Files.isDirectory(m.opts().snapDir()));
    }

    @Test
    void closingWithProposalsInFlightIsClean() throws Exception {
        // TestCloseProposerInflight
        InProcessCluster c = cluster(1, 10_000, 10_000);
        Stores stores = new Stores(c);
        InProcessCluster.Member m = c.start(1, c.peers, false, stores::make);
        stores.bind(m);
        KvClient s = stores.byId.get(1L);
        CompletableFuture<Void> foo = s.propose("foo", "1");
        CompletableFuture<Void> bar = s.propose("bar", "2");
        foo.get(20, TimeUnit.SECONDS);
        assertEquals(Optional.of("1"), s.lookup("foo"));
        m.node().close();
        // bar either made it or was failed; nobody is left waiting.
        assertTrue(bar.isDone());
        assertFalse(m.node().terminated().isDone());
    }

    @Test
    void putAndGetOverHttp() throws Exception {
        // TestPutAndGetKeyValue, without the sleeps: the PUT answers once applied, the GET is linearizable.
        InProcessCluster c = cluster(1, 10_000, 10_000);
        RaftExample app = new RaftExample(c.appOptions(1, c.peers, false));
        toClose.add(app);
        app.start();
        var client = java.net.http.HttpClient.newHttpClient();
        URI url = URI.create("http://127.0.0.1:" + app.httpPort() + "/test-key");
        var put = client.send(
                java.net.http.HttpRequest.newBuilder(url)
                        .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("test-value"))
                        .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(204, put.statusCode(), put.body());
        var get = client.send(
                java.net.http.HttpRequest.newBuilder(url).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, get.statusCode());
        assertEquals("test-value", get.body());
    }

    @Test
    void aNewNodeJoinsAndItsProposalsCommitEverywhere() throws Exception {
        // TestAddNewNode
        InProcessCluster c = cluster(3, 10_000, 10_000);
        Stores stores = new Stores(c);
        c.startAll(stores::make);
        c.members.forEach(stores::bind);
        addAndStartNodeFour(c, stores);
        stores.byId.get(4L).propose("foo", "bar").get(20, TimeUnit.SECONDS);
        for (long id = 1; id <= 4; id++) {
            KvClient s = stores.byId.get(id);
            InProcessCluster.await(
                    "foo on node " + id, WAIT, () -> s.lookup("foo").isPresent());
        }
    }

    @Test
    void aCommittedConfChangeWithAnUnusablePeerUrlDoesNotStopAnyNode() throws Exception {
        // The HTTP API refuses such URLs, but a conf change already in the log is applied by every
        // member on every restart: it must not be fatal.
        InProcessCluster c = cluster(3, 10_000, 10_000);
        Stores stores = new Stores(c);
        c.startAll(stores::make);
        c.members.forEach(stores::bind);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                c.member(0).node().addNode(5, URI.create("https://127.0.0.1:1")).get(5, TimeUnit.SECONDS);
                break;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
        long index = c.member(0).applied();
        InProcessCluster.await(
                "the conf change applied on every node",
                WAIT,
                () -> c.members.stream().allMatch(m -> m.applied() >= index));
        for (InProcessCluster.Member m : c.members) {
            assertFalse(m.node().terminated().isDone(), "node " + m.opts().id() + " ended");
        }
        // Four voters now, three of them up: still a quorum.
        stores.byId.get(1L).propose("after", "x").get(20, TimeUnit.SECONDS);

        c.member(1).node().close();
        Stores again = new Stores(c);
        InProcessCluster.Member m2 = c.start(2, c.peers, false, again::make);
        again.bind(m2);
        InProcessCluster.await(
                "restarted node 2 replays the log",
                WAIT,
                () -> again.byId.get(2L).lookup("after").isPresent());
        assertFalse(m2.node().terminated().isDone());
    }

    @Test
    void anUnreadablePeersFileDoesNotKeepTheNodeDown() throws Exception {
        InProcessCluster c = cluster(1, 10_000, 10_000);
        ServerConfig o = c.options(1, c.peers, false);
        Files.createDirectories(o.snapDir());
        Files.writeString(o.snapDir().resolve(GlueAccess.PEERS_FILE), "{\"4\": \"http://127.0");
        Stores stores = new Stores(c);
        InProcessCluster.Member m = c.start(1, c.peers, false, stores::make);
        stores.bind(m);
        stores.byId.get(1L).propose("k", "v").get(20, TimeUnit.SECONDS);
        assertTrue(Files.exists(o.snapDir().resolve(GlueAccess.PEERS_FILE + ".broken")));
        assertFalse(m.node().terminated().isDone());
    }

    @Test
    void aRestartedNodeStillReachesAMemberAddedBeforeCompaction() throws Exception {
        // Node 4's URL is known only from its ConfChange entry; after a snapshot compacts that entry
        // away, node 1 restarted with the original three URLs must still reach node 4.
        InProcessCluster c = cluster(3, 5, 1);
        Stores stores = new Stores(c);
        c.startAll(stores::make);
        c.members.forEach(stores::bind);
        addAndStartNodeFour(c, stores);
        for (int i = 0; i < 20; i++) {
            stores.byId.get(1L).propose("k" + i, "v").get(20, TimeUnit.SECONDS);
        }
        InProcessCluster.await(
                "node 1 snapshot", WAIT, () -> hasSnapFile(c.member(0).opts().snapDir()));
        c.member(0).node().close();

        Stores again = new Stores(c);
        InProcessCluster.Member m1 = c.start(1, c.peers, false, again::make);
        again.bind(m1);
        InProcessCluster.await(
                "restarted node 1 reaches node 4", WAIT, () -> m1.node().peerActive(4));
    }

    @Test
    void snapshotIsTakenOnlyOnceApplyingIsDoneAndHoldsEverythingUpToItsIndex() throws Exception {
        // TestSnapshot: with --snapshot-count 4, a snapshot comes after a few entries and reflects them all.
        InProcessCluster c = cluster(1, 4, 4);
        Map<String, Long> indexOfKey = new ConcurrentHashMap<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        AtomicInteger snapshots = new AtomicInteger();
        AtomicReference<RaftNode> ref = new AtomicReference<>();
        InProcessCluster.Member m = c.start(1, c.peers, false, id -> {
            KVStore inner = new KVStore();
            return new StateMachine() {
                long lastApplied;

                @Override
                public Object apply(long index, ByteString data) {
                    inner.apply(index, data);
                    try {
                        indexOfKey.put(KV.parseFrom(data).getKey(), index);
                    } catch (IOException e) {
                        problems.add(e.toString());
                    }
                    lastApplied = index;
                    return null;
                }

                @Override
                public View view() {
                    // Taken on the apply thread; written later, while applying goes on.
                    long at = lastApplied;
                    Map<String, Long> expected = new java.util.HashMap<>(indexOfKey);
                    View v = inner.view();
                    return new View() {
                        @Override
                        public long writeTo(OutputStream out) throws IOException {
                            ByteArrayOutputStream buf = new ByteArrayOutputStream();
                            long n = v.writeTo(buf);
                            KVStore check = new KVStore();
                            check.restore(buf.toByteArray());
                            // Every key written at or below the view's applied index must be in it.
                            expected.forEach((k, idx) -> {
                                if (idx <= at && check.lookup(k).isEmpty()) {
                                    problems.add("snapshot misses " + k + " applied at " + idx);
                                }
                            });
                            snapshots.incrementAndGet();
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
                public void restore(InputStream snapshot) throws IOException {
                    inner.restore(snapshot);
                }
            };
        });
        ref.set(m.node());
        for (int i = 0; i < 12; i++) {
            proposeUntilAccepted(m.node(), kv("k" + i, "v" + i));
        }
        InProcessCluster.await("a snapshot", WAIT, () -> snapshots.get() >= 1);
        // The file is written right after the state machine hands over its data.
        InProcessCluster.await("a .snap file", WAIT, () -> hasSnapFile(m.opts().snapDir()));
        assertEquals(List.of(), problems);
    }

    private static boolean hasSnapFile(java.nio.file.Path dir) {
        try (Stream<java.nio.file.Path> files = Files.list(dir)) {
            return files.anyMatch(p -> p.getFileName().toString().endsWith(".snap"));
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void concurrentWritesAreBatchedIntoFewReadies() throws Exception {
        InProcessCluster c = cluster(1, 10_000, 10_000);
        Stores stores = new Stores(c);
        InProcessCluster.Member m = c.start(1, c.peers, false, stores::make);
        stores.bind(m);
        KvClient s = stores.byId.get(1L);
        s.propose("warm-up", "x").get(20, TimeUnit.SECONDS);
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            writes.add(s.propose("k" + i, "v" + i));
        }
        CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertEquals(501, s.size());
        // 500 proposals made at once reach the WAL in far fewer Readies than proposals.
        assertTrue(
                GlueAccess.maxEntriesPerReady(m.node()) >= 10,
                "max entries per Ready: " + GlueAccess.maxEntriesPerReady(m.node()));
    }

    @Test
    void aRestartedNodeReplaysSnapshotAndWal() throws Exception {
        InProcessCluster c = cluster(1, 5, 2);
        Stores stores = new Stores(c);
        InProcessCluster.Member m = c.start(1, c.peers, false, stores::make);
        stores.bind(m);
        KvClient s = stores.byId.get(1L);
        for (int i = 0; i < 23; i++) {
            proposeUntilAccepted(m.node(), kv("k" + i, "v" + i));
        }
        s.propose("last", "x").get(20, TimeUnit.SECONDS);
        m.node().close();

        Stores again = new Stores(c);
        InProcessCluster.Member m2 = c.start(1, c.peers, false, again::make);
        again.bind(m2);
        KvClient s2 = again.byId.get(1L);
        InProcessCluster.await("all keys back after restart", WAIT, () -> s2.size() == 24);
        for (int i = 0; i < 23; i++) {
            assertEquals(Optional.of("v" + i), s2.lookup("k" + i));
        }
    }

    /** Starts a one-node cluster, writes k0..k22 (snapshots every 5 entries) and closes it. */
    private InProcessCluster writeAndClose() throws Exception {
        InProcessCluster c = cluster(1, 5, 2);
        Stores stores = new Stores(c);
        InProcessCluster.Member m = c.start(1, c.peers, false, stores::make);
        stores.bind(m);
        KvClient s = stores.byId.get(1L);
        s.propose("k0", "v0").get(20, TimeUnit.SECONDS);
        for (int i = 1; i < 23; i++) {
            s.propose("k" + i, "v" + i).get(20, TimeUnit.SECONDS);
        }
        // Snapshots are written in the background, one at a time: a trigger while one is being written
        // waits for later entries. Rewrite the last key (same value) until two snapshot files exist.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (snapFiles(m.opts().snapDir()) < 2 && System.nanoTime() < deadline) {
            s.propose("k22", "v22").get(20, TimeUnit.SECONDS);
            Thread.sleep(20);
        }
        m.node().close();
        return c;
    }

    private static long snapFiles(java.nio.file.Path dir) throws IOException {
        try (Stream<java.nio.file.Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".snap")).count();
        }
    }

    private void assertAllKeysBackAfterRestart(InProcessCluster c) throws Exception {
        Stores again = new Stores(c);
        InProcessCluster.Member m2 = c.start(1, c.peers, false, again::make);
        again.bind(m2);
        KvClient s2 = again.byId.get(1L);
        InProcessCluster.await("all keys back after restart", WAIT, () -> s2.size() == 23);
        for (int i = 0; i < 23; i++) {
            assertEquals(Optional.of("v" + i), s2.lookup("k" + i));
        }
        // And it still takes writes.
        s2.propose("after", "x").get(20, TimeUnit.SECONDS);
        assertFalse(m2.node().terminated().isDone());
    }

    @Test
    void aCorruptNewestSnapshotFallsBackToAnOlderOneAndTheWal() throws Exception {
        InProcessCluster c = writeAndClose();
        java.nio.file.Path newest;
        try (Stream<java.nio.file.Path> files = Files.list(c.member(0).opts().snapDir())) {
            List<java.nio.file.Path> snaps =
                    files.filter(p -> p.toString().endsWith(".snap")).sorted().toList();
            assertTrue(snaps.size() >= 2, "snapshots: " + snaps);
            newest = snaps.get(snaps.size() - 1);
        }
        byte[] bytes = Files.readAllBytes(newest);
        bytes[bytes.length / 2] ^= 0x5a;
        Files.write(newest, bytes);
        assertAllKeysBackAfterRestart(c);
    }

    @Test
    void aTornRecordAtTheWalTailIsCutOffOnRestart() throws Exception {
        InProcessCluster c = writeAndClose();
        java.nio.file.Path wal;
        try (Stream<java.nio.file.Path> files = Files.list(c.member(0).opts().walDir())) {
            wal = files.filter(p -> p.toString().endsWith(".wal"))
                    .sorted()
                    .reduce((a, b) -> b)
                    .orElseThrow();
        }
        // Find the end of the records (segments are preallocated with zeros) and leave there the
        // start of a record a crash interrupted: a length word announcing more bytes than follow.
        byte[] bytes = Files.readAllBytes(wal);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int end = 0;
        while (end + 8 <= bytes.length) {
            long word = buf.getLong(end);
            if (word == 0) {
                break;
            }
            int len = (int) (word & 0x00FF_FFFF_FFFF_FFFFL);
            int pad = word < 0 ? (int) ((word >>> 56) & 0x7) : 0;
            end += 8 + len + pad;
        }
        assertTrue(end > 0 && end + 64 <= bytes.length, "end of records at " + end + " of " + bytes.length);
        buf.putLong(end, 40);
        for (int i = 0; i < 12; i++) {
            bytes[end + 8 + i] = (byte) (0x11 * (i + 1));
        }
        Files.write(wal, bytes);
        assertAllKeysBackAfterRestart(c);
    }

    /** Adds node 4 through node 1 (retrying until a leader takes it), then starts it with --join. */
    private static void addAndStartNodeFour(InProcessCluster c, Stores stores) throws Exception {
        URI newUrl = URI.create("http://127.0.0.1:" + NodeProcesses.freePort());
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                c.member(0).node().addNode(4, newUrl).get(5, TimeUnit.SECONDS);
                break;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
        List<URI> four = new ArrayList<>(c.peers);
        four.add(newUrl);
        stores.bind(c.start(4, four, true, stores::make));
    }
}
