package org.raftexample.server;

import java.nio.file.Files;
import java.util.List;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.snap.Snapshotter;
import org.raftexample.wal.WAL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's durable raft state: the WAL and the snapshot files (etcd's {@code etcdserver/storage.go}).
 *
 * <p>Threads: the raft loop saves every Ready through it; the snapshot writer saves the snapshots
 * the apply loop takes; a transport thread writes the file of a snapshot as it arrives. They may
 * call at once: the WAL serialises its own methods, and a snapshot file is written
 * whole before its WAL marker, so the WAL never names a snapshot that is not on disk.
 */
final class RaftStorage implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RaftStorage.class);

    private final WAL wal;
    private final Snapshotter snapshotter;
    // Test seam: runs before every WAL save (a slow or failing disk); null in production.
    private volatile Runnable beforeSave;

    RaftStorage(WAL wal, Snapshotter snapshotter) {
        this.wal = wal;
        this.snapshotter = snapshotter;
    }

    /** Appends hard state and entries to the WAL, with one fsync when raft needs one. */
    void save(HardState hs, List<Entry> entries) {
        Runnable hook = beforeSave;
        if (hook != null) {
            hook.run();
        }
        wal.save(hs, entries);
    }

    /**
     * Writes the snapshot file, then its WAL marker (synced). A snapshot without data (raft's copy of
     * one received from the leader, whose data went straight to its file as it arrived) must already
     * have its file: only the marker is written then.
     */
    void saveSnap(Snapshot snap) {
        SnapshotMetadata md = snap.getMetadata();
        if (!snap.getData().isEmpty()) {
            snapshotter.save(snap);
        } else if (!Files.isRegularFile(snapshotter.dir().resolve(Snapshotter.fileName(md.getTerm(), md.getIndex())))) {
            throw new IllegalStateException(
                    "the snapshot at term " + md.getTerm() + " index " + md.getIndex() + " has no data and no file");
        }
        wal.saveSnapshot(WAL.marker(md));
    }

    /**
     * Streams the snapshot data {@code data} writes into its file (synced), then writes its WAL marker;
     * returns the number of data bytes.
     */
    long saveSnap(SnapshotMetadata md, Snapshotter.DataWriter data) {
        long length = snapshotter.save(md, data);
        wal.saveSnapshot(WAL.marker(md));
        return length;
    }

    /** Forces everything written to the WAL to disk. */
    void sync() {
        wal.sync();
    }

    /** Lets go of WAL segments that only hold entries the snapshot covers. */
    void release(Snapshot snap) {
        long index = snap.getMetadata().getIndex();
        wal.releaseLockTo(index);
        int purged = wal.purgeReleased();
        if (purged > 0) {
            LOG.info("released {} WAL segment(s) before index {}", purged, index);
        }
    }

    WAL wal() {
        return wal;
    }

    Snapshotter snapshotter() {
        return snapshotter;
    }

    void setBeforeSave(Runnable hook) {
        this.beforeSave = hook;
    }

    @Override
    public void close() {
        wal.close();
    }
}
