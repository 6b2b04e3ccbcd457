package org.raftexample.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** File-system steps the WAL and the snapshotter share: durable renames, zero-filling, copies. */
public final class DiskIo {
    private static final int ZERO_CHUNK = 1 << 20;

    private DiskIo() {}

    /**
     * Makes a directory's entries (new, renamed or deleted files) durable.
     *
     * @param dir the directory
     * @throws IOException if the sync fails
     */
    public static void fsyncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * Renames {@code from} to {@code to} atomically, replacing {@code to}, and makes the rename
     * durable by syncing the directory.
     *
     * @param from the file to rename
     * @param to its new name
     * @throws IOException if the rename or the sync fails
     */
    public static void durableRename(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + " atomically", e);
        }
        fsyncDir(to.toAbsolutePath().getParent());
    }

    /**
     * Writes zeros from the channel's current size up to {@code size} bytes, so that later
     * appends overwrite allocated blocks and a sync need not update the file's size or extents.
     * Java has no fallocate; writing zeros is the portable way to really allocate.
     */
    static void zeroFillTo(FileChannel ch, long size) throws IOException {
        long pos = ch.size();
        if (pos >= size) {
            return;
        }
        InjectedDiskFault.beforeAllocate();
        ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(ZERO_CHUNK, size - pos));
        while (pos < size) {
            zeros.clear();
            if (size - pos < zeros.capacity()) {
                zeros.limit((int) (size - pos));
            }
            pos += ch.write(zeros, pos);
        }
    }

    /** Writes all of {@code buf} at {@code pos}, looping over short writes. */
    static void writeFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            pos += ch.write(buf, pos);
        }
    }
}
