package org.raftexample.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.SynchronousQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares the WAL's next segment file in the background (etcd's {@code wal/file_pipeline.go}): a temp
 * file zero-filled to the segment size and synced, so that moving to a new segment costs the writer
 * only the few header records, never the preallocation of 64 MiB.
 *
 * <p>Threads: one daemon thread per WAL prepares at most one file ahead and blocks until it is taken;
 * {@link #take} is called by the WAL's writer (under the WAL's monitor), {@link #close} by whoever
 * closes the WAL. A prepared file that was never taken is deleted at close; one left by a crash ends
 * in {@code .wal.tmp} and is removed the next time the WAL is opened.
 */
final class FilePipeline implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FilePipeline.class);

    /** A prepared file: its path and an open channel positioned nowhere in particular. */
    record Prepared(Path path, FileChannel channel) {}

    private final Path dir;
    private final long size;
    // A hand-off, not a buffer: exactly one file is prepared ahead, so the name being reused is always one
    // the writer has already renamed into place.
    private final BlockingQueue<Object> ready = new SynchronousQueue<>();
    private final Thread thread;
    private volatile boolean closed;
    private long count;

    FilePipeline(Path dir, long size) {
        this.dir = dir;
        this.size = size;
        this.thread = new Thread(this::run, "wal-file-pipeline");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (!closed) {
            Object next;
            try {
                next = prepare();
            } catch (IOException e) {
                next = e;
            }
            try {
                ready.put(next);
            } catch (InterruptedException e) {
                discard(next);
                return;
            }
            if (next instanceof IOException) {
                return; // the writer sees the error on its next cut
            }
        }
    }

    private Prepared prepare() throws IOException {
        // Alternating names, as etcd's 0.tmp / 1.tmp: the one being taken is never overwritten.
        Path p = dir.resolve("pipeline-" + (count++ % 2) + SegmentName.SUFFIX + ".tmp");
        FileChannel ch = FileChannel.open(
                p,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            DiskIo.zeroFillTo(ch, size);
            ch.force(true);
        } catch (IOException e) {
            ch.close();
            Files.deleteIfExists(p);
            throw e;
        }
        return new Prepared(p, ch);
    }

    /** The next prepared file; waits only if the background thread has not finished it yet. */
    Prepared take() throws IOException {
        Object next;
        try {
            next = ready.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the next WAL segment", e);
        }
        if (next instanceof IOException e) {
            throw new IOException("preparing the next WAL segment failed: " + e.getMessage(), e);
        }
        return (Prepared) next;
    }

    private static void discard(Object o) {
        if (o instanceof Prepared p) {
            try {
                p.channel().close();
                Files.deleteIfExists(p.path());
            } catch (IOException e) {
                LOG.warn("wal: could not delete {}: {}", p.path(), e.toString());
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        discard(ready.poll());
        for (int i = 0; i < 2; i++) {
            // A file the thread was still filling when interrupted.
            try {
                Files.deleteIfExists(dir.resolve("pipeline-" + i + SegmentName.SUFFIX + ".tmp"));
            } catch (IOException e) {
                LOG.warn("wal: could not delete a prepared segment in {}: {}", dir, e.toString());
            }
        }
    }
}
