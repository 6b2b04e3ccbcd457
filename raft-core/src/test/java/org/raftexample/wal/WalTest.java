package org.raftexample.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.wal.WalFixtures.SMALL;
import static org.raftexample.wal.WalFixtures.entries;
import static org.raftexample.wal.WalFixtures.entry;
import static org.raftexample.wal.WalFixtures.marker;
import static org.raftexample.wal.WalFixtures.readBack;
import static org.raftexample.wal.WalFixtures.start;
import static org.raftexample.wal.WalFixtures.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.wal.pb.Record;
import org.raftexample.wal.pb.WalSnapshot;

class WalTest {
    @TempDir
    Path tmp;

    private Path dir() {
        return tmp.resolve("wal");
    }

    @Test
    void roundTripsMetadataStateAndEntries() {
        byte[] meta = "somedata".getBytes(StandardCharsets.UTF_8);
        HardState hs = state(2, 1, 3);
        try (WAL w = WAL.create(dir(), meta, SMALL)) {
            w.save(state(1, 1, 0), entries(1, 2, 1));
            w.save(hs, entries(3, 5, 2));
        }
        WalContents c = readBack(dir());
        assertArrayEquals(meta, c.metadata());
        assertEquals(hs, c.hardState());
        List<Entry> want = new ArrayList<>(entries(1, 2, 1));
        want.addAll(entries(3, 5, 2));
        assertEquals(want, c.entries());
    }

    @Test
    void newLogStartsWithCrcMetadataAndEmptySnapshotRecords() throws IOException {
        byte[] meta = "somedata".getBytes(StandardCharsets.UTF_8);
        WAL.create(dir(), meta, SMALL).close();
        Path seg = dir().resolve("0000000000000000-0000000000000000.wal");
        assertEquals(SMALL.segmentSizeBytes(), Files.size(seg), "segment is preallocated");

        List<WalFixtures.FrameSpan> spans = WalFixtures.frames(seg);
        assertEquals(3, spans.size());
        byte[] bytes = Files.readAllBytes(seg);
        Record crcRec = recordAt(bytes, spans.get(0));
        Record metaRec = recordAt(bytes, spans.get(1));
        Record snapRec = recordAt(bytes, spans.get(2));
        assertEquals(RecordType.CRC.code, crcRec.getType());
        assertEquals(0, crcRec.getCrc());
        assertEquals(RecordType.METADATA.code, metaRec.getType());
        assertArrayEquals(meta, metaRec.getData().toByteArray());
        assertEquals(RecordType.SNAPSHOT.code, snapRec.getType());
        assertEquals(WAL.marker(0, 0), WalSnapshot.parseFrom(snapRec.getData()));
        // The checksum runs over the data of every record so far.
        CRC32C crc = new CRC32C();
        crc.update(meta);
        assertEquals((int) crc.getValue(), metaRec.getCrc());
        crc.update(snapRec.getData().toByteArray());
        assertEquals((int) crc.getValue(), snapRec.getCrc());
    }

    private static Record recordAt(byte[] file, WalFixtures.FrameSpan span) throws IOException {
        long word = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getLong((int) span.start());
        return Record.parser().parseFrom(file, (int) span.start() + 8, (int) Frame.recordBytes(word));
    }

    @Test
    void createRefusesADirectoryThatHoldsAWal() {
        WAL.create(dir(), null, SMALL).close();
        assertTrue(WAL.exists(dir()));
        assertThrows(WalException.class, () -> WAL.create(dir(), null, SMALL));
    }

    @Test
    void createReplacesALeftoverTempDirectoryFromAnInterruptedCreate() throws IOException {
        Path leftover = tmp.resolve("wal.tmp");
        Files.createDirectories(leftover);
        Files.writeString(leftover.resolve("junk"), "x");
        WAL.create(dir(), "abc".getBytes(StandardCharsets.UTF_8), SMALL).close();
        assertFalse(Files.exists(leftover));
        assertArrayEquals(
                "abc".getBytes(StandardCharsets.UTF_8), readBack(dir()).metadata());
    }

