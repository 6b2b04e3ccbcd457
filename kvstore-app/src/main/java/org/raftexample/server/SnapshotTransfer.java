package org.raftexample.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.ToLongFunction;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.snap.SnapshotFile;
import org.raftexample.snap.Snapshotter;
import org.raftexample.transport.InsufficientStorageException;
import org.raftexample.transport.RaftReceiver;
import org.raftexample.transport.SnapshotRefusedException;

/**
 * Snapshots between this node's files and its peers, streamed both ways (etcd's snapshot sender and
 * receiver with its db file): a MsgSnap leaves with empty data and the transport streams its
 * {@code .snap} file's data from disk; an incoming snapshot's data is streamed into its {@code .snap}
 * file (synced) as it arrives, and raft is then stepped with the message alone. The raft loop later
 * writes the WAL marker of a snapshot raft accepts; a file raft refuses has no marker and is never
 * used at restart.
 *
 * <p>A received snapshot raft may install is checked (the snapshot format's checksum, one streaming pass
 * over the file) before raft is stepped with it; a damaged one is deleted and answered 400. One raft
 * will ignore (a term that is over, an index at or below the commit index) is not read back.
 *
 * <p>The size of a snapshot has no fixed cap (the data never passes through memory whole): one is
 * refused (507, the leader retries later) only when the snapshot directory's disk has not room for it
 * plus a reserve that the WAL and the store need to go on: {@link #RESERVE_BYTES}, or half the free
 * space on a disk too small for that (whose node runs with small WAL segments, or not for long).
 *
 * <p>Threads: called by the transport's snapshot threads, several at once; each call has its own file
 * or stream, and the snapshotter writes a file under a temporary name, then renames it.
 */
final class SnapshotTransfer {

    /** Free space a received snapshot must leave on its disk. */
    static final long RESERVE_BYTES = 64L << 20;

    private final Snapshotter snapshotter;
    private final StateMachine stateMachine;
    private final ToLongFunction<Path> usableSpace;

    SnapshotTransfer(Snapshotter snapshotter, StateMachine stateMachine) {
        this(snapshotter, stateMachine, SnapshotTransfer::usableSpace);
    }

    /** @param usableSpace the bytes a directory's disk has free for this process (a test seam) */
    SnapshotTransfer(Snapshotter snapshotter, StateMachine stateMachine, ToLongFunction<Path> usableSpace) {
        this.snapshotter = snapshotter;
        this.stateMachine = stateMachine;
        this.usableSpace = usableSpace;
    }

    private static long usableSpace(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE; // unknown: let the write itself fail if the disk is full
        }
    }

    /**
     * Reads the file just written back through the state machine's own check ({@link StateMachine#check};
     * the key-value store's snapshot format has its own checksum; the file's checksum
     * is computed here, from what arrived, so it cannot tell a snapshot damaged on the way): a damaged
     * one is deleted and refused, before raft ever sees it, and the leader sends it again, instead of
     * the node stopping when it fails to install it.
     */
    private void checkArrived(SnapshotMetadata md) throws SnapshotRefusedException {
        java.nio.file.Path file = snapshotter.dir().resolve(Snapshotter.fileName(md.getTerm(), md.getIndex()));
        try (InputStream in =
                snapshotter.file(md.getTerm(), md.getIndex()).orElseThrow().openData()) {
            stateMachine.check(in);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new SnapshotRefusedException(
                    "the snapshot at index " + md.getIndex() + " does not read back: " + e.getMessage(), e);
        }
    }

    /** The data of an outgoing MsgSnap, from its checked file. */
    RaftReceiver.SnapshotBody open(Message m) throws IOException {
        SnapshotMetadata md = m.getSnapshot().getMetadata();
        SnapshotFile f = snapshotter
                .file(md.getTerm(), md.getIndex())
                .orElseThrow(
                        () -> new IOException("no snapshot file for term " + md.getTerm() + " index " + md.getIndex()));
        return new RaftReceiver.SnapshotBody(f.dataLength(), f.openData());
    }

    /**
     * Streams an incoming snapshot's data into its file; returns the message to step raft with. Refuses
     * before reading anything when the disk has no room for it, and, if raft may install it
     * ({@code installable}), after writing it when its data fails the state machine's check.
     */
    Message receive(Message header, InputStream data, long size, boolean installable)
            throws InsufficientStorageException, SnapshotRefusedException {
        long free = usableSpace.applyAsLong(snapshotter.dir());
        long reserve = Math.min(RESERVE_BYTES, free / 2);
        if (size > free - reserve) {
            throw new InsufficientStorageException("a snapshot of " + size + " bytes would leave less than " + reserve
                    + " of the " + free + " bytes free in " + snapshotter.dir());
        }
        SnapshotMetadata md = header.getSnapshot().getMetadata();
        snapshotter.save(md, size, data);
        if (installable) {
            checkArrived(md);
        }
        return header;
    }
}
