package org.raftexample.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.wal.WalFixtures.SMALL;
import static org.raftexample.wal.WalFixtures.entries;
import static org.raftexample.wal.WalFixtures.entry;
import static org.raftexample.wal.WalFixtures.readBack;
import static org.raftexample.wal.WalFixtures.start;
import static org.raftexample.wal.WalFixtures.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;

/** Crash damage at the tail is repaired; damage anywhere else is reported, never skipped. */
@Timeout(120)
class RepairTest {
    private static final int ENTRIES = 5;

    @TempDir
    Path tmp;

    private Path pristine;
    private Path segment;
    private WalFixtures.FrameSpan last;

    /** A log whose last record is entry 5 (each save holds one entry and no hard state). */
    @BeforeEach
    void writePristineLog() throws IOException {
        pristine = tmp.resolve("pristine");
        try (WAL w = WAL.create(pristine, null, SMALL)) {
            for (long i = 1; i <= ENTRIES; i++) {
                w.save(
                        HardState.getDefaultInstance(),
                        List.of(entry(i, 1, "value-" + i + "-" + "v".repeat((int) i * 7))));
            }
        }
        segment = WalFixtures.lastSegment(pristine);
        List<WalFixtures.FrameSpan> spans = WalFixtures.frames(segment);
        last = spans.get(spans.size() - 1);
    }

    private Path copy(String name) throws IOException {
        Path d = tmp.resolve(name);
        WalFixtures.deleteDir(d);
        WalFixtures.copyDir(pristine, d);
        return d;
    }

    private static List<Entry> expected(int n) {
        List<Entry> out = new ArrayList<>();
        for (long i = 1; i <= n; i++) {
            out.add(entry(i, 1, "value-" + i + "-" + "v".repeat((int) i * 7)));
        }
        return out;
    }

    /** Checks a repaired log: earlier entries intact, and appends after the repair survive a reopen. */
    private void assertRepairedAndWritable(Path dir, List<Entry> survivors, String what) {
        List<Entry> after = new ArrayList<>(survivors);
        try (WAL w = WAL.open(dir, start(), SMALL)) {
            assertEquals(survivors, w.readAll().entries(), what);
            for (int k = 1; k <= 3; k++) {
                Entry e = entry(survivors.size() + k, 2, "after-repair-" + k);
                w.save(state(2, 1, 0), List.of(e));
                after.add(e);
            }
        }
        assertEquals(after, readBack(dir).entries(), what + ", after appending");
    }

    @Test
    void truncationAtEveryOffsetOfTheLastRecordIsRepaired() throws IOException {
        byte[] original = Files.readAllBytes(segment);
        for (long cut = last.start(); cut < last.end(); cut++) {
            Path dir = copy("cut");
            Path seg = dir.resolve(segment.getFileName());
            WalFixtures.truncate(seg, cut);
            byte[] damaged = Files.readAllBytes(seg);

            assertRepairedAndWritable(dir, expected(ENTRIES - 1), "cut at " + cut);

            Path broken = seg.resolveSibling(seg.getFileName() + ".broken");
            if (cut == last.start()) {
                assertFalse(Files.exists(broken), "a cut at a record boundary loses nothing and is not damage");
            } else {
                assertTrue(Files.exists(broken), "cut at " + cut + " keeps a copy of the damaged segment");
                assertArrayEquals(damaged, Files.readAllBytes(broken));
            }
        }
        assertArrayEquals(original, Files.readAllBytes(segment), "the pristine copy was not touched");
    }

    @Test
    void zeroedSuffixFromEveryOffsetOfTheLastRecordIsRepaired() throws IOException {
        byte[] original = Files.readAllBytes(segment);
        for (long from = last.start(); from < last.end(); from++) {
            Path dir = copy("zero");
            Path seg = dir.resolve(segment.getFileName());
            WalFixtures.zeroRange(seg, from, last.end());
            boolean unchanged = true;
            for (long i = from; i < last.end(); i++) {
                unchanged &= original[(int) i] == 0;
            }
            byte[] damaged = Files.readAllBytes(seg);
            Path broken = seg.resolveSibling(seg.getFileName() + ".broken");
            String what = "zeroed from " + from;
            List<Entry> survivors = readBack(dir).entries();
            if (unchanged) {
                // Only padding was zeroed: the record is whole.
                assertEquals(expected(ENTRIES), survivors, what);
                assertFalse(Files.exists(broken), what);
            } else if (from == last.start()) {
                // The record never started: the log simply ends before it.
                assertEquals(expected(ENTRIES - 1), survivors, what);
                assertFalse(Files.exists(broken), what);
            } else {
                assertEquals(expected(ENTRIES - 1), survivors, what);
                assertTrue(Files.exists(broken), what);
                assertArrayEquals(damaged, Files.readAllBytes(broken), what);
            }
            assertRepairedAndWritable(dir, survivors, what);
        }
    }

