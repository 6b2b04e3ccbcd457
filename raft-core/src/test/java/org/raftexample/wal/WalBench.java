package org.raftexample.wal;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;

/**
 * WAL save throughput next to the raw sync rate of the same disk. Not a unit test: run it with
 * {@code scripts/bench-wal [dir] [seconds-per-case]}.
 *
 * <p>Each case saves, for as long as asked, batches of N entries of 100 bytes plus a hard state
 * (one Ready's worth) and reports entries/s, payload MB/s and syncs/s. The raw rows write 100
 * bytes and sync in a loop, in a preallocated file (as the WAL does) and in a growing one.
 */
public final class WalBench {
    private static final int ENTRY_BYTES = 100;

    private WalBench() {}

    public static void main(String[] args) throws IOException {
        Path base = Path.of(args.length > 0 ? args[0] : "raft-core/target/wal-bench");
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3.0;
        Files.createDirectories(base);

        List<String[]> rows = new ArrayList<>();
        rows.add(raw(base, seconds, true));
        rows.add(raw(base, seconds, false));
        for (int batch : new int[] {1, 10, 100}) {
            rows.add(wal(base, seconds, batch));
        }

        System.out.printf(
                Locale.ROOT,
                "WAL benchmark in %s (%s, %.1f s per case)%n",
                base.toAbsolutePath(),
                Files.getFileStore(base).type(),
                seconds);
        String fmt = "%-40s %12s %10s %10s %12s%n";
        System.out.printf(Locale.ROOT, fmt, "case", "entries/s", "MB/s", "syncs/s", "us/save");
        for (String[] r : rows) {
            System.out.printf(Locale.ROOT, fmt, (Object[]) r);
        }
    }

    /** Writes 100 bytes and syncs, in a loop: the ceiling for one-sync-per-save. */
    private static String[] raw(Path base, double seconds, boolean preallocated) throws IOException {
        Path f = base.resolve(preallocated ? "raw-prealloc" : "raw-append");
        Files.deleteIfExists(f);
        long n = 0;
        long elapsed;
        try (FileChannel ch =
                FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (preallocated) {
                DiskIo.zeroFillTo(ch, WalOptions.DEFAULT_SEGMENT_SIZE_BYTES);
                ch.force(true);
            }
            ByteBuffer b = ByteBuffer.allocate(ENTRY_BYTES);
            long warmEnd = System.nanoTime() + 300_000_000L;
            long pos = 0;
            while (System.nanoTime() < warmEnd) {
                b.clear();
                pos += ch.write(b, pos);
                ch.force(!preallocated);
            }
            long t0 = System.nanoTime();
            long deadline = t0 + (long) (seconds * 1e9);
            while (System.nanoTime() < deadline) {
                b.clear();
                pos += ch.write(b, pos);
                // fdatasync where the blocks are allocated, as the WAL; fsync where the file grows.
                ch.force(!preallocated);
                n++;
            }
            elapsed = System.nanoTime() - t0;
        }
        Files.deleteIfExists(f);
        double secs = elapsed / 1e9;
        return new String[] {
            preallocated ? "raw write 100 B + fdatasync (prealloc)" : "raw write 100 B + fsync (append)",
            "-",
            "-",
            fmt(n / secs),
            fmt(elapsed / 1e3 / n)
        };
    }

    private static String[] wal(Path base, double seconds, int batch) throws IOException {
        Path dir = base.resolve("wal-" + batch);
        deleteDir(dir);
        byte[] payload = new byte[ENTRY_BYTES];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) ('a' + i % 26);
        }
        ByteString data = ByteString.copyFrom(payload);
        long index = 0;
        long saves = 0;
        long syncs0;
        long elapsed;
        String[] row;
        try (WAL w = WAL.create(dir, null)) {
            long warmEnd = System.nanoTime() + 300_000_000L;
            while (System.nanoTime() < warmEnd) {
                index = saveBatch(w, index, batch, data);
            }
            syncs0 = w.syncCount();
            long index0 = index;
            long t0 = System.nanoTime();
            long deadline = t0 + (long) (seconds * 1e9);
            while (System.nanoTime() < deadline) {
                index = saveBatch(w, index, batch, data);
                saves++;
            }
            elapsed = System.nanoTime() - t0;
            long entries = index - index0;
            long syncs = w.syncCount() - syncs0;
            double secs = elapsed / 1e9;
            row = new String[] {
                "WAL save, batch of " + batch + " x 100 B",
                fmt(entries / secs),
                String.format(Locale.ROOT, "%.2f", entries * ENTRY_BYTES / secs / 1e6),
                fmt(syncs / secs),
                fmt(elapsed / 1e3 / saves)
            };
        }
        deleteDir(dir);
        return row;
    }

    private static long saveBatch(WAL w, long index, int batch, ByteString data) {
        List<Entry> es = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            index++;
            es.add(Entry.newBuilder().setTerm(1).setIndex(index).setData(data).build());
        }
        w.save(HardState.newBuilder().setTerm(1).setVote(1).setCommit(index).build(), es);
        return index;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    private static void deleteDir(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
