package org.raftexample.kvstore;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.raftexample.kvstore.proto.KV;
import org.raftexample.server.StateMachine;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated map in an embedded RocksDB (an LSM tree on disk, as etcd keeps its state in bbolt):
 * for data larger than memory. {@code --store rocksdb}.
 *
 * <p>Layout: a key is stored as {@code 'd' + key bytes}; the applied index as {@code "m/applied"},
 * 8 bytes big-endian, written in the same WriteBatch as the entry's data, so the store's content and
 * its applied index never disagree, even after a crash (RocksDB's own WAL recovers every completed
 * write after a process crash; the raft WAL is never purged past a snapshot file, which holds the data
 * durably whatever RocksDB has flushed). Before the raft WAL is released up to a snapshot, RocksDB's
 * WAL is synced ({@link View#makeDurable}), so even after a power loss the store holds at least the
 * newest snapshot's state. At restart the node therefore skips a snapshot at or below that index and
 * replays only the entries after it.
 *
 * <p>A snapshot view is a RocksDB snapshot: taken in O(1) on the apply thread, iterated (in key order)
 * by the snapshot writer while writes go on. Restoring streams the pairs into write batches of a few
 * MiB, never holding the snapshot in memory.
 *
 * <p>Threads: as {@link StateMachine} says; {@link #get} from any thread (RocksDB is thread-safe).
 */
final class RocksKVStore implements KeyValueStore {

    static {
        RocksLibrary.load();
    }

    private static final Logger LOG = LoggerFactory.getLogger(RocksKVStore.class);
    private static final byte DATA = 'd';
    private static final byte[] DATA_END = {DATA + 1};
    private static final byte[] APPLIED = "m/applied".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESTORING = "m/restoring".getBytes(StandardCharsets.US_ASCII);
    private static final int RESTORE_BATCH_BYTES = 4 << 20;

    private final org.rocksdb.Options options;
    private final RocksDB db;
    private final WriteOptions writeOptions = new WriteOptions();
    private final long durableApplied;
    // Guarded by this: the open view's RocksDB snapshot, released by the view or, if still open, by close.
    private org.rocksdb.Snapshot openSnapshot;
    // Set by close: an iteration under way stops; nothing touches the DB once it is closed.
    private volatile boolean closed;
    // Held (read) while a view iterates the DB, (write) by close, which therefore waits for it to stop.
    private final java.util.concurrent.locks.ReentrantReadWriteLock iterating =
            new java.util.concurrent.locks.ReentrantReadWriteLock();
    private final AtomicLong skipped = new AtomicLong();

    /** Opens (or creates) the store in {@code dir}. */
    RocksKVStore(Path dir) throws IOException {
        Files.createDirectories(dir);
        this.options = new org.rocksdb.Options().setCreateIfMissing(true);
        try {
            this.db = RocksDB.open(options, dir.toString());
            byte[] applied = db.get(APPLIED);
            // A restore a crash interrupted left a mix: the state is then whatever the snapshot says.
            boolean interrupted = db.get(RESTORING) != null;
            this.durableApplied = applied == null || interrupted
                    ? 0
                    : ByteBuffer.wrap(applied).getLong();
        } catch (RocksDBException e) {
            options.close();
            throw new IOException("cannot open the RocksDB store in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static byte[] dataKey(byte[] key) {
        byte[] k = new byte[key.length + 1];
        k[0] = DATA;
        System.arraycopy(key, 0, k, 1, key.length);
        return k;
    }

    private static byte[] index(long i) {
        return ByteBuffer.allocate(8).putLong(i).array();
    }

    @Override
    public long durableAppliedIndex() {
        return durableApplied;
    }

    @Override
    public Optional<byte[]> get(String key) {
        try {
            return Optional.ofNullable(db.get(dataKey(key.getBytes(StandardCharsets.UTF_8))));
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public long skippedEntries() {
        return skipped.get();
    }

    @Override
    public long size() {
        try {
            return db.getLongProperty("rocksdb.estimate-num-keys");
        } catch (RocksDBException e) {
            return -1;
        }
    }

    /**
     * RocksDB's estimate, asked at most every {@value #SIZE_REFRESH_NANOS} ns: the quota check reads
     * it on every PUT, and each answer takes RocksDB's DB mutex. Any thread: callers that find the
     * cached figure stale at the same moment each ask RocksDB once. -1 if RocksDB cannot tell.
     */
    @Override
    public long sizeBytes() {
        long now = System.nanoTime();
        if (now - sizeAskedAt < SIZE_REFRESH_NANOS && sizeAskedAt != 0) {
            return size;
        }
        long fresh;
        try {
            fresh = db.getLongProperty("rocksdb.estimate-live-data-size")
                    + db.getLongProperty("rocksdb.cur-size-all-mem-tables");
        } catch (RocksDBException e) {
            return -1;
        }
        size = fresh;
        sizeAskedAt = now;
        return fresh;
    }

    private static final long SIZE_REFRESH_NANOS = 100_000_000L;
    private volatile long size;
    private volatile long sizeAskedAt;

    @Override
    public Object apply(long index, ByteString data) {
        Optional<KV> decoded = KVRecords.decode(data);
        try (WriteBatch b = new WriteBatch()) {
            if (decoded.isEmpty()) {
                // Skipped as the memory store skips it (the same on every replica); the index still moves.
                skipped.incrementAndGet();
                LOG.error(
                        "skipped the committed entry at index {}: it holds no key-value record ({} bytes: {})",
                        Long.toUnsignedString(index),
                        data.size(),
                        KVRecords.hexPrefix(data));
                b.put(APPLIED, index(index));
                db.write(writeOptions, b);
                return null;
            }
            KV kv = decoded.get();
            b.put(dataKey(kv.getKeyBytes().toByteArray()), kv.getValue().toByteArray());
            b.put(APPLIED, index(index));
            db.write(writeOptions, b);
        } catch (RocksDBException e) {
            throw new IllegalStateException("RocksDB write failed at index " + index + ": " + e.getMessage(), e);
        }
        return null;
    }

    @Override
    public synchronized View view() {
        if (openSnapshot != null) {
            throw new IllegalStateException("a snapshot view is already open");
        }
        if (closed) {
            throw new IllegalStateException("the store is closed");
        }
        org.rocksdb.Snapshot snap = db.getSnapshot();
        openSnapshot = snap;
        return new View() {
            @Override
            public long writeTo(OutputStream out) throws IOException {
                SnapshotFormat.Writer w = new SnapshotFormat.Writer(out);
                iterating.readLock().lock();
                try (ReadOptions ro = new ReadOptions().setSnapshot(snap).setFillCache(false)) {
                    if (closed) {
                        throw new IOException("the store was closed");
                    }
                    try (RocksIterator it = db.newIterator(ro)) {
                        long n = 0;
                        for (it.seek(new byte[] {DATA}); it.isValid(); it.next()) {
                            byte[] k = it.key();
                            if (k.length == 0 || k[0] != DATA) {
                                break;
                            }
                            w.write(Arrays.copyOfRange(k, 1, k.length), it.value());
                            if ((++n & 4095) == 0 && closed) {
                                throw new IOException("the store is closing");
                            }
                        }
                        it.status();
                    }
                } catch (RocksDBException e) {
                    throw new IOException("RocksDB iteration failed: " + e.getMessage(), e);
                } finally {
                    iterating.readLock().unlock();
                }
                return w.finish();
            }

            @Override
            public void makeDurable() throws IOException {
                iterating.readLock().lock();
                try {
                    if (closed) {
                        throw new IOException("the store was closed");
                    }
                    // Syncs every write made so far, the view's included (applies go on meanwhile).
                    db.syncWal();
                } catch (RocksDBException e) {
                    throw new IOException("RocksDB WAL sync failed: " + e.getMessage(), e);
                } finally {
                    iterating.readLock().unlock();
                }
            }

            @Override
            public void close() {
                synchronized (RocksKVStore.this) {
                    if (openSnapshot == snap) {
                        openSnapshot = null;
                        if (!closed) {
                            db.releaseSnapshot(snap);
                        }
                    }
                }
            }
        };
    }

    /**
     * Replaces the content with a snapshot streamed in batches. Marked as under way first: a crash
     * in the middle leaves a store that restarts from the snapshot file again. A malformed snapshot
     * throws {@link IllegalStateException}; unlike the memory store, the content is then gone, and
     * the node stops (it cannot go on without the snapshot's state).
     */
    @Override
    public void restore(InputStream in) throws IOException {
        try {
            try (WriteOptions sync = new WriteOptions().setSync(true)) {
                db.put(sync, RESTORING, new byte[0]);
            }
            db.deleteRange(new byte[] {DATA}, DATA_END);
            WriteBatch[] batch = {new WriteBatch()};
            try {
                SnapshotFormat.read(in, (k, v) -> {
                    try {
                        batch[0].put(dataKey(k), v);
                        if (batch[0].getDataSize() >= RESTORE_BATCH_BYTES) {
                            db.write(writeOptions, batch[0]);
                            batch[0].close();
                            batch[0] = new WriteBatch();
                        }
                    } catch (RocksDBException e) {
                        throw new IOException("RocksDB write failed: " + e.getMessage(), e);
                    }
                });
                batch[0].delete(RESTORING);
                batch[0].delete(APPLIED);
                try (WriteOptions sync = new WriteOptions().setSync(true)) {
                    db.write(sync, batch[0]);
                }
            } finally {
                batch[0].close();
            }
        } catch (RocksDBException e) {
            throw new IOException("RocksDB restore failed: " + e.getMessage(), e);
        }
    }

    /** Writes a consistent copy of the store as it is now to {@code target}, a new directory (tests, tools). */
    void checkpoint(Path target) throws IOException {
        try (org.rocksdb.Checkpoint cp = org.rocksdb.Checkpoint.create(db)) {
            cp.createCheckpoint(target.toString());
        } catch (RocksDBException e) {
            throw new IOException("RocksDB checkpoint failed: " + e.getMessage(), e);
        }
    }

    /**
     * Closes the store. A view still being written (a snapshot under way at shutdown) stops at its next
     * few thousand keys with an IOException, and close waits for that before the DB goes: RocksDB must
     * not be touched once closed.
     */
    @Override
    public void close() {
        closed = true;
        iterating.writeLock().lock();
        try {
            synchronized (this) {
                if (openSnapshot != null) {
                    db.releaseSnapshot(openSnapshot);
                    openSnapshot = null;
                }
            }
        } finally {
            iterating.writeLock().unlock();
        }
        db.close();
        writeOptions.close();
        options.close();
    }
}
