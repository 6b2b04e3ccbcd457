package org.raftexample.kvstore;

import java.io.IOException;
import java.io.InputStream;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.snap.SnapshotFile;
import org.raftexample.snap.Snapshotter;
import org.raftexample.transport.Raft;

/**
 * Snapshots between this node's files and its peers, streamed both ways (etcd's snapshot sender and
 * receiver with its db file): a MsgSnap leaves with empty data and the transport streams its
 * {@code .snap} file's data from disk; an incoming snapshot's data is streamed into its {@code .snap}
 * file (synced) as it arrives, and raft is then stepped with the message alone. The raft loop later
 * writes the WAL marker of a snapshot raft accepts; a file raft refuses has no marker and is never
 * used at restart.
 *
 * <p>Threads: called by the transport's snapshot threads, several at once; each call has its own file
 * or stream, and the snapshotter writes a file under a temporary name, then renames it.
 */
final class SnapshotTransfer {

    private final Snapshotter snapshotter;

    SnapshotTransfer(Snapshotter snapshotter) {
        this.snapshotter = snapshotter;
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

    /** Streams an incoming snapshot's data into its file; returns the message to step raft with. */
    Message receive(Message header, InputStream data, long size) {
        snapshotter.save(header.getSnapshot().getMetadata(), size, data);
        return header;
    }
}
