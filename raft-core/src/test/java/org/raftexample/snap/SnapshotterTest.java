package org.raftexample.snap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.wal.WAL;

class SnapshotterTest {
    @TempDir
    Path dir;

    private static Snapshot snap(long term, long index, String data) {
        return Snapshot.newBuilder()
                .setData(ByteString.copyFrom(data, StandardCharsets.UTF_8))
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setTerm(term)
                        .setIndex(index)
                        .setConfState(
                                ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3)))
                .build();
    }

    /** A snapshot of {@code data} with the given term, index and configuration. */
    private static Snapshot snap(long term, long index, byte[] data, ConfState.Builder conf) {
        return Snapshot.newBuilder()
                .setData(ByteString.copyFrom(data))
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setTerm(term)
                        .setIndex(index)
                        .setConfState(conf))
                .build();
    }

    /** {@code n} bytes drawn from a generator seeded with {@code seed}. */
    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void savedSnapshotLoadsBack() throws IOException {
        Snapshotter ss = new Snapshotter(dir);
        Snapshot s = snap(1, 1, "some snapshot");
        ss.save(s);
        assertEquals(List.of("0000000000000001-0000000000000001.snap"), files(), "no temp file is left");
        assertEquals(Optional.of(s), ss.load());
    }

    @Test
    void noSnapshotIsAnEmptyResult() {
        assertEquals(Optional.empty(), new Snapshotter(dir).load());
        assertEquals(Optional.empty(), new Snapshotter(dir.resolve("missing")).load());
        assertEquals(Optional.empty(), new Snapshotter(dir).loadNewestAvailable(List.of(WAL.marker(0, 0))));
    }

    @Test
    void emptySnapshotIsNotSaved() throws IOException {
        new Snapshotter(dir).save(Snapshot.getDefaultInstance());
        assertEquals(List.of(), files());
    }

    @Test
    void badChecksumIsRejectedAndTheFileRenamedBroken() throws IOException {
        Snapshotter ss = new Snapshotter(dir);
        ss.save(snap(1, 1, "some snapshot"));
        Path f = dir.resolve(Snapshotter.fileName(1, 1));
        byte[] b = Files.readAllBytes(f);
        b[b.length - 5] ^= 0x40;
        Files.write(f, b);
        SnapException e = assertThrows(SnapException.class, () -> Snapshotter.read(f));
        assertTrue(e.getMessage().contains("crc mismatch") || e.getMessage().contains("decode"), e.getMessage());

        assertEquals(Optional.empty(), ss.load());
        assertEquals(List.of("0000000000000001-0000000000000001.snap.broken"), files());
    }

    @Test
    void corruptNewestFallsBackToThePreviousOne() throws IOException {
        Snapshotter ss = new Snapshotter(dir);
        Snapshot older = snap(2, 10, "older");
        ss.save(older);
        ss.save(snap(2, 20, "newer"));
        Path newest = dir.resolve(Snapshotter.fileName(2, 20));
        Files.write(newest, new byte[] {1, 2, 3});

        assertEquals(Optional.of(older), ss.load());
        assertTrue(Files.exists(dir.resolve(Snapshotter.fileName(2, 20) + ".broken")));
        assertFalse(Files.exists(newest));
        // Once set aside, the broken file is not looked at again.
        assertEquals(Optional.of(older), ss.load());
    }

    @Test
    void emptyFileAndEmptyPayloadAreBroken() throws IOException {
        Snapshotter ss = new Snapshotter(dir);
        Files.write(dir.resolve(Snapshotter.fileName(1, 1)), new byte[0]);
        Files.write(
                dir.resolve(Snapshotter.fileName(1, 2)),
                org.raftexample.snap.pb.Snapshot.newBuilder().setCrc(0).build().toByteArray());
        assertEquals(Optional.empty(), ss.load());
        assertEquals(
                List.of(
                        "0000000000000001-0000000000000001.snap.broken",
                        "0000000000000001-0000000000000002.snap.broken"),
                files());
    }

    @Test
    void newestIsByTermThenIndex() {
        Snapshotter ss = new Snapshotter(dir, 0);
        ss.save(snap(1, 30, "a"));
        Snapshot newest = snap(2, 31, "b");
        ss.save(newest);
        ss.save(snap(1, 29, "c"));
        assertEquals(Optional.of(newest), ss.load());
    }

    @Test
    void loadNewestAvailableHonoursTheWalMarkers() {
        Snapshotter ss = new Snapshotter(dir);
        Snapshot s1 = snap(1, 1, "one");
        Snapshot s5 = snap(1, 5, "five");
        ss.save(s1);
        ss.save(s5);
        ss.save(snap(1, 10, "ten: saved, but the crash came before its WAL marker"));

        assertEquals(
                Optional.of(s5), ss.loadNewestAvailable(List.of(WAL.marker(0, 0), WAL.marker(1, 1), WAL.marker(5, 1))));
        assertEquals(Optional.of(s1), ss.loadNewestAvailable(List.of(WAL.marker(0, 0), WAL.marker(1, 1))));
        // The term must match too.
        assertEquals(Optional.empty(), ss.loadNewestAvailable(List.of(WAL.marker(5, 2))));
        assertEquals(Optional.empty(), ss.loadNewestAvailable(List.of()));
    }

    @Test
    void saveKeepsOnlyTheNewestFiles() throws IOException {
        Snapshotter ss = new Snapshotter(dir, 3);
        for (long i = 1; i <= 6; i++) {
            ss.save(snap(1, i * 10, "s" + i));
        }
        assertEquals(
                List.of(Snapshotter.fileName(1, 40), Snapshotter.fileName(1, 50), Snapshotter.fileName(1, 60)),
                files());
    }

    @Test
    void defaultRetentionIsFive() throws IOException {
        Snapshotter ss = new Snapshotter(dir);
        for (long i = 1; i <= 8; i++) {
            ss.save(snap(1, i, "s" + i));
        }
        assertEquals(5, files().size());
        assertEquals(Snapshotter.fileName(1, 4), files().get(0));
    }

    @Test
    void leftoverTempFileFromACrashedSaveIsIgnoredAndRemoved() throws IOException {
        Snapshotter ss = new Snapshotter(dir);
        Snapshot s = snap(1, 3, "ok");
        ss.save(s);
        Files.write(dir.resolve(Snapshotter.fileName(1, 9) + ".tmp"), new byte[] {1, 2});
        assertEquals(Optional.of(s), ss.load());
        assertEquals(List.of(Snapshotter.fileName(1, 3)), files());
    }

    @Test
    void aSaveLeavesTheTemporaryFileOfAnotherSaveUnderWayAlone() throws Exception {
        Snapshotter ss = new Snapshotter(dir);
        byte[] data = randomBytes(1 << 20, 5);
        SnapshotMetadata md = snap(2, 40, "x").getMetadata();
        java.util.concurrent.CountDownLatch halfway = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch goOn = new java.util.concurrent.CountDownLatch(1);
        // A received snapshot streaming into its file, paused halfway while the node saves its own.
        java.io.InputStream slow = new java.io.SequenceInputStream(
                new ByteArrayInputStream(data, 0, data.length / 2), new java.io.InputStream() {
                    private final ByteArrayInputStream rest =
                            new ByteArrayInputStream(data, data.length / 2, data.length - data.length / 2);

                    @Override
                    public int read() {
                        return rest.read();
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        halfway.countDown();
                        try {
                            goOn.await();
                        } catch (InterruptedException e) {
                            throw new java.io.InterruptedIOException();
                        }
                        return rest.read(b, off, len);
                    }
                });
        java.util.concurrent.CompletableFuture<Void> receiving =
                java.util.concurrent.CompletableFuture.runAsync(() -> ss.save(md, data.length, slow));
        halfway.await();
        for (long i = 1; i <= 7; i++) {
            ss.save(snap(1, i, "own" + i)); // each save purges old files
        }
        goOn.countDown();
        receiving.get(30, java.util.concurrent.TimeUnit.SECONDS);
        SnapshotFile f = ss.file(2, 40).orElseThrow();
        try (java.io.InputStream in = f.openData()) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    void streamedSaveLoadsAsTheSameSnapshot() throws IOException {
        byte[] data = randomBytes(300_000, 3);
        Snapshot s = snap(4, 77, data, ConfState.newBuilder().addVoters(1).addLearners(9));
        Snapshotter ss = new Snapshotter(dir);
        ss.save(s.getMetadata(), data.length, new ByteArrayInputStream(data));
        Snapshot loaded = ss.load().orElseThrow();
        assertEquals(s, loaded);
        assertArrayEquals(data, loaded.getData().toByteArray());
    }

    @Test
    void streamedSaveOfTooShortAStreamFailsWithoutLeavingAFile() throws IOException {
        Snapshotter ss = new Snapshotter(dir);
        SnapshotMetadata md = SnapshotMetadata.newBuilder()
                .setTerm(1)
                .setIndex(5)
                .setConfState(ConfState.newBuilder().addVoters(1))
                .build();
        assertThrows(SnapException.class, () -> ss.save(md, 100, new ByteArrayInputStream(new byte[10])));
        assertEquals(List.of(), files());
    }

    @Test
    void aSnapshotWrittenAsItStreamsLoadsAsTheSameSnapshotAndLeavesOnlyItsFile() throws IOException {
        byte[] data = randomBytes(200_003, 5);
        Snapshot s = snap(
                6, 1234, data, ConfState.newBuilder().addVoters(1).addVoters(2).addLearners(4));
        Snapshotter ss = new Snapshotter(dir);
        // Written in pieces of odd sizes and single bytes, as a state machine's serialiser does.
        long written = ss.save(s.getMetadata(), out -> {
            int at = 0;
            while (at < data.length) {
                if (at % 7 == 0) {
                    out.write(data[at++]);
                } else {
                    int n = Math.min(data.length - at, 1 + at % 5000);
                    out.write(data, at, n);
                    at += n;
                }
            }
        });
        assertEquals(data.length, written);
        assertEquals(List.of(Snapshotter.fileName(6, 1234)), files());
        Path file = dir.resolve(Snapshotter.fileName(6, 1234));
        // Both readers take it: the whole-file decoder with its checksum, and the streaming check.
        Snapshot loaded = Snapshotter.read(file);
        assertEquals(s, loaded);
        SnapshotFile checked = SnapshotFile.check(file);
        assertEquals(s.getMetadata(), checked.metadata());
        assertEquals(data.length, checked.dataLength());
        try (java.io.InputStream in = checked.openData()) {
            assertArrayEquals(data, in.readAllBytes());
        }
        // An empty data section too.
        assertEquals(0, ss.save(snap(7, 1300, "").getMetadata(), out -> {}));
        assertEquals(
                SnapshotMetadata.newBuilder()
                        .setTerm(7)
                        .setIndex(1300)
                        .setConfState(
                                ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3))
                        .build(),
                SnapshotFile.check(dir.resolve(Snapshotter.fileName(7, 1300))).metadata());
    }

    @Test
    void aSnapshotWhoseWriterFailsLeavesNoFile() throws IOException {
        Snapshotter ss = new Snapshotter(dir);
        SnapshotException boom = new SnapshotException();
        SnapException e = assertThrows(
                SnapException.class,
                () -> ss.save(snap(1, 9, "x").getMetadata(), out -> {
                    out.write(new byte[100_000]);
                    throw boom;
                }));
        assertEquals(boom, e.getCause());
        assertEquals(List.of(), files());
        IllegalStateException unchecked = new IllegalStateException("the serialiser broke");
        assertEquals(
                unchecked,
                assertThrows(
                        IllegalStateException.class,
                        () -> ss.save(snap(1, 9, "x").getMetadata(), out -> {
                            out.write(new byte[100_000]);
                            throw unchecked;
                        })));
        assertEquals(List.of(), files());
    }

    /** The failure a state machine's serialiser reports. */
    private static final class SnapshotException extends IOException {
        private static final long serialVersionUID = 1L;

        SnapshotException() {
            super("the state machine failed");
        }
    }
}
