package org.raftexample.kvstore;

/** {@link CrashIT} with every node on {@code --store rocksdb}: SIGKILL under load loses no acknowledged write. */
class RocksCrashIT extends CrashIT {
    @Override
    String store() {
        return "rocksdb";
    }
}
