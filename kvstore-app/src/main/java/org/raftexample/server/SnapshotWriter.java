package org.raftexample.server;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import org.raftexample.raft.CompactedException;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raft.SnapOutOfDateException;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the snapshots the apply loop decides to take, on a thread of its own, so that neither the
 * raft loop nor the apply loop waits while the state is written out, however large it is.
 *
 * <p>The apply loop hands over a point-in-time {@link StateMachine.View} taken right after applying
 * {@code index}; this thread then, in the order the apply loop used to follow itself: streams the view
 * into the {@code .snap} file (synced, written once) and writes its WAL marker (so the WAL never
 * names a snapshot that is not on disk), records the snapshot in MemoryStorage (metadata only: a
 * follower that needs it gets the file streamed from disk), releases the WAL segments before it and
 * compacts the in-memory log. The WAL is thus never purged past a snapshot that is durable, nor past
 * what the store has made durable itself ({@link StateMachine.View#makeDurable}, before the release).
 *
 * <p>Threads: {@link #trySubmit} is called by the apply loop; everything else runs on the
 * {@code raftexample-snapshot-<id>} thread. At most one snapshot is written at a time: a request while
 * one is under way is refused, and the apply loop asks again after its next batch.
 */
final class SnapshotWriter {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotWriter.class);
    private static final String DATA_PREFIX = "snapdata-";
    private static final String DATA_SUFFIX = ".tmp";

    private final ServerConfig opts;
    private final MemoryStorage raftLog;
    private final RaftStorage storage;
    private final LongConsumer onSaved;
    private final LongConsumer onFatal;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Thread thread;
    private volatile boolean stopping;
    // Snapshot thread only; published for the benchmark.
    private volatile long lastWriteNanos;
    // Written by the snapshot thread, and by the apply thread when it installs or starts from a snapshot.
    private volatile long lastSnapshotBytes;

    /**
     * @param onSaved told the index of each snapshot once it is durable and the log compacted
     * @param onFatal told the index of a snapshot that could not be written (the node must stop)
     */
    SnapshotWriter(
            ServerConfig opts, MemoryStorage raftLog, RaftStorage storage, LongConsumer onSaved, LongConsumer onFatal) {
        this.opts = opts;
        this.raftLog = raftLog;
        this.storage = storage;
        this.onSaved = onSaved;
        this.onFatal = onFatal;
    }

    /**
     * Removes the data files that versions before 2026-12-07, which wrote a snapshot's data to such a
     * file before copying it into the {@code .snap} file, left behind when they crashed (at start,
     * before any snapshot is taken).
     */
    static void removeLeftovers(Path snapDir) throws IOException {
        if (!Files.isDirectory(snapDir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(snapDir, DATA_PREFIX + "*" + DATA_SUFFIX)) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Starts writing a snapshot of {@code view} at {@code index} with {@code confState}; false (and the
     * view closed) when one is still being written. Takes ownership of the view.
     */
    boolean trySubmit(long index, ConfState confState, StateMachine.View view) {
        if (stopping || !busy.compareAndSet(false, true)) {
            view.close();
            return false;
        }
        Thread t = new Thread(() -> run(index, confState, view), "raftexample-snapshot-" + opts.id());
        thread = t;
        t.start();
        return true;
    }

    /** Whether a snapshot is being written now. */
    boolean busy() {
        return busy.get();
    }

    /** The size of the newest snapshot's data (the {@link SnapshotPolicy} reads it). */
    long lastSnapshotBytes() {
        return lastSnapshotBytes;
    }

    void setLastSnapshotBytes(long bytes) {
        lastSnapshotBytes = bytes;
    }

    long lastWriteNanos() {
        return lastWriteNanos;
    }

    private void run(long index, ConfState confState, StateMachine.View view) {
        try {
            write(index, confState, view);
        } catch (Throwable t) {
            if (!stopping) {
                LOG.error("fatal: cannot write the snapshot at index {}", index, t);
                onFatal.accept(index);
            }
        } finally {
            busy.set(false);
        }
    }

    private void write(long index, ConfState confState, StateMachine.View view) throws IOException {
        long start = System.nanoTime();
        long term;
        try {
            term = raftLog.term(index);
        } catch (CompactedException e) {
            view.close();
            LOG.info("skipped the snapshot at {}: raft already holds a newer one", index);
            return;
        }
        SnapshotMetadata md = SnapshotMetadata.newBuilder()
                .setIndex(index)
                .setTerm(term)
                .setConfState(confState)
                .build();
        // Operators (and the crash tests) tell a node's own snapshot file from a received one by this line.
        LOG.info("writing snapshot at index {} (term {})", index, term);
        long[] pairs = new long[1];
        long length;
        try (view) {
            // Straight into the .snap file, written once.
            length = storage.saveSnap(md, out -> pairs[0] = view.writeTo(out));
            // Before the raft WAL is released up to index (below): the store's own copy must hold it.
            view.makeDurable();
        }
        lastSnapshotBytes = length;
        LOG.info(
                "saved snapshot at index {}: {} keys, {} bytes, in {} ms",
                index,
                pairs[0],
                length,
                (System.nanoTime() - start) / 1_000_000);
        Snapshot snap;
        try {
            snap = raftLog.createSnapshot(index, confState, ByteString.EMPTY);
        } catch (SnapOutOfDateException e) {
            // The raft loop installed a newer snapshot from the leader meanwhile (etcd ignores this too).
            LOG.info("the snapshot at {} is on disk, but raft already holds a newer one", index);
            return;
        }
        storage.release(snap);
        long compactIndex = index > opts.snapshotCatchupEntries() ? index - opts.snapshotCatchupEntries() : 1;
        try {
            raftLog.compact(compactIndex);
            LOG.info("compacted log at index {}", compactIndex);
        } catch (CompactedException e) {
            // Already compacted further than that: nothing to do.
        }
        lastWriteNanos = System.nanoTime() - start;
        onSaved.accept(index);
    }

    /** Stops taking snapshots and waits for the one being written (not from that thread). */
    void stop() {
        stopping = true;
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