    @Test
    void createAcceptsAnEmptyExistingDirectoryButNotAFullOne() throws IOException {
        Files.createDirectories(dir());
        WAL.create(dir(), null, SMALL).close();
        assertTrue(WAL.exists(dir()));

        Path other = tmp.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("precious"), "keep me");
        assertThrows(WalException.class, () -> WAL.create(other, null, SMALL));
        assertEquals("keep me", Files.readString(other.resolve("precious")));
    }

    @Test
    void existsOnlyForADirectoryWithSegments() throws IOException {
        assertFalse(WAL.exists(dir()));
        Files.createDirectories(dir());
        assertFalse(WAL.exists(dir()));
    }

    @Test
    void nullMetadataReadsBackAsNull() {
        WAL.create(dir(), null, SMALL).close();
        assertNull(readBack(dir()).metadata());
    }

    @Test
    void openAtASnapshotMarkerReturnsOnlyLaterEntries() {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            w.save(state(1, 0, 5), entries(1, 5, 1));
            w.saveSnapshot(marker(5, 1));
            w.save(state(1, 0, 7), entries(6, 9, 1));
        }
        try (WAL w = WAL.open(dir(), marker(5, 1), SMALL)) {
            WalContents c = w.readAll();
            assertEquals(entries(6, 9, 1), c.entries());
            assertEquals(state(1, 0, 7), c.hardState());
        }
    }

    @Test
    void openAtAMarkerInALaterSegmentSkipsOlderSegments() throws IOException {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            for (long i = 1; i <= 200; i++) {
                w.save(state(1, 0, i), List.of(entry(i, 1, "x".repeat(40))));
                if (i == 150) {
                    w.saveSnapshot(marker(150, 1));
                }
            }
        }
        assertTrue(WalFixtures.segmentFiles(dir()).size() > 3);
        try (WAL w = WAL.open(dir(), marker(150, 1), SMALL)) {
            assertTrue(
                    w.segmentFileNames().size()
                            < WalFixtures.segmentFiles(dir()).size(),
                    "segments before the one holding index 150 are not read");
            WalContents c = w.readAll();
            assertEquals(50, c.entries().size());
            assertEquals(151, c.entries().get(0).getIndex());
            assertEquals(200, c.entries().get(49).getIndex());
        }
    }

    @Test
    void unknownMarkerIsReportedAfterReading() {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            w.save(state(1, 0, 5), entries(1, 5, 1));
        }
        try (WAL w = WAL.open(dir(), marker(3, 1), SMALL)) {
            WalException e = assertThrows(WalException.class, w::readAll);
            assertTrue(e.getMessage().contains("snapshot not found"), e.getMessage());
        }
    }

    @Test
    void markerWithTheWrongTermIsAMismatch() {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            w.save(state(2, 0, 5), entries(1, 5, 2));
            w.saveSnapshot(marker(5, 2));
        }
        try (WAL w = WAL.open(dir(), marker(5, 1), SMALL)) {
            WalException e = assertThrows(WalException.class, w::readAll);
            assertTrue(e.getMessage().contains("snapshot mismatch"), e.getMessage());
        }
    }

    @Test
    void openWithoutSegmentsFails() throws IOException {
        Files.createDirectories(dir());
        assertThrows(WalException.class, () -> WAL.open(dir(), start(), SMALL));
    }

    @Test
    void laterEntryAtAnIndexReplacesItAndEverythingAfter() {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            w.save(state(1, 1, 1), entries(1, 5, 1));
            w.save(state(2, 2, 1), List.of(entry(3, 2, "new")));
        }
        List<Entry> got = readBack(dir()).entries();
        assertEquals(List.of(entry(1, 1, "entry-1"), entry(2, 1, "entry-2"), entry(3, 2, "new")), got);
    }

    @Test
    void aGapInTheEntriesIsAnError() {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            w.save(state(1, 1, 1), entries(1, 2, 1));
            w.save(state(1, 1, 1), entries(5, 6, 1));
        }
        try (WAL w = WAL.open(dir(), start(), SMALL)) {
            WalException e = assertThrows(WalException.class, w::readAll);
            assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        }
    }

    @Test
    void entryAtTheLargestIndexIsAGapNotACrash() {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            w.save(state(1, 1, 0), List.of(entry(-1L, 1, "max"))); // index 2^64-1
        }
        try (WAL w = WAL.open(dir(), start(), SMALL)) {
            WalException e = assertThrows(WalException.class, w::readAll);
            assertTrue(e.getMessage().contains("out of range"), e.getMessage());
        }
    }

    @Test
    void missingMiddleSegmentOnlyBlocksMarkersBeforeIt() throws IOException {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            for (long i = 1; i <= 8; i++) {
                w.save(state(1, 0, i), List.of(entry(i, 1, "q".repeat(5000))));
                w.saveSnapshot(marker(i, 1));
            }
        }
        // Segment k (k >= 1) starts at index k + 1 and holds marker k; entry k is in segment
        // k - 1, so reading from marker k starts there. Drop segment 3: markers up to 4 need it.
        Files.delete(WalFixtures.segmentFiles(dir()).get(3));
        for (long i = 1; i <= 8; i++) {
            WalSnapshot m = marker(i, 1);
            if (i <= 4) {
                assertThrows(WalException.class, () -> WAL.open(dir(), m, SMALL), "marker " + i);
            } else {
                try (WAL w = WAL.open(dir(), m, SMALL)) {
                    assertEquals(
                            entries(i + 1, 8, 1).size(), w.readAll().entries().size(), "marker " + i);
                }
            }
        }
    }

    @Test
    void validSnapshotEntriesAfterOldSegmentsArePurged() throws IOException {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            for (long i = 1; i <= 6; i++) {
                w.save(state(1, 0, i), List.of(entry(i, 1, "q".repeat(5000))));
                w.saveSnapshot(marker(i, 1));
            }
            w.releaseLockTo(5);
            assertTrue(w.purgeReleased() > 0);
        }
        List<WalSnapshot> snaps = WAL.validSnapshotEntries(dir());
        assertEquals(marker(6, 1), snaps.get(snaps.size() - 1));
        assertFalse(snaps.contains(WAL.marker(0, 0)), "the first segment is gone");
        WalException expected = assertThrows(
                WalException.class,
                () -> WAL.open(dir(), WAL.marker(0, 0), SMALL).close(),
                "index 0 is no longer in any segment");
        assertTrue(expected.getMessage().contains("file not found"), expected.getMessage());
    }

    @Test
    void manySegmentsAreWrittenChainedAndReadBack() throws IOException {
        List<Entry> all = new ArrayList<>();
        try (WAL w = WAL.create(dir(), "m".getBytes(StandardCharsets.UTF_8), new WalOptions(1024))) {
            long index = 1;
            for (int batch = 0; batch < 120; batch++) {
                List<Entry> es = new ArrayList<>();
                for (int k = 0; k < 1 + batch % 7; k++, index++) {
                    es.add(entry(index, 1 + batch / 40, "payload-" + index + "-" + "z".repeat(batch % 50)));
                }
                w.save(state(1 + batch / 40, 1, index - 1), es);
                all.addAll(es);
            }
        }
        List<Path> segs = WalFixtures.segmentFiles(dir());
        assertTrue(segs.size() >= 10, "expected many segments, got " + segs.size());
        for (int i = 0; i < segs.size(); i++) {
            SegmentName n = SegmentName.parse(segs.get(i).getFileName().toString());
            assertEquals(i, n.seq());
            if (i > 0) {
                // A segment is named after the index of the first entry it can hold.
                long firstIndex = n.index();
                assertTrue(all.stream().anyMatch(e -> e.getIndex() == firstIndex), "index " + firstIndex);
            }
        }
        WalContents c = readBack(dir());
        assertEquals(all, c.entries());
        assertEquals(state(3, 1, all.size()), c.hardState());

        // Appending after a reopen continues the chain in the tail segment.
        try (WAL w = WAL.open(dir(), start(), SMALL)) {
            w.readAll();
            w.save(state(4, 1, all.size() + 1), List.of(entry(all.size() + 1, 4, "after-reopen")));
        }
        WalContents again = readBack(dir());
        assertEquals(all.size() + 1, again.entries().size());
        assertEquals(entry(all.size() + 1, 4, "after-reopen"), again.entries().get(all.size()));
    }

    @Test
    void cutStartsTheNewSegmentWithTheLastHardState() throws IOException {
        HardState hs = state(1, 1, 1);
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            w.save(hs, List.of(entry(1, 1, "big-" + "y".repeat(5000))));
            w.saveSnapshot(marker(2, 1));
            assertEquals(
                    List.of("0000000000000000-0000000000000000.wal", "0000000000000001-0000000000000002.wal"),
                    w.segmentFileNames());
        }
        Path full = dir().resolve("0000000000000000-0000000000000000.wal");
        long end = WalFixtures.frames(full)
                .get(WalFixtures.frames(full).size() - 1)
                .end();
        assertEquals(end, Files.size(full), "a full segment is truncated to its last record");
        // Reading only the new segment still finds the hard state.
        try (WAL w = WAL.open(dir(), marker(2, 1), SMALL)) {
            assertEquals(List.of("0000000000000001-0000000000000002.wal"), w.segmentFileNames());
            WalContents c = w.readAll();
            assertEquals(hs, c.hardState());
            assertTrue(c.entries().isEmpty());
        }
    }

    @Test
    void savingNothingWritesNothingAndDoesNotSync() throws IOException {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            Path seg = WalFixtures.lastSegment(dir());
            byte[] before = Files.readAllBytes(seg);
            long syncs = w.syncCount();
            w.save(HardState.getDefaultInstance(), List.of());
            w.save(null, List.of());
            assertArrayEquals(before, Files.readAllBytes(seg));
            assertEquals(syncs, w.syncCount());
        }
    }

    @Test
    void eachSaveSyncsOnceAndOnlyWhenItMust() {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            long s0 = w.syncCount();
            w.save(state(1, 1, 0), entries(1, 10, 1));
            assertEquals(s0 + 1, w.syncCount(), "a batch of entries costs one sync");
            // Only the commit index moved: it can be recovered, so no sync (etcd's MustSync).
            w.save(state(1, 1, 5), List.of());
            assertEquals(s0 + 1, w.syncCount());
            w.save(state(2, 1, 5), List.of());
            assertEquals(s0 + 2, w.syncCount(), "a new term must be durable");
            w.save(state(2, 3, 5), List.of());
            assertEquals(s0 + 3, w.syncCount(), "a new vote must be durable");
        }
        // The unsynced commit-only state was still written and reads back.
        assertEquals(state(2, 3, 5), readBack(dir()).hardState());
    }

    @Test
    void secondOpenInTheSameProcessIsRefused() {
        WAL.create(dir(), null, SMALL).close();
        try (WAL w = WAL.open(dir(), start(), SMALL)) {
            WalLockedException e = assertThrows(WalLockedException.class, () -> WAL.open(dir(), start(), SMALL));
            assertTrue(e.getMessage().contains("already opened"), e.getMessage());
            w.readAll();
        }
        // Closing releases the lock.
        WAL.open(dir(), start(), SMALL).close();
    }

    @Test
    void createdWalHoldsTheLockToo() {
        WAL w = WAL.create(dir(), null, SMALL);
        try {
            assertThrows(WalLockedException.class, () -> WAL.open(dir(), start(), SMALL));
        } finally {
            w.close();
        }
    }

    @Test
    void appendingBeforeReadAllOrAfterCloseIsRefused() {
        WAL.create(dir(), null, SMALL).close();
        WAL w = WAL.open(dir(), start(), SMALL);
        assertThrows(IllegalStateException.class, () -> w.save(state(1, 0, 0), entries(1, 1, 1)));
        w.readAll();
        assertThrows(IllegalStateException.class, w::readAll);
        w.close();
        assertThrows(IllegalStateException.class, () -> w.save(state(1, 0, 0), entries(1, 1, 1)));
    }

    @Test
    void snapshotMarkerAfterTheFirstNeedsAConfState() {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            assertThrows(IllegalArgumentException.class, () -> w.saveSnapshot(WAL.marker(5, 1)));
            assertThrows(
                    IllegalArgumentException.class,
                    () -> w.saveSnapshot(WalSnapshot.newBuilder().setIndex(1).build()));
            w.saveSnapshot(marker(5, 1));
        }
    }

    @Test
    void releaseLockToKeepsTheSegmentThatMayHoldLaterEntries() {
        List<String> names;
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            for (long i = 1; i <= 10; i++) {
                // Each entry fills a segment, so segment k (k >= 1) starts at index k+1.
                w.save(state(1, 0, i), List.of(entry(i, 1, "q".repeat(5000))));
            }
            names = w.segmentFileNames();
            assertEquals(11, names.size());
            w.releaseLockTo(0);
            assertEquals(names, w.segmentFileNames(), "nothing below index 0");
            w.releaseLockTo(4);
            // Segments start at 0, 2, 3, 4, ...: the last one starting below 4 (index 3) stays.
            assertEquals(names.subList(2, names.size()), w.segmentFileNames());
            w.releaseLockTo(1000);
            assertEquals(List.of(names.get(names.size() - 1)), w.segmentFileNames(), "the tail is always kept");
        }
    }

    @Test
    void purgeReleasedDeletesOnlyReleasedSegments() throws IOException {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            for (long i = 1; i <= 6; i++) {
                w.save(state(1, 0, i), List.of(entry(i, 1, "q".repeat(5000))));
            }
            w.saveSnapshot(marker(5, 1));
            w.releaseLockTo(5);
            List<String> held = w.segmentFileNames();
            int total = WalFixtures.segmentFiles(dir()).size();
            assertTrue(held.size() < total);
            assertEquals(total - held.size(), w.purgeReleased());
            assertEquals(
                    held,
                    WalFixtures.segmentFiles(dir()).stream()
                            .map(p -> p.getFileName().toString())
                            .toList());
        }
        try (WAL w = WAL.open(dir(), marker(5, 1), SMALL)) {
            assertEquals(List.of(entry(6, 1, "q".repeat(5000))), w.readAll().entries());
        }
    }

    @Test
    void validSnapshotEntriesAreTheMarkersUpToTheCommitIndex() {
        WalSnapshot s1 = marker(1, 1);
        WalSnapshot s2 = marker(2, 1);
        WalSnapshot s3 = marker(3, 2);
        WalSnapshot s4 = marker(4, 2);
        WalSnapshot s5 = marker(5, 3);
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            w.save(state(1, 1, 1), entries(1, 2, 1));
            w.saveSnapshot(s1);
            w.save(state(1, 1, 2), List.of());
            w.saveSnapshot(s2);
            w.save(state(2, 1, 4), entries(3, 4, 2));
            w.saveSnapshot(s3);
            w.saveSnapshot(s4);
            // s5 is beyond the committed index: a snapshot of uncommitted state cannot be used.
            w.saveSnapshot(s5);
            // Readable while the WAL is open and locked.
            assertEquals(List.of(WAL.marker(0, 0), s1, s2, s3, s4), WAL.validSnapshotEntries(dir()));
        }
    }

    @Test
    void validSnapshotEntriesSpanSegments() {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            for (long i = 1; i <= 12; i++) {
                w.save(state(1, 0, i), List.of(entry(i, 1, "w".repeat(1500))));
                if (i % 4 == 0) {
                    w.saveSnapshot(marker(i, 1));
                }
            }
        }
        assertEquals(
                List.of(WAL.marker(0, 0), marker(4, 1), marker(8, 1), marker(12, 1)), WAL.validSnapshotEntries(dir()));
    }

    @Test
    void tailWithoutPreallocatedSlackIsReadAndAppended() throws IOException {
        try (WAL w = WAL.create(dir(), "metadata".getBytes(StandardCharsets.UTF_8), SMALL)) {
            for (long i = 1; i <= 5; i++) {
                w.save(state(1, 0, 0), List.of(entry(i, 1, "d" + i)));
            }
        }
        Path seg = WalFixtures.lastSegment(dir());
        List<WalFixtures.FrameSpan> spans = WalFixtures.frames(seg);
        WalFixtures.truncate(seg, spans.get(spans.size() - 1).end());
        try (WAL w = WAL.open(dir(), start(), SMALL)) {
            assertEquals(5, w.readAll().entries().size());
            for (long i = 6; i <= 10; i++) {
                w.save(state(1, 0, 0), List.of(entry(i, 1, "d" + i)));
            }
        }
        assertEquals(10, readBack(dir()).entries().size());
        assertFalse(Files.exists(seg.resolveSibling(seg.getFileName() + ".broken")), "nothing was torn");
    }

    @Test
    void halfMadeSegmentFromAnInterruptedCutIsDiscardedOnOpen() throws IOException {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            w.save(state(1, 0, 1), entries(1, 3, 1));
        }
        Path stale = dir().resolve(new SegmentName(1, 4).fileName() + ".tmp");
        Files.write(stale, new byte[] {1, 2, 3});
        try (WAL w = WAL.open(dir(), start(), SMALL)) {
            assertEquals(entries(1, 3, 1), w.readAll().entries());
        }
        assertFalse(Files.exists(stale));
    }

    @Test
    void verifyChecksALogWithoutTouchingIt() throws IOException {
        try (WAL w = WAL.create(dir(), "meta".getBytes(StandardCharsets.UTF_8), SMALL)) {
            for (long i = 1; i <= 6; i++) {
                w.save(state(1, 1, i), List.of(entry(i, 1, "q".repeat(1500))));
                w.saveSnapshot(marker(i, 1));
            }
            // Works while the WAL is open.
            assertEquals(state(1, 1, 6), WAL.verify(dir(), marker(3, 1)));
        }
        assertEquals(state(1, 1, 6), WAL.verify(dir(), start()));
        assertThrows(WalException.class, () -> WAL.verify(dir(), marker(3, 2)), "wrong term");
        assertThrows(WalException.class, () -> WAL.verify(dir(), marker(9, 1)), "unknown marker");

        Path seg = WalFixtures.segmentFiles(dir()).get(1);
        WalFixtures.FrameSpan victim = WalFixtures.frames(seg).stream()
                .filter(f -> f.end() - f.start() > 1000)
                .findFirst()
                .orElseThrow(); // an entry
        WalFixtures.flipBit(seg, victim.start() + 300, 2);
        byte[] damaged = Files.readAllBytes(seg);
        CorruptWalException e = assertThrows(CorruptWalException.class, () -> WAL.verify(dir(), start()));
        assertEquals(seg, e.file());
        assertEquals(victim.start(), e.offset());
        assertArrayEquals(damaged, Files.readAllBytes(seg));
    }

    @Test
    void recordsLargerThanTheWriteBufferAndTheSegmentRoundTrip() {
        String big = "B".repeat(3 * 1024 * 1024);
        List<Entry> batch = new ArrayList<>();
        for (long i = 2; i <= 400; i++) {
            batch.add(entry(i, 1, "batch-entry-" + i + "-" + "p".repeat(4000))); // ~1.6 MB in one save
        }
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            w.save(state(1, 1, 1), List.of(entry(1, 1, big)));
            w.save(state(1, 1, 400), batch);
            w.save(state(1, 1, 401), List.of(entry(401, 1, "small")));
        }
        List<Entry> got = readBack(dir()).entries();
        assertEquals(401, got.size());
        assertEquals(entry(1, 1, big), got.get(0));
        assertEquals(batch, got.subList(1, 400));
        assertEquals(entry(401, 1, "small"), got.get(400));
    }

    @Test
    @org.junit.jupiter.api.Timeout(60)
    void validSnapshotEntriesCanReadWhileTheWalIsBeingWritten() throws Exception {
        WAL w = WAL.create(dir(), null, SMALL);
        java.util.concurrent.atomic.AtomicReference<Throwable> writerError =
                new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        Thread writer = new Thread(() -> {
            try {
                for (long i = 1; i <= 300; i++) {
                    w.save(state(1, 1, i), List.of(entry(i, 1, "c".repeat(300))));
                    if (i % 10 == 0) {
                        w.saveSnapshot(marker(i, 1));
                    }
                }
            } catch (Throwable t) {
                writerError.set(t);
            } finally {
                done.countDown();
            }
        });
        writer.start();
        try {
            int seen = 0;
            while (done.getCount() > 0) {
                List<WalSnapshot> snaps = WAL.validSnapshotEntries(dir());
                assertTrue(snaps.size() >= seen, "markers never disappear");
                for (int k = 1; k < snaps.size(); k++) {
                    assertEquals(marker(10L * k, 1), snaps.get(k));
                }
                seen = snaps.size();
            }
            writer.join();
        } finally {
            w.close();
        }
        assertNull(writerError.get());
        assertEquals(31, WAL.validSnapshotEntries(dir()).size());
    }

    @Test
    void segmentNamesParseAndSort() {
        assertEquals(new SegmentName(0x1234, 0xabcd), SegmentName.parse("0000000000001234-000000000000abcd.wal"));
        assertNull(SegmentName.parse("0000000000001234-000000000000abcd.snap"));
        assertNull(SegmentName.parse("000000000001234-000000000000abcd.wal"));
        assertNull(SegmentName.parse("000000000000123g-000000000000abcd.wal"));
        assertEquals("ffffffffffffffff-0000000000000001.wal", new SegmentName(-1, 1).fileName());
    }

    @Test
    void searchIndexFindsTheSegmentHoldingAnIndex() {
        List<SegmentName> names =
                List.of(new SegmentName(0, 0), new SegmentName(1, 10), new SegmentName(2, 20), new SegmentName(3, 30));
        assertEquals(0, WAL.searchIndex(names, 0));
        assertEquals(0, WAL.searchIndex(names, 9));
        assertEquals(1, WAL.searchIndex(names, 10));
        assertEquals(3, WAL.searchIndex(names, 1000));
        assertEquals(-1, WAL.searchIndex(List.of(new SegmentName(4, 40)), 39));
    }

    @Test
    void aGapInSegmentSequenceNumbersIsRefused() throws IOException {
        try (WAL w = WAL.create(dir(), null, SMALL)) {
            for (long i = 1; i <= 3; i++) {
                w.save(state(1, 0, i), List.of(entry(i, 1, "q".repeat(5000))));
            }
        }
        List<Path> segs = WalFixtures.segmentFiles(dir());
        Files.delete(segs.get(1));
        WalException e = assertThrows(WalException.class, () -> WAL.open(dir(), start(), SMALL));
        assertTrue(e.getMessage().contains("sequence"), e.getMessage());
    }
}
