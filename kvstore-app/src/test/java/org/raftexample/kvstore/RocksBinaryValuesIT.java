package org.raftexample.kvstore;

/**
 * {@link BinaryValuesIT} with every node on {@code --store rocksdb}: binary values through raft, a
 * snapshot catch-up (streamed from and into RocksDB) and restarts that reopen the store.
 */
class RocksBinaryValuesIT extends BinaryValuesIT {
    @Override
    String store() {
        return "rocksdb";
    }
}