    @Test
    void crashInsideAMultiRecordBatchKeepsExactlyTheWholeRecordsBeforeTheTear() throws IOException {
        // One more save of 6 entries and a hard state: the batch a crash interrupts.
        Path base = copy("batch-base");
        try (WAL w = WAL.open(base, start(), SMALL)) {
            w.readAll();
            w.save(state(3, 1, 5), entries(ENTRIES + 1, ENTRIES + 6, 3));
        }
        Path seg = WalFixtures.lastSegment(base);
        List<WalFixtures.FrameSpan> spans = WalFixtures.frames(seg);
        List<WalFixtures.FrameSpan> batch = spans.subList(spans.size() - 7, spans.size());
        List<Entry> all = new ArrayList<>(expected(ENTRIES));
        all.addAll(entries(ENTRIES + 1, ENTRIES + 6, 3));
        byte[] original = Files.readAllBytes(seg);
        for (long at = batch.get(0).start(); at < batch.get(6).end(); at += 5) {
            for (boolean truncate : new boolean[] {true, false}) {
                Path dir = tmp.resolve("batch");
                WalFixtures.deleteDir(dir);
                WalFixtures.copyDir(base, dir);
                Path s = dir.resolve(seg.getFileName());
                if (truncate) {
                    WalFixtures.truncate(s, at);
                } else {
                    WalFixtures.zeroRange(s, at, batch.get(6).end());
                }
                int whole = 0;
                for (WalFixtures.FrameSpan f : batch) {
                    boolean intact = f.end() <= at;
                    if (!truncate && !intact) {
                        // Zeroing only padding leaves the record whole.
                        intact = true;
                        for (long i = Math.max(at, f.start()); i < f.end(); i++) {
                            intact &= original[(int) i] == 0;
                        }
                    }
                    if (!intact) {
                        break;
                    }
                    whole++;
                }
                String what = (truncate ? "truncated at " : "zeroed from ") + at;
                WalContents c = readBack(dir);
                // Frames 0..5 are entries, frame 6 the hard state.
                assertEquals(all.subList(0, ENTRIES + Math.min(whole, 6)), c.entries(), what);
                assertEquals(whole == 7 ? state(3, 1, 5) : HardState.getDefaultInstance(), c.hardState(), what);
            }
        }
    }

    @Test
    void lengthWordPointingPastTheEndOfATruncatedFileIsRepaired() throws IOException {
        Path dir = copy("len");
        Path seg = dir.resolve(segment.getFileName());
        WalFixtures.truncate(seg, last.end());
        byte[] b = Files.readAllBytes(seg);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong((int) last.start(), 1000);
        Files.write(seg, b);
        assertRepairedAndWritable(dir, expected(ENTRIES - 1), "length word 1000");
    }

    @Test
    void repairedSegmentIsPreallocatedAgain() throws IOException {
        Path dir = copy("realloc");
        Path seg = dir.resolve(segment.getFileName());
        WalFixtures.truncate(seg, last.start() + 3);
        readBack(dir);
        assertEquals(SMALL.segmentSizeBytes(), Files.size(seg));
        assertEquals(
                last.start(),
                WalFixtures.frames(seg).get(WalFixtures.frames(seg).size() - 1).end());
    }

    @Test
    void flippedBitInTheMiddleIsReportedWithFileAndOffset() throws IOException {
        List<WalFixtures.FrameSpan> spans = WalFixtures.frames(segment);
        // Entry 2's frame: crc, metadata, snapshot, then entries 1..5.
        WalFixtures.FrameSpan victim = spans.get(4);
        for (long at : new long[] {victim.start() + 9, victim.end() - 10, victim.start() + 20}) {
            Path dir = copy("flip");
            Path seg = dir.resolve(segment.getFileName());
            WalFixtures.flipBit(seg, at, 3);
            byte[] damaged = Files.readAllBytes(seg);
            try (WAL w = WAL.open(dir, start(), SMALL)) {
                CorruptWalException e = assertThrows(CorruptWalException.class, w::readAll);
                assertEquals(seg, e.file());
                assertEquals(victim.start(), e.offset());
                assertTrue(
                        e.getMessage().contains(seg.toString())
                                && e.getMessage().contains("offset " + victim.start()),
                        e.getMessage());
            }
            assertArrayEquals(damaged, Files.readAllBytes(seg), "a corrupt log is left as it is");
            assertThrows(CorruptWalException.class, () -> WAL.validSnapshotEntries(dir));
        }
    }

