package org.raftexample.kvstore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Snapshot;
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
 * MemoryStorage, then every WAL entry after it appended to MemoryStorage. Runs on the starting thread,
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

    static Replayed replay(Options opts, StateMachine stateMachine) throws IOException {
        Files.createDirectories(opts.snapDir());
        Snapshotter snapshotter = new Snapshotter(opts.snapDir());
        boolean oldWal = WAL.exists(opts.walDir());
        LOG.info("replaying WAL of member {}", opts.id());
        SnapshotWriter.removeLeftovers(opts.snapDir());
        // Checked as a stream and restored from the file: the snapshot is never held in memory whole.
        SnapshotFile snapFile = oldWal
                ? snapshotter
                        .loadNewestAvailableFile(WAL.validSnapshotEntries(opts.walDir()))
                        .orElse(null)
                : null;
        Snapshot snapshot = snapFile == null
                ? null
                : Snapshot.newBuilder().setMetadata(snapFile.metadata()).build();
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
