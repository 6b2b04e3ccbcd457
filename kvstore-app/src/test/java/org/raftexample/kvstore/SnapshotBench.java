package org.raftexample.kvstore;

import com.google.protobuf.ByteString;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.server.GlueAccess;
import org.raftexample.server.StateMachine;
import org.raftexample.snap.SnapshotFile;
import org.raftexample.wal.WAL;

/**
 * Snapshot write and restore of either store ({@code --store memory|rocksdb}) with N keys (default 1M, 14-byte keys, 100-byte
 * values), on the real {@link SnapshotWriter} with a real WAL and snapshot directory: the heap each
 * key takes, how long the apply thread spends taking the view, the longest gap a 1 ms "raft loop"
 * thread and a thread applying about 20k writes/s see while the snapshot is written in the
 * background, and the write and restore throughput. Run with {@code scripts/bench-snapshot [keys] [--store rocksdb]};
 * it is not a test.
 */
public final class SnapshotBench {

    private SnapshotBench() {}

    public static void main(String[] args) throws Exception {
        int keys = 1_000_000;
        String store = Options.STORE_MEMORY;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--store")) {
                store = args[++i];
            } else {
                keys = Integer.parseInt(args[i]);
            }
        }
        Path dir = Files.createTempDirectory("raftexample-snapbench");
        try {
            run(keys, dir, store);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder())
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    private static long usedHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static ByteString entry(long i, byte[] value) {
        return ByteString.copyFrom(KVStore.encode(String.format("/key-%09d", i), value));
    }

    private static KeyValueStore open(String kind, Path dir, long id) throws java.io.IOException {
        return kind.equals(Options.STORE_ROCKSDB) ? new RocksKVStore(dir.resolve("rocks-" + id)) : new KVStore();
    }

    private static void run(int keys, Path dir, String kind) throws Exception {
        byte[] value = new byte[100];
        java.util.Arrays.fill(value, (byte) 'v');
        long before = usedHeap();
        KeyValueStore store = open(kind, dir, 1);
        long a0 = System.nanoTime();
        for (long i = 1; i <= keys; i++) {
            store.apply(i, entry(i, value));
        }
        long applyNanos = System.nanoTime() - a0;
        long after = usedHeap();
        System.out.printf(
                Locale.ROOT,
                "%s store, %d keys applied in %.0f ms: %.1f bytes of heap per key " + "(14-byte key, 100-byte value)%n",
                kind,
                keys,
                applyNanos / 1e6,
                (after - before) / (double) keys);

        Options opts = new Options(
                1,
                List.of(URI.create("http://127.0.0.1:1")),
                0,
                false,
                dir,
                10_000,
                10_000,
                Duration.ofMillis(100),
                10,
                1,
                1 << 20,
                Duration.ofSeconds(5));
        Files.createDirectories(opts.snapDir());
        WAL.create(opts.walDir(), null).close();
        WAL wal = WAL.open(opts.walDir(), WAL.marker(0, 0));
        wal.readAll();
        MemoryStorage raftLog = new MemoryStorage();
        raftLog.applySnapshot(Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder().setIndex(keys - 1).setTerm(1))
                .build());
        raftLog.append(List.of(Entry.newBuilder().setIndex(keys).setTerm(1).build()));
        ConfState cs = ConfState.newBuilder().addVoters(1).build();
        try (GlueAccess.SnapshotWriterHarness writer =
                new GlueAccess.SnapshotWriterHarness(opts.serverConfig(), raftLog, wal)) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong loopMaxGap = new AtomicLong();
            AtomicLong applyMaxGap = new AtomicLong();
            AtomicLong appliedDuring = new AtomicLong();
            Thread loop = new Thread(
                    () -> {
                        long last = System.nanoTime();
                        while (!done.get()) {
                            try {
                                Thread.sleep(1);
                            } catch (InterruptedException e) {
                                return;
                            }
                            long now = System.nanoTime();
                            loopMaxGap.accumulateAndGet(now - last - 1_000_000, Math::max);
                            last = now;
                        }
                    },
                    "bench-raft-loop");
            // The apply thread: takes the view, then goes on applying (overwrites and new keys).
            long t0 = System.nanoTime();
            StateMachine.View view = store.view();
            long viewNanos = System.nanoTime() - t0;
            loop.start();
            long writeStart = System.nanoTime();
            writer.trySubmit(keys, cs, view);
            long last = System.nanoTime();
            // About 20k writes/s, twice what a 3-node cluster commits: half overwrite old keys.
            for (long i = keys + 1; writer.busy(); i++) {
                store.apply(i, entry(i % 2 == 0 ? i / 2 : i, value));
                appliedDuring.incrementAndGet();
                if (i % 20 == 0) {
                    Thread.sleep(1);
                }
                long now = System.nanoTime();
                applyMaxGap.accumulateAndGet(now - last, Math::max);
                last = now;
            }
            long writeNanos = System.nanoTime() - writeStart;
            done.set(true);
            loop.join();
            if (writer.savedIndex() != keys) {
                throw new IllegalStateException("the snapshot was not saved");
            }
            SnapshotFile f = writer.snapshotter().file(1, keys).orElseThrow();
            System.out.printf(Locale.ROOT, "view taken on the apply thread in %.3f ms%n", viewNanos / 1e6);
            System.out.printf(
                    Locale.ROOT,
                    "snapshot written in the background: %.0f ms, %.1f MB (%.0f MB/s, %.0f keys/s), "
                            + "while %d writes were applied%n",
                    writeNanos / 1e6,
                    f.dataLength() / 1e6,
                    f.dataLength() / 1e6 / (writeNanos / 1e9),
                    keys / (writeNanos / 1e9),
                    appliedDuring.get());
            System.out.printf(
                    Locale.ROOT,
                    "longest gap meanwhile: raft-loop thread (1 ms ticks) %.1f ms, "
                            + "apply thread between two writes %.1f ms%n",
                    loopMaxGap.get() / 1e6,
                    applyMaxGap.get() / 1e6);

            KeyValueStore restored = open(kind, dir, 2);
            long r0 = System.nanoTime();
            SnapshotFile checked = SnapshotFile.check(f.path());
            long checkNanos = System.nanoTime() - r0;
            try (InputStream in = checked.openData()) {
                restored.restore(in);
            }
            long restoreNanos = System.nanoTime() - r0;
            long n = SnapshotFormat.read(checked.openData(), (k, v) -> {});
            if (n != keys || restored.get(String.format("/key-%09d", keys)).isEmpty()) {
                throw new IllegalStateException("restored " + n + " keys, want " + keys);
            }
            System.out.printf(
                    Locale.ROOT,
                    "restore from the file: %.0f ms (checksum pass %.0f ms), %.0f keys/s, " + "%.0f MB/s%n",
                    restoreNanos / 1e6,
                    checkNanos / 1e6,
                    keys / (restoreNanos / 1e9),
                    f.dataLength() / 1e6 / (restoreNanos / 1e9));
            restored.close();
            store.close();
        }
    }
}
