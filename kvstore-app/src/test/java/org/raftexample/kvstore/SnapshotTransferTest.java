package org.raftexample.kvstore;

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
        SnapshotTransfer t = new SnapshotTransfer(new Snapshotter(dir), d -> size + SnapshotTransfer.RESERVE_BYTES - 1);
        InputStream data = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the data must not be read");
            }
        };
        assertThrows(InsufficientStorageException.class, () -> t.receive(header(), data, size));
        assertEquals(0, files());
    }

    @Test
    void aSnapshotWithRoomToSpareIsStreamedIntoItsFile() throws Exception {
        byte[] data = new byte[3 << 20];
        new Random(9).nextBytes(data);
        Snapshotter snapshotter = new Snapshotter(dir);
        SnapshotTransfer t = new SnapshotTransfer(snapshotter, d -> data.length + SnapshotTransfer.RESERVE_BYTES);
        assertEquals(header(), t.receive(header(), new ByteArrayInputStream(data), data.length));
        try (InputStream in = snapshotter.file(3, 70).orElseThrow().openData()) {
            assertArrayEquals(data, in.readAllBytes());
        }
    }
}
