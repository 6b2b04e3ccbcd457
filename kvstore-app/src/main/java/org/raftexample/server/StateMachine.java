package org.raftexample.server;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * What a {@link RaftNode} replicates: the application's state, built from the commands that raft has
 * committed, in log order. It knows nothing of raft. Every member applies the same commands in the same
 * order, so {@link #apply} must be deterministic: its effect may depend only on the state and the
 * command (no clock, no randomness, no I/O whose outcome can differ between members).
 *
 * <p>Threads: {@link #apply}, {@link #view} and {@link #restore} are called by one thread at a time, in
 * log order - the starting thread while the node replays its snapshot, then the apply loop (thread
 * {@code raftexample-apply-<id>}). A {@link View} is written by the snapshot thread while entries go
 * on being applied, so it must hold the state as it was when it was taken. {@link #accepts} and
 * {@link #check} may be called from any thread, at any time, and must not touch the state. Reads that
 * the application serves itself (a lookup after {@link RaftNode#readBarrier()}) run on its own threads
 * against the state; making them safe alongside {@link #apply} is the application's job.
 */
public interface StateMachine {

    /**
     * Applies the command of the committed normal entry at {@code index}. What it returns completes the
     * future that {@link RaftNode#propose} gave the proposer, if the proposer is this node and still
     * waits; other members return the same value and nobody reads it. A command the application cannot
     * make sense of (see {@link #accepts}) must be skipped, not thrown at: every member skips it alike.
     * Throwing stops the node, as a fatal inconsistency.
     *
     * @param index the entry's raft index, increasing from call to call
     * @param command the command as proposed
     * @return the result for the proposer, or null
     */
    Object apply(long index, ByteString command);

    /**
     * A point-in-time view of the whole state, cheap to take (it must not copy the state): what it
     * writes later, on another thread, is the state as of this call.
     *
     * @return a view, which the caller closes
     */
    View view();

    /**
     * Replaces the whole state with a snapshot read from a stream, one that a {@link View} wrote (here or
     * on another member, possibly of another version of the application).
     *
     * @param snapshot the snapshot's bytes; an empty stream is the empty state
     * @throws IOException when the stream cannot be read or does not decode
     */
    void restore(InputStream snapshot) throws IOException;

    /**
     * The last index whose entry the state holds durably by itself (a store on disk writes it with
     * the data), or 0 when the state lives in memory only. At restart the node then skips restoring a
     * snapshot at or below it and applies only the entries after it.
     *
     * @return the index, 0 by default
     */
    default long durableAppliedIndex() {
        return 0;
    }

    /**
     * Whether a command proposed by another member (or anyone who can reach the peer port) may enter
     * the log at all: a proposal holding a command that no member could apply is dropped before raft
     * sees it. Commands this node proposes itself are not checked.
     *
     * @param command a command from a forwarded proposal
     * @return true by default
     */
    default boolean accepts(ByteString command) {
        return true;
    }

    /**
     * Checks a snapshot received from the leader, after its checksum matched and before raft may
     * install it; throwing refuses it (the sender reports the snapshot as failed and raft retries). Reads
     * the stream without changing the state.
     *
     * @param snapshot the received snapshot's bytes
     * @throws IOException when the snapshot cannot be restored from
     */
    default void check(InputStream snapshot) throws IOException {}

    /**
     * The whole state in memory: a view written to a byte array (for tests and small states).
     *
     * @return the snapshot's bytes
     */
    default byte[] snapshot() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (View v = view()) {
            v.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Replaces the whole state with a snapshot held in memory.
     *
     * @param snapshot the snapshot's bytes; empty or null is the empty state
     */
    default void restore(byte[] snapshot) {
        try {
            restore(new ByteArrayInputStream(snapshot == null ? new byte[0] : snapshot));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A fixed view of the state, written once as a snapshot stream. Written by the snapshot thread
     * while the state goes on changing.
     */
    interface View extends AutoCloseable {
        /**
         * Writes the view. Called at most once.
         *
         * @param out where the snapshot goes (not closed here)
         * @return the number of records written, for the log
         * @throws IOException when {@code out} fails
         */
        long writeTo(OutputStream out) throws IOException;

        /**
         * Makes the state's own durable copy hold at least this view (RocksDB: syncs its write-ahead log);
         * nothing for a state in memory, whose durable copy is the snapshot file. The snapshot writer
         * calls it after {@link #writeTo} and before the raft WAL is released up to the view's index,
         * so the raft WAL is never purged past what the store has made durable: after a power loss the
         * store restarts at or after the newest snapshot and replays the WAL from there.
         *
         * @throws IOException when the sync fails (the node stops)
         */
        default void makeDurable() throws IOException {}

        /** Lets go of the view (and of what the state keeps for it). */
        @Override
        void close();
    }
}
