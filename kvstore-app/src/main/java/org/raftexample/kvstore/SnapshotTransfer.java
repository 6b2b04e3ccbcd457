package org.raftexample.kvstore;

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
import org.raftexample.transport.Raft;

/**
 * Snapshots between this node's files and its peers, streamed both ways (etcd's snapshot sender and
 * receiver with its db file): a MsgSnap leaves with empty data and the transport streams its
 * {@code .snap} file's data from disk; an incoming snapshot's data is streamed into its {@code .snap}
 * file (synced) as it arrives, and raft is then stepped with the message alone. The raft loop later
 * writes the WAL marker of a snapshot raft accepts; a file raft refuses has no marker and is never
 * used at restart.
 *
 * <p>The size of a snapshot has no fixed cap (the data never passes through memory whole): one is
 * refused (507, the leader retries later) only when the snapshot directory's disk has not room for it
 * plus {@link #RESERVE_BYTES}, which the WAL and the store need to go on.
 *
 * <p>Threads: called by the transport's snapshot threads, several at once; each call has its own file
 * or stream, and the snapshotter writes a file under a temporary name, then renames it.
 */
final class SnapshotTransfer {

    /** Free space a received snapshot must leave on its disk. */
    static final long RESERVE_BYTES = 64L << 20;

    private final Snapshotter snapshotter;
    private final ToLongFunction<Path> usableSpace;

    SnapshotTransfer(Snapshotter snapshotter) {
        this(snapshotter, SnapshotTransfer::usableSpace);
    }

    /** @param usableSpace the bytes a directory's disk has free for this process (a test seam) */
    SnapshotTransfer(Snapshotter snapshotter, ToLongFunction<Path> usableSpace) {
        this.snapshotter = snapshotter;
        this.usableSpace = usableSpace;
    }

    private static long usableSpace(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE; // unknown: let the write itself fail if the disk is full
        }
    }

    /** The data of an outgoing MsgSnap, from its checked file. */
    Raft.SnapshotBody open(Message m) throws IOException {
        SnapshotMetadata md = m.getSnapshot().getMetadata();
        SnapshotFile f = snapshotter
                .file(md.getTerm(), md.getIndex())
                .orElseThrow(
                        () -> new IOException("no snapshot file for term " + md.getTerm() + " index " + md.getIndex()));
        return new Raft.SnapshotBody(f.dataLength(), f.openData());
    }

    /**
     * Streams an incoming snapshot's data into its file; returns the message to step raft with. Refuses
     * before reading anything when the disk has no room for it.
     */
    Message receive(Message header, InputStream data, long size) throws InsufficientStorageException {
        long free = usableSpace.applyAsLong(snapshotter.dir());
        if (size > free - RESERVE_BYTES) {
            throw new InsufficientStorageException("a snapshot of " + size + " bytes would leave less than "
                    + RESERVE_BYTES + " of the " + free + " bytes free in " + snapshotter.dir());
        }
        snapshotter.save(header.getSnapshot().getMetadata(), size, data);
        return header;
    }
}
