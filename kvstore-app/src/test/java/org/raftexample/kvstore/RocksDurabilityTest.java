package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.raftexample.server.GlueAccess;
import org.raftexample.server.StateMachine;
import org.raftexample.wal.WalOptions;

/**
 * The RocksDB store and the raft WAL together: the WAL is never released past what the store has made
 * durable, and a store that lost its latest writes (what a power loss may leave of unsynced RocksDB
 * writes, simulated with an older checkpoint of the store) is brought back whole from the snapshot and
 * the WAL. One in-process node with 4 KiB WAL segments, so that segments are released within the test.
 */
class RocksDurabilityTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String PAD = "p".repeat(100);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private InProcessCluster c;

    @BeforeEach
    void smallWalSegments() throws IOException {
        GlueAccess.setWalOptions(new WalOptions(4096));
        c = new InProcessCluster(1, 5, 2);
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (InProcessCluster.Member m : c.members) {
            m.node().close(); // before its store: the node's threads use it
        }
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        c.close();
        GlueAccess.setWalOptions(WalOptions.defaults());
    }

    /** The store as a node runs it, recording the highest index a snapshot view made durable. */
    private static final class Recorded implements StateMachine {
        final RocksKVStore store;
        final AtomicLong durable = new AtomicLong();
        private long lastApplied;

        Recorded(RocksKVStore store) {
            this.store = store;
        }

        @Override
        public Object apply(long index, ByteString data) {
            store.apply(index, data);
            lastApplied = index;
            return null;
        }

        @Override
        public long durableAppliedIndex() {
            return store.durableAppliedIndex();
        }

        @Override
        public void restore(InputStream snapshot) throws IOException {
            store.restore(snapshot);
        }

        @Override
        public View view() {
            View v = store.view();
            long at = lastApplied; // the view is taken on the applying thread, right after this index
            return new View() {
                @Override
                public long writeTo(OutputStream out) throws IOException {
                    return v.writeTo(out);
                }

                @Override
                public void makeDurable() throws IOException {
                    v.makeDurable();
                    durable.accumulateAndGet(at, Math::max);
                }

                @Override
                public void close() {
                    v.close();
                }
            };
        }
    }

    private Recorded open() throws IOException {
        Recorded r = new Recorded(new RocksKVStore(c.dir.resolve("rocks")));
        toClose.add(r.store);
        return r;
    }

    private InProcessCluster.Member start(Recorded r) throws IOException {
        return c.start(1, c.peers, false, id -> r);
    }

    private static void put(InProcessCluster.Member m, Recorded r, String key) throws Exception {
        new RaftKVService(r.store, m.node())
                .put(key, ("v-" + key + PAD).getBytes(StandardCharsets.UTF_8))
                .get(20, TimeUnit.SECONDS);
    }

    /** The first raft index the oldest WAL segment left on disk may hold (segment names: seq-index). */
    private long oldestWalIndex() throws IOException {
        try (Stream<Path> s = Files.list(c.member(0).opts().walDir())) {
            String oldest = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".wal"))
                    .sorted()
                    .findFirst()
                    .orElseThrow();
            return Long.parseUnsignedLong(oldest.substring(17, 33), 16);
        }
    }

    private long oldestWalSeq() throws IOException {
        try (Stream<Path> s = Files.list(c.member(0).opts().walDir())) {
            String oldest = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".wal"))
                    .sorted()
                    .findFirst()
                    .orElseThrow();
            return Long.parseUnsignedLong(oldest.substring(0, 16), 16);
        }
    }

    /** Writes keys from {@code from} until WAL segments have been released past {@code pastIndex}. */
    private int writeUntilReleasedPast(InProcessCluster.Member m, Recorded r, int from, long pastIndex)
            throws Exception {
        int i = from;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (oldestWalSeq() == 0 || oldestWalIndex() <= pastIndex + 1) {
            assertTrue(System.nanoTime() < deadline, "WAL segments released in time");
            put(m, r, "/k" + i++);
        }
        return i;
    }

    @Test
    void theRaftWalIsNeverReleasedPastWhatTheStoreHasMadeDurable() throws Exception {
        Recorded r = open();
        InProcessCluster.Member m = start(r);
        int n = writeUntilReleasedPast(m, r, 0, 0);
        for (int end = n + 40; n < end; n++) {
            put(m, r, "/k" + n);
            // Checked after every write, while snapshots are written and segments released behind it.
            long oldest = oldestWalIndex();
            assertTrue(
                    oldest <= r.durable.get() + 1,
                    "the oldest WAL segment starts at " + oldest + ", the store made durable only up to "
                            + r.durable.get());
        }
    }

    @Test
    void aStoreThatHoldsTheNewestSnapshotRestartsWithoutReadingItsFile() throws Exception {
        Recorded r = open();
        InProcessCluster.Member m = start(r);
        int n = writeUntilReleasedPast(m, r, 0, 0);
        m.node().close();
        r.store.close();
        toClose.remove(r.store);
        // Damage the data of every snapshot file: a restart that read them would find none usable, and
        // the WAL alone no longer reaches back to the start.
        Path snapDir = c.member(0).opts().snapDir();
        List<Path> snaps;
        try (Stream<Path> s = Files.list(snapDir)) {
            snaps = s.filter(p -> p.toString().endsWith(".snap")).toList();
        }
        assertTrue(!snaps.isEmpty(), "snapshot files");
        for (Path p : snaps) {
            byte[] b = Files.readAllBytes(p);
            b[b.length / 2] ^= 0x40;
            Files.write(p, b);
        }

        Recorded again = open();
        assertTrue(again.durableAppliedIndex() > 0);
        InProcessCluster.Member m2 = start(again);
        for (int i = 0; i < n; i++) {
            assertEquals(Optional.of("v-/k" + i + PAD), again.store.lookup("/k" + i), "/k" + i);
        }
        put(m2, again, "/after");
        assertEquals(Optional.of("v-/after" + PAD), again.store.lookup("/after"));
    }

    @Test
    void aNodeWhoseStoreAppliedItsConfChangesKeepsItsMembershipAcrossARestartWithoutSnapshot() throws Exception {
        c.close();
        c = new InProcessCluster(1, 100_000, 5); // no snapshot: raft's configuration comes from the log alone
        Recorded r = open();
        InProcessCluster.Member m = start(r);
        for (int i = 0; i < 5; i++) {
            put(m, r, "/k" + i);
        }
        m.node().close();
        r.store.close();
        toClose.remove(r.store);

        Recorded again = open();
        assertTrue(again.durableAppliedIndex() > 1, "the store applied the bootstrap conf change and more");
        InProcessCluster.Member m2 = start(again);
        InProcessCluster.await(
                "node 1 a voter again",
                WAIT,
                () -> m2.node().status().config().voters().incoming().contains(1L));
        put(m2, again, "/after"); // a one-node cluster commits only if it is a voter of its own configuration
        assertEquals(Optional.of("v-/after" + PAD), again.store.lookup("/after"));
    }

    @Test
    void aStoreThatLostItsLatestWritesIsBroughtBackWholeFromTheSnapshotAndTheWal() throws Exception {
        Recorded r = open();
        InProcessCluster.Member m = start(r);
        for (int i = 0; i < 10; i++) {
            put(m, r, "/k" + i);
        }
        // What a power loss may leave of a store whose later writes were never synced: an older state.
        Path early = c.dir.resolve("rocks-early");
        r.store.checkpoint(early);
        long earlyIndex = m.applied();
        int n = writeUntilReleasedPast(m, r, 10, earlyIndex);
        m.node().close();
        r.store.close();
        toClose.remove(r.store);
        NodeProcesses.deleteRecursively(c.dir.resolve("rocks"));
        Files.move(early, c.dir.resolve("rocks"));

        Recorded again = open();
        assertTrue(
                again.durableAppliedIndex() + 1 < oldestWalIndex(),
                "the WAL alone cannot bring the rolled-back store back: the snapshot must");
        InProcessCluster.Member m2 = start(again);
        InProcessCluster.await(
                "every key back", WAIT, () -> again.store.get("/k" + (n - 1)).isPresent());
        for (int i = 0; i < n; i++) {
            assertEquals(
                    Optional.of("v-/k" + i + PAD),
                    again.store.lookup("/k" + i),
                    "/k" + i + " after the rollback (" + n + " keys)");
        }
        put(m2, again, "/after");
        assertEquals(Optional.of("v-/after" + PAD), again.store.lookup("/after"));
    }
}
