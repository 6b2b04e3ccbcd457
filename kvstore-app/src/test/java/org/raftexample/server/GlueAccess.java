package org.raftexample.server;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raftpb.ConfState;
import org.raftexample.snap.Snapshotter;
import org.raftexample.wal.WAL;
import org.raftexample.wal.WalOptions;

/**
 * The glue's package-private seams, for the key-value application's tests and benchmarks (which live
 * in another package): slow WAL writes, raw proposals, counters of waiting requests, small WAL segments,
 * and the snapshot writer on its own. Test code only; not part of the library.
 */
public final class GlueAccess {

    /** The name of the file in the snapshot directory that remembers members added at run time. */
    public static final String PEERS_FILE = PeerDirectory.FILE_NAME;

    private GlueAccess() {}

    /** The follower a stopping leader would hand leadership to (see RaftNode.handOverTarget). */
    public static long handOverTarget(
            org.raftexample.raft.Status st, long self, java.util.function.LongPredicate connected) {
        return RaftNode.handOverTarget(st, self, connected);
    }

    /** Runs {@code hook} before each WAL save of {@code node} (a test that makes fsync slow). */
    public static void setBeforeSave(RaftNode node, Runnable hook) {
        node.storage().setBeforeSave(hook);
    }

    /** Proposes entry data without the glue's header, as a forged or pre-framing entry would be. */
    public static CompletableFuture<Void> proposeRaw(RaftNode node, byte[] data) {
        return node.proposeRaw(data);
    }

    /** Writes and configuration changes waiting on {@code node}. */
    public static int waitingRequests(RaftNode node) {
        return node.requests().waitingById();
    }

    /** Linearizable reads waiting for a ReadIndex round on {@code node}. */
    public static int waitingReads(RaftNode node) {
        return node.reads().waitingReads();
    }

    /** The most entries one Ready carried to {@code node}'s WAL. */
    public static long maxEntriesPerReady(RaftNode node) {
        return node.maxEntriesPerReady();
    }

    /** The options of the WALs nodes open from now on (small segments, to see them released). */
    public static void setWalOptions(WalOptions options) {
        Bootstrap.walOptions = options;
    }

    /** The snapshot writer of one node on its own, over a WAL and a snapshot directory. */
    public static final class SnapshotWriterHarness implements AutoCloseable {
        private final RaftStorage storage;
        private final SnapshotWriter writer;
        private final AtomicLong saved = new AtomicLong();

        /** A writer for {@code config}'s snapshot directory, recording into {@code raftLog} and {@code wal}. */
        public SnapshotWriterHarness(ServerConfig config, MemoryStorage raftLog, WAL wal) {
            this.storage = new RaftStorage(wal, new Snapshotter(config.snapDir()));
            this.writer = new SnapshotWriter(config, raftLog, storage, saved::set, i -> {});
        }

        /** Starts writing {@code view} as the snapshot at {@code index}; false when one is being written. */
        public boolean trySubmit(long index, ConfState confState, StateMachine.View view) {
            return writer.trySubmit(index, confState, view);
        }

        /** Whether a snapshot is being written. */
        public boolean busy() {
            return writer.busy();
        }

        /** The index of the last snapshot saved. */
        public long savedIndex() {
            return saved.get();
        }

        /** The snapshot files. */
        public Snapshotter snapshotter() {
            return storage.snapshotter();
        }

        @Override
        public void close() {
            writer.stop();
            storage.close();
        }
    }
}
