package org.raftexample.wal;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.wal.pb.WalSnapshot;

/** Builders and raw-file helpers shared by the WAL tests. */
final class WalFixtures {
    static final WalOptions SMALL = new WalOptions(4096);

    private WalFixtures() {}

    static Entry entry(long index, long term, String data) {
        return Entry.newBuilder()
                .setIndex(index)
                .setTerm(term)
                .setData(ByteString.copyFrom(data, StandardCharsets.UTF_8))
                .build();
    }

    static List<Entry> entries(long from, long to, long term) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(entry(i, term, "entry-" + i));
        }
        return out;
    }

    static HardState state(long term, long vote, long commit) {
        return HardState.newBuilder()
                .setTerm(term)
                .setVote(vote)
                .setCommit(commit)
                .build();
    }

    static WalSnapshot marker(long index, long term) {
        return WalSnapshot.newBuilder()
                .setIndex(index)
                .setTerm(term)
                .setConfState(ConfState.newBuilder().addVoters(1))
                .build();
    }

    static WalSnapshot start() {
        return WAL.marker(0, 0);
    }

    /** A frame found by walking the length words of a segment: [start, end). */
    record FrameSpan(long start, long end) {}

    /** Walks the frames of a segment up to the first zero length word or end of file. */
    static List<FrameSpan> frames(Path segment) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(segment)).order(ByteOrder.LITTLE_ENDIAN);
        List<FrameSpan> out = new ArrayList<>();
        long pos = 0;
        while (pos + 8 <= b.limit()) {
            long word = b.getLong((int) pos);
            if (word == 0) {
                break;
            }
            long end = pos + 8 + Frame.recordBytes(word) + Frame.paddingOf(word);
            out.add(new FrameSpan(pos, end));
            pos = end;
        }
        return out;
    }

    static List<Path> segmentFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".wal"))
                    .sorted()
                    .toList();
        }
    }

    static Path lastSegment(Path dir) throws IOException {
        List<Path> all = segmentFiles(dir);
        return all.get(all.size() - 1);
    }

    static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }

    static void deleteDir(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static void flipBit(Path file, long offset, int bit) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[(int) offset] ^= (byte) (1 << bit);
        Files.write(file, b);
    }

    static void zeroRange(Path file, long from, long to) throws IOException {
        byte[] b = Files.readAllBytes(file);
        for (long i = from; i < to; i++) {
            b[(int) i] = 0;
        }
        Files.write(file, b);
    }

    static void truncate(Path file, long size) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    /** Opens from the beginning, reads everything and closes. */
    static WalContents readBack(Path dir) {
        try (WAL w = WAL.open(dir, start(), SMALL)) {
            return w.readAll();
        }
    }
}
