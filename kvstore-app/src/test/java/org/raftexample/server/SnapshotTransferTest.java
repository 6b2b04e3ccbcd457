package org.raftexample.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.snap.Snapshotter;
import org.raftexample.transport.InsufficientStorageException;
import org.raftexample.transport.SnapshotRefusedException;

/** A received snapshot is taken by the free space of its disk, not by a fixed cap on its size. */
class SnapshotTransferTest {

    @TempDir
    Path dir;

    private static Message header() {
        return Message.newBuilder()
                .setType(MessageType.MsgSnap)
                .setFrom(1)
                .setTo(2)
                .setTerm(3)
                .setSnapshot(Snapshot.newBuilder()
                        .setMetadata(SnapshotMetadata.newBuilder()
                                .setTerm(3)
                                .setIndex(70)
                                .setConfState(
                                        ConfState.newBuilder().addVoters(1).addVoters(2))))
                .build();
    }

    private long files() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void aSnapshotThatWouldLeaveLessThanTheReserveFreeIsRefusedBeforeAnythingIsWritten() throws Exception {
        long size = 10L << 30; // 10 GiB claimed, 10 GiB + reserve - 1 free
        SnapshotTransfer t = new SnapshotTransfer(
                new Snapshotter(dir), new ChecksummedBytes(), d -> size + SnapshotTransfer.RESERVE_BYTES - 1);
        InputStream data = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the data must not be read");
            }
        };
        assertThrows(InsufficientStorageException.class, () -> t.receive(header(), data, size, true));
        assertEquals(0, files());
    }

    @Test
    void onADiskSmallerThanTheReserveASnapshotMayTakeHalfOfWhatIsFree() throws Exception {
        byte[] data = snapshotOf(10);
        long free = 8L << 20; // an 8 MiB disk, as the disk-fault tests give a node
        SnapshotTransfer small = new SnapshotTransfer(new Snapshotter(dir), new ChecksummedBytes(), d -> free);
        small.receive(header(), new java.io.ByteArrayInputStream(data), data.length, true);
        assertEquals(1, files());
        InputStream unread = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the data must not be read");
            }
        };
        assertThrows(InsufficientStorageException.class, () -> small.receive(header(), unread, free / 2 + 1, true));
    }

    /** A snapshot of {@code pairs} random records, with the test state machine's checksum. */
    private static byte[] snapshotOf(int pairs) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        Random r = new Random(9);
        for (int i = 0; i < pairs; i++) {
            byte[] v = new byte[r.nextInt(300)];
            r.nextBytes(v);
            out.writeBytes(v);
        }
        return ChecksummedBytes.snapshotOf(out.toByteArray());
    }

    @Test
    void aSnapshotWithRoomToSpareIsStreamedIntoItsFile() throws Exception {
        byte[] data = snapshotOf(20_000);
        Snapshotter snapshotter = new Snapshotter(dir);
        SnapshotTransfer t = new SnapshotTransfer(
                snapshotter, new ChecksummedBytes(), d -> data.length + SnapshotTransfer.RESERVE_BYTES);
        assertEquals(header(), t.receive(header(), new ByteArrayInputStream(data), data.length, true));
        try (InputStream in = snapshotter.file(3, 70).orElseThrow().openData()) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }

    @Test
    void aSnapshotDamagedOnTheWayIsRefusedAndItsFileRemovedBeforeRaftSeesIt() throws Exception {
        byte[] data = snapshotOf(2_000);
        data[data.length / 2] ^=
                0x10; // the file's own checksum is computed from these bytes: only the state machine's check sees it
        SnapshotTransfer t = new SnapshotTransfer(new Snapshotter(dir), new ChecksummedBytes());
        assertThrows(
                SnapshotRefusedException.class,
                () -> t.receive(header(), new ByteArrayInputStream(data), data.length, true));
        assertEquals(0, files());
    }

    @Test
    void aSnapshotRaftWillIgnoreIsHandedOnWithoutBeingReadBack() throws Exception {
        byte[] garbage = new byte[4096]; // a forged, stale snapshot: raft ignores it, its file is never used
        new Random(3).nextBytes(garbage);
        SnapshotTransfer t = new SnapshotTransfer(new Snapshotter(dir), new ChecksummedBytes());
        assertEquals(header(), t.receive(header(), new ByteArrayInputStream(garbage), garbage.length, false));
    }
}
