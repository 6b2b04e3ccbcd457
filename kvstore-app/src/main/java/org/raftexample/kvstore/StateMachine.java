package org.raftexample.kvstore;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * What the raft glue drives: the application state built from committed entries. It knows nothing of
 * raft.
 *
 * <p>{@link #apply}, {@link #view} and the restores are called by one thread at a time, in log order:
 * the starting thread while the node replays its snapshot, then the apply loop. A {@link View} may be
 * written by another thread while entries go on being applied.
 */
interface StateMachine {

    /** Applies the data of the committed normal entry at {@code index}. */
    void apply(long index, ByteString data);

    /**
     * A point-in-time view of the whole state, cheap to take (it must not copy the state): what it
     * writes later is the state as of this call.
     */
    View view();

    /**
     * The last index whose entry the state holds durably by itself (a store on disk writes it with
     * the data), or 0 when the state lives in memory only. At restart the node then skips restoring a
     * snapshot at or below it and applies only the entries after it.
     */
    default long durableAppliedIndex() {
        return 0;
    }

    /** Replaces the whole state with a snapshot read from a stream (either format version). */
    void restore(InputStream snapshot) throws IOException;

    /** The whole state in memory: a view written to a byte array. */
    default byte[] snapshot() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (View v = view()) {
            v.writeTo(out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Replaces the whole state with a snapshot held in memory (empty or {@code null} = empty state). */
    default void restore(byte[] snapshot) {
        try {
            restore(new java.io.ByteArrayInputStream(snapshot == null ? new byte[0] : snapshot));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A fixed view of the state, written as a snapshot stream ({@link SnapshotFormat}). */
    interface View extends AutoCloseable {
        /** Writes the view; returns the number of pairs written. Called at most once. */
        long writeTo(OutputStream out) throws IOException;

        /**
         * Makes the state's own durable copy hold at least this view (RocksDB: syncs its write-ahead log);
         * nothing for a state in memory, whose durable copy is the snapshot file. The snapshot writer
         * calls it after {@link #writeTo} and before the raft WAL is released up to the view's index,
         * so the raft WAL is never purged past what the store has made durable: after a power loss the
         * store restarts at or after the newest snapshot and replays the WAL from there.
         */
        default void makeDurable() throws IOException {}

        /** Lets go of the view (and of what the state keeps for it). */
        @Override
        void close();
    }
}
