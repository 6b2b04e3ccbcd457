package org.raftexample.snap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.wal.WAL;

class SnapshotFileTest {
    @TempDir
    Path dir;

    private static SnapshotMetadata md(long term, long index) {
        return SnapshotMetadata.newBuilder()
                .setTerm(term)
                .setIndex(index)
                .setConfState(ConfState.newBuilder().addVoters(1).addVoters(2))
                .build();
    }

    private static byte[] data(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private static byte[] readAll(SnapshotFile f) throws Exception {
        try (InputStream in = f.openData()) {
            return in.readAllBytes();
        }
    }

    @Test
    void aFileWrittenEitherWayIsCheckedAndItsDataStreamedFromDisk() throws Exception {
        Snapshotter s = new Snapshotter(dir);
        byte[] a = data(300_000);
        s.save(Snapshot.newBuilder()
                .setData(ByteString.copyFrom(a))
                .setMetadata(md(1, 10))
                .build());
        byte[] b = data(200_001);
        s.save(md(2, 20), b.length, new ByteArrayInputStream(b));

        SnapshotFile fa = s.file(1, 10).orElseThrow();
        assertEquals(md(1, 10), fa.metadata());
        assertEquals(a.length, fa.dataLength());
        assertArrayEquals(a, readAll(fa));
        SnapshotFile fb = s.file(2, 20).orElseThrow();
        assertEquals(md(2, 20), fb.metadata());
        assertArrayEquals(b, readAll(fb));
        assertTrue(s.file(3, 30).isEmpty());

        SnapshotFile newest = s.loadNewestAvailableFile(List.of(WAL.marker(10, 1), WAL.marker(20, 2)))
                .orElseThrow();
        assertEquals(20, newest.metadata().getIndex());
        assertEquals(
                10,
                s.loadNewestAvailableFile(List.of(WAL.marker(10, 1)))
                        .orElseThrow()
                        .metadata()
                        .getIndex());
    }

    @Test
    void aDamagedOrTruncatedFileIsRefusedAndTheNextOlderOneUsed() throws Exception {
        Snapshotter s = new Snapshotter(dir);
        s.save(md(1, 10), 1000, new ByteArrayInputStream(data(1000)));
        s.save(md(1, 20), 1000, new ByteArrayInputStream(data(1000)));
        Path newest = dir.resolve(Snapshotter.fileName(1, 20));
        byte[] bytes = Files.readAllBytes(newest);
        byte[] flipped = bytes.clone();
        flipped[500] ^= 1;
        Files.write(newest, flipped);
        assertThrows(SnapException.class, () -> SnapshotFile.check(newest));
        Files.write(newest, Arrays.copyOf(bytes, bytes.length - 10));
        assertThrows(SnapException.class, () -> SnapshotFile.check(newest));
        Files.write(newest, new byte[0]);
        assertThrows(SnapException.class, () -> SnapshotFile.check(newest));

        SnapshotFile f = s.loadNewestAvailableFile(List.of(WAL.marker(10, 1), WAL.marker(20, 1)))
                .orElseThrow();
        assertEquals(10, f.metadata().getIndex());
        assertTrue(Files.exists(dir.resolve(Snapshotter.fileName(1, 20) + ".broken")));
    }
}