    @Test
    void flippedBitInTheLastCompleteRecordIsNotMistakenForATear() throws IOException {
        Path dir = copy("flip-last");
        Path seg = dir.resolve(segment.getFileName());
        // Entry data ends in a non-zero byte, so a whole record with a bad checksum is damage.
        WalFixtures.flipBit(seg, last.start() + 12, 0);
        try (WAL w = WAL.open(dir, start(), SMALL)) {
            CorruptWalException e = assertThrows(CorruptWalException.class, w::readAll);
            assertEquals(last.start(), e.offset());
        }
    }

    @Test
    void zeroedRecordFollowedByDataIsCorruptionNotATear() throws IOException {
        List<WalFixtures.FrameSpan> spans = WalFixtures.frames(segment);
        WalFixtures.FrameSpan victim = spans.get(5);
        Path dir = copy("hole");
        Path seg = dir.resolve(segment.getFileName());
        WalFixtures.zeroRange(seg, victim.start(), victim.end());
        try (WAL w = WAL.open(dir, start(), SMALL)) {
            CorruptWalException e = assertThrows(CorruptWalException.class, w::readAll);
            assertEquals(victim.start(), e.offset());
        }
    }

    @Test
    void damageInAnOlderSegmentIsCorruptionEvenWhenItLooksTorn() throws IOException {
        Path dir = tmp.resolve("multi");
        try (WAL w = WAL.create(dir, null, SMALL)) {
            for (long i = 1; i <= 4; i++) {
                w.save(state(1, 0, i), List.of(entry(i, 1, "q".repeat(3000))));
            }
        }
        Path first = WalFixtures.segmentFiles(dir).get(0);
        long size = Files.size(first);
        WalFixtures.truncate(first, size - 5);
        try (WAL w = WAL.open(dir, start(), SMALL)) {
            CorruptWalException e = assertThrows(CorruptWalException.class, w::readAll);
            assertEquals(first, e.file());
        }
    }

    @Test
    void brokenCrcChainBetweenSegmentsIsCorruption() throws IOException {
        Path dir = tmp.resolve("chain");
        try (WAL w = WAL.create(dir, null, SMALL)) {
            for (long i = 1; i <= 3; i++) {
                w.save(state(1, 0, i), List.of(entry(i, 1, "q".repeat(3000))));
            }
        }
        Path second = WalFixtures.segmentFiles(dir).get(1);
        // The crc record opens the segment; corrupting its crc field breaks the chain, not the record.
        byte[] b = Files.readAllBytes(second);
        long word = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        int recordBytes = (int) Frame.recordBytes(word);
        org.raftexample.wal.pb.Record rec =
                org.raftexample.wal.pb.Record.parser().parseFrom(b, 8, recordBytes);
        byte[] forged = rec.toBuilder().setCrc(rec.getCrc() ^ 0x01).build().toByteArray();
        assertEquals(recordBytes, forged.length);
        System.arraycopy(forged, 0, b, 8, forged.length);
        Files.write(second, b);
        try (WAL w = WAL.open(dir, start(), SMALL)) {
            CorruptWalException e = assertThrows(CorruptWalException.class, w::readAll);
            assertEquals(second, e.file());
            assertEquals(0, e.offset());
        }
    }

    @Test
    void validSnapshotEntriesIgnoresATornTailWithoutRepairingIt() throws IOException {
        Path dir = copy("scan");
        Path seg = dir.resolve(segment.getFileName());
        WalFixtures.truncate(seg, last.start() + 11);
        byte[] damaged = Files.readAllBytes(seg);
        assertEquals(List.of(WAL.marker(0, 0)), WAL.validSnapshotEntries(dir));
        assertArrayEquals(damaged, Files.readAllBytes(seg));
        assertFalse(Files.exists(seg.resolveSibling(seg.getFileName() + ".broken")));
    }

    @Test
    void tornTailAfterManySavesKeepsEverySyncedEntry() throws IOException {
        Path dir = tmp.resolve("many");
        try (WAL w = WAL.create(dir, null, SMALL)) {
            for (long i = 1; i <= 40; i++) {
                w.save(state(1, 1, i), entries(i, i, 1));
            }
        }
        Path seg = WalFixtures.lastSegment(dir);
        List<WalFixtures.FrameSpan> spans = WalFixtures.frames(seg);
        WalFixtures.FrameSpan tail = spans.get(spans.size() - 1);
        WalFixtures.truncate(seg, tail.start() + 4);
        WalContents c = readBack(dir);
        assertEquals(entries(1, 40, 1), c.entries());
        // The torn record was the last hard state; the previous one survives.
        assertEquals(state(1, 1, 39), c.hardState());
    }
}
