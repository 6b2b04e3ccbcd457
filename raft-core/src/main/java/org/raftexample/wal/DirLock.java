package org.raftexample.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exclusive lock on a WAL directory: an OS lock on a {@code LOCK} file inside it, held for
 * as long as the WAL is open, so that a second process cannot append to the same log.
 *
 * <p>The lock lives on a dedicated file rather than on the segments because OS record locks
 * belong to the process: closing any descriptor of a locked file (as a read-only scan of the
 * segments would) silently drops the lock. Inside one JVM the OS lock does not exclude
 * anything, so a registry of held directories refuses a second opener first.
 */
final class DirLock implements AutoCloseable {
    static final String FILE_NAME = "LOCK";

    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;

    private DirLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock of {@code dir} or throws {@link WalLockedException} without waiting. */
    static DirLock acquire(Path dir) throws IOException {
        Path key = dir.toRealPath();
        if (!HELD.add(key)) {
            throw new WalLockedException(dir, "this process");
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(key.resolve(FILE_NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) {
                throw new WalLockedException(dir, "another process");
            }
            return new DirLock(key, ch, l);
        } catch (IOException | RuntimeException e) {
            if (ch != null) {
                ch.close();
            }
            HELD.remove(key);
            throw e;
        }
    }

    /**
     * Re-registers the lock under a new path after its directory was renamed; the open file
     * and its OS lock follow the directory.
     */
    DirLock movedTo(Path newDir) throws IOException {
        Path newKey = newDir.toRealPath();
        if (!HELD.add(newKey)) {
            throw new WalLockedException(newDir, "this process");
        }
        HELD.remove(key);
        return new DirLock(newKey, channel, lock);
    }

    @Override
    public void close() throws IOException {
        try {
            if (lock.isValid()) {
                lock.release();
            }
            channel.close();
        } finally {
            HELD.remove(key);
        }
    }
}
