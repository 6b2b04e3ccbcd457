package org.raftexample.kvstore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.rocksdb.RocksDB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's native library without leaving a copy of it behind.
 *
 * <p>RocksDB's loader copies the library (about 15 MB) out of its jar into a new temporary file
 * ({@code librocksdbjni<digits>.so} in {@code java.io.tmpdir}) and deletes it only when the JVM exits
 * normally. A node that is killed, or halts on a fatal error, leaves the file; a node in a crash-restart
 * loop would fill the temporary directory 15 MB at a time (the fault tests, which kill nodes, left
 * gigabytes). On Linux a loaded library stays mapped after its file is removed, so once the library is
 * loaded this class finds the copy among the process's mappings and removes it at once. Where there is
 * no {@code /proc/self/maps} (not Linux) nothing changes. A library RocksDB found on
 * {@code java.library.path}, or extracted under its fixed name into {@code ROCKSDB_SHAREDLIB_DIR}, is
 * an operator's file and is left alone.
 *
 * <p>Threads: {@link #load} runs in {@link RocksKVStore}'s class initialisation, once per JVM.
 */
final class RocksLibrary {
    private static final Logger LOG = LoggerFactory.getLogger(RocksLibrary.class);
    // The name File.createTempFile gives RocksDB's copy: its prefix, a random number, its suffix.
    private static final Pattern EXTRACTED = Pattern.compile("librocksdbjni-?\\d+\\.so");
    // A line of /proc/PID/maps: address range, permissions, offset, device, inode, then the path.
    private static final Pattern MAPS_LINE = Pattern.compile("^\\S+\\s+\\S+\\s+\\S+\\s+\\S+\\s+\\d+\\s+(/.*)$");

    private RocksLibrary() {}

    static void load() {
        RocksDB.loadLibrary();
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return;
        }
        try {
            // The mappings name files by their real path; the temporary directory may be a link to it.
            Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toRealPath();
            Optional<Path> copy = extractedCopy(Files.readAllLines(maps), tmp);
            if (copy.isPresent() && Files.deleteIfExists(copy.get())) {
                LOG.debug("removed RocksDB's extracted library {} (it stays mapped)", copy.get());
            }
        } catch (IOException | RuntimeException e) {
            // Only a temporary file is at stake; RocksDB still removes it at a normal exit.
            LOG.warn("could not remove RocksDB's extracted copy of its library from {}", maps, e);
        }
    }

    /**
     * The temporary copy of RocksDB's library among the mapped files of {@code mapsLines} (lines of
     * {@code /proc/PID/maps}): a file named as RocksDB's loader names its copy, directly in {@code tmpDir}
     * and not yet removed.
     */
    static Optional<Path> extractedCopy(List<String> mapsLines, Path tmpDir) {
        Path dir = tmpDir.toAbsolutePath().normalize();
        for (String line : mapsLines) {
            Matcher m = MAPS_LINE.matcher(line);
            if (!m.matches() || m.group(1).endsWith(" (deleted)")) {
                continue;
            }
            Path file = Path.of(m.group(1));
            if (dir.equals(file.getParent())
                    && EXTRACTED.matcher(file.getFileName().toString()).matches()) {
                return Optional.of(file);
            }
        }
        return Optional.empty();
    }
}
