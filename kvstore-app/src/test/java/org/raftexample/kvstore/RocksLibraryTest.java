package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RocksDB's extracted library is removed once loaded, so a killed node leaves nothing in the temporary directory. */
class RocksLibraryTest {

    @TempDir
    Path dir;

    @Test
    void findsTheTemporaryCopyAmongTheMappings() {
        List<String> maps = List.of(
                "7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0 ",
                "7f1c2b000000-7f1c2b400000 r-xp 00000000 fc:01 1234 /usr/lib/x86_64-linux-gnu/libc.so.6",
                "7f1c2c000000-7f1c2c100000 r--p 00000000 fc:01 4321 /tmp/librocksdbjni-linux64.so",
                "7f1c2d000000-7f1c2d100000 r--p 00000000 fc:01 5555 /var/tmp/librocksdbjni77.so",
                "7f1c2e000000-7f1c2e100000 r--p 00000000 fc:01 6666 /tmp/librocksdbjni12.so (deleted)",
                "7f1c2f000000-7f1c2f100000 r-xp 00000000 fc:01 7777 /tmp/librocksdbjni15377032497.so",
                "7f1c30000000-7f1c30100000 r--p 00001000 fc:01 7777 /tmp/librocksdbjni15377032497.so");
        assertEquals(
                Optional.of(Path.of("/tmp/librocksdbjni15377032497.so")),
                RocksLibrary.extractedCopy(maps, Path.of("/tmp")));
        assertEquals(
                Optional.of(Path.of("/var/tmp/librocksdbjni77.so")),
                RocksLibrary.extractedCopy(maps, Path.of("/var/tmp/")));
        // Removed already, an operator's fixed name, or elsewhere: nothing to remove.
        assertEquals(Optional.empty(), RocksLibrary.extractedCopy(maps.subList(0, 3), Path.of("/tmp")));
        assertEquals(Optional.empty(), RocksLibrary.extractedCopy(maps.subList(4, 5), Path.of("/tmp")));
        assertEquals(Optional.empty(), RocksLibrary.extractedCopy(maps, Path.of("/opt")));
    }

    @Test
    void aStoreThatIsOpenLeavesNoCopyOfTheLibraryOnDisk() throws Exception {
        Path maps = Path.of("/proc/self/maps");
        assumeTrue(Files.isReadable(maps), "needs Linux's /proc");
        try (RocksKVStore store = new RocksKVStore(dir.resolve("db"))) {
            store.apply(1, com.google.protobuf.ByteString.copyFrom(KVStore.encode("/k", new byte[] {1})));
            List<String> lines = Files.readAllLines(maps);
            // The library is in use, mapped from a file that no longer exists.
            assertTrue(
                    lines.stream().anyMatch(l -> l.contains("librocksdbjni") && l.endsWith(" (deleted)")),
                    "RocksDB's library is mapped from a removed file");
            assertEquals(
                    Optional.empty(), RocksLibrary.extractedCopy(lines, Path.of(System.getProperty("java.io.tmpdir"))));
        }
    }
}
