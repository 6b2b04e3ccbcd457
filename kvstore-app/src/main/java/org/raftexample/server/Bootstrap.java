package org.raftexample.server;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.snap.SnapshotFile;
import org.raftexample.snap.Snapshotter;
import org.raftexample.wal.WAL;
import org.raftexample.wal.WalContents;
import org.raftexample.wal.WalOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a node's state back from disk before raft starts (etcd's {@code bootstrap.go}, the original's
 * {@code replayWAL}): the newest snapshot the WAL vouches for, restored into the state machine and
 * MemoryStorage (a store on disk that already holds it restores nothing, and its file is not even read:
 * {@link #heldByStore}), then every WAL entry after it appended to MemoryStorage. Runs on the starting thread,
 * before any other thread of the node exists.
 */
final class Bootstrap {

    private static final Logger LOG = LoggerFactory.getLogger(Bootstrap.class);

    /** What replay found: the open storage, raft's log, and where the state machine stands. */
    record Replayed(
            boolean hadWal,
            RaftStorage storage,
            MemoryStorage raftLog,
            ConfState confState,
            long snapshotIndex,
            long snapshotTerm) {}

    /** Options of the WALs opened here: etcd's 64 MiB segments (a test that must see segments released sets less). */
    static volatile WalOptions walOptions = WalOptions.defaults();

    private Bootstrap() {}

    /**
     * The newest snapshot the WAL names whose file is on disk, when a store on disk already holds its
     * state ({@link StateMachine#durableAppliedIndex} at or past it): its metadata as the WAL's marker
     * records it (index, term and ConfState, covered by the WAL record's checksum), so the file, as
     * large as the store, need not be read at restart. Null when there is no such snapshot or the
     * store is behind it (then the file is checked and restored as usual). A damaged file is found
     * when it is next opened to be sent, and replaced by the next snapshot.
     */
    static SnapshotMetadata heldByStore(
            Snapshotter snapshotter, List<org.raftexample.wal.pb.WalSnapshot> walSnaps, long durable) {
        org.raftexample.wal.pb.WalSnapshot newest = null;
        for (org.raftexample.wal.pb.WalSnapshot m : walSnaps) {
            if (m.getIndex() != 0
                    && (newest == null || Long.compareUnsigned(m.getIndex(), newest.getIndex()) > 0)
                    && Files.isRegularFile(
                            snapshotter.dir().resolve(Snapshotter.fileName(m.getTerm(), m.getIndex())))) {
                newest = m;
            }
        }
        if (newest == null || durable == 0 || Long.compareUnsigned(newest.getIndex(), durable) > 0) {
            return null;
        }
        return SnapshotMetadata.newBuilder()
                .setIndex(newest.getIndex())
                .setTerm(newest.getTerm())
                .setConfState(newest.getConfState())
                .build();
    }

    static Replayed replay(ServerConfig opts, StateMachine stateMachine) throws IOException {
        Files.createDirectories(opts.snapDir());
        Snapshotter snapshotter = new Snapshotter(opts.snapDir());
        boolean oldWal = WAL.exists(opts.walDir());
        LOG.info("replaying WAL of member {}", opts.id());
        SnapshotWriter.removeLeftovers(opts.snapDir());
        snapshotter.removeLeftovers();
        List<org.raftexample.wal.pb.WalSnapshot> walSnaps =
                oldWal ? WAL.validSnapshotEntries(opts.walDir()) : List.of();
        SnapshotMetadata held = heldByStore(snapshotter, walSnaps, stateMachine.durableAppliedIndex());
        // Otherwise checked as a stream and restored from the file: the snapshot is never held in memory whole.
        SnapshotFile snapFile = oldWal && held == null
                ? snapshotter.loadNewestAvailableFile(walSnaps).orElse(null)
                : null;
        SnapshotMetadata md = held != null ? held : snapFile == null ? null : snapFile.metadata();
        Snapshot snapshot =
                md == null ? null : Snapshot.newBuilder().setMetadata(md).build();
        if (!oldWal) {
            WAL.create(opts.walDir(), null, walOptions).close();
        }
        org.raftexample.wal.pb.WalSnapshot walSnap = snapshot == null
                ? WAL.marker(0, 0)
                : WAL.marker(
                        snapshot.getMetadata().getIndex(),
                        snapshot.getMetadata().getTerm());
        LOG.info(
                "loading WAL at term {} and index {}",
                Long.toUnsignedString(walSnap.getTerm()),
                Long.toUnsignedString(walSnap.getIndex()));
        WAL w = WAL.open(opts.walDir(), walSnap, walOptions);
        try {
            WalContents all = w.readAll();
            MemoryStorage raftLog = new MemoryStorage();
            ConfState confState = ConfState.getDefaultInstance();
            long snapIndex = 0;
            long snapTerm = 0;
            if (snapshot != null) {
                raftLog.applySnapshot(snapshot);
                LOG.info(
                        "loading snapshot at term {} and index {}",
                        Long.toUnsignedString(snapshot.getMetadata().getTerm()),
                        Long.toUnsignedString(snapshot.getMetadata().getIndex()));
                if (stateMachine.durableAppliedIndex() >= snapshot.getMetadata().getIndex()) {
                    // A store on disk already holds this state and more: only the WAL after it is applied.
                    LOG.info(
                            "the store holds entries up to {}: not restoring the snapshot",
                            stateMachine.durableAppliedIndex());
                } else {
                    try (InputStream in = snapFile.openData()) {
                        stateMachine.restore(in);
                    }
                }
                confState = snapshot.getMetadata().getConfState();
                snapIndex = snapshot.getMetadata().getIndex();
                snapTerm = snapshot.getMetadata().getTerm();
            }
            raftLog.setHardState(all.hardState());
            // Appended so that raft starts at the right place in the log.
            raftLog.append(all.entries());
            return new Replayed(oldWal, new RaftStorage(w, snapshotter), raftLog, confState, snapIndex, snapTerm);
        } catch (RuntimeException | IOException e) {
            w.close();
            throw e;
        }
    }
}
