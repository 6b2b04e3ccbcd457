package org.raftexample.kvstore;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.raftexample.server.StateMachine;

/**
 * The replicated map as the HTTP API reads it and raft drives it, whichever store holds it
 * ({@code --store memory}: {@link KVStore}; {@code --store rocksdb}: {@link RocksKVStore}). Both read
 * and write the same snapshot format ({@link SnapshotFormat}), so members with different stores
 * catch each other up.
 *
 * <p>Threads: the {@link StateMachine} side as that interface says; {@link #get} from any thread.
 */
interface KeyValueStore extends StateMachine, AutoCloseable {

    /** Only key-value records may enter the log (a proposal forwarded with anything else is dropped). */
    @Override
    default boolean accepts(com.google.protobuf.ByteString command) {
        return KVRecords.decode(command).isPresent();
    }

    /** A received snapshot must read back through the snapshot format's own checksum. */
    @Override
    default void check(java.io.InputStream snapshot) throws java.io.IOException {
        SnapshotFormat.read(snapshot, (k, v) -> {});
    }

    /** The committed value of a key, as applied on this node; the array must not be changed. */
    Optional<byte[]> get(String key);

    /** The committed value of a key read as UTF-8 text (tests and tools; the API serves bytes). */
    default Optional<String> lookup(String key) {
        return get(key).map(v -> new String(v, StandardCharsets.UTF_8));
    }

    /** How many committed entries {@link #apply} skipped because they held no key-value record. */
    long skippedEntries();

    /** Number of keys (an estimate for RocksDB). */
    long size();

    /**
     * What the store's data takes where it is held, in bytes, for the write quota and the metrics: for
     * the memory store, an estimate of the heap its map holds (arrays, headers and table included); for
     * RocksDB, RocksDB's estimate of its live data on disk plus its memtables (refreshed at most every
     * 100 ms). Read from any thread.
     */
    long sizeBytes();

    @Override
    default void close() {}
}
