package org.raftexample.snap;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.zip.CRC32C;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.wal.DiskIo;
import org.raftexample.wal.InjectedDiskFault;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores raft snapshots as files {@code <term>-<index>.snap} (16 hex digits each) in one
 * directory and finds the newest usable one on restart.
 *
 * <p>A file holds an encoded snappb.Snapshot: {@code data} is the encoded raftpb.Snapshot and
 * {@code crc} its CRC-32C. A file is written under a temporary name, synced and renamed, so a
 * crash leaves no partial {@code .snap} file. Loading skips files that fail their checksum or do
 * not decode, renaming them to {@code <name>.broken} so they are not tried again.
 *
 * <p>"No snapshot" is not an error: the load methods return {@link Optional#empty()}.
 *
 * <p>Threads: the saves may be called by several threads at once (a node's snapshot writer and the
 * transport threads streaming received snapshots into their files): each writes its own uniquely
 * named temporary file, and the purge after a save leaves other saves' temporary files alone. The
 * loads run at start, before any save.
 */
public final class Snapshotter {
    /** How many snapshot files {@link #save} keeps by default (etcd's default MaxSnapFiles). */
    public static final int DEFAULT_RETAIN = 5;

    static final String SUFFIX = ".snap";
    private static final String TMP_SUFFIX = ".tmp";
    /** Makes every save's temporary file name unique: two saves may run at once . */
    private static final java.util.concurrent.atomic.AtomicLong TMP_SEQ = new java.util.concurrent.atomic.AtomicLong();

    private static final Logger LOG = LoggerFactory.getLogger(Snapshotter.class);

    private final Path dir;
    private final int retain;

    /**
     * A snapshotter for {@code dir} keeping the {@link #DEFAULT_RETAIN} newest files.
     *
     * @param dir the directory of the snapshot files
     */
    public Snapshotter(Path dir) {
        this(dir, DEFAULT_RETAIN);
    }

    /**
     * A snapshotter for {@code dir} that keeps the {@code retain} newest files after each save (0 keeps all).
     *
     * @param dir the directory of the snapshot files
     * @param retain how many files to keep, 0 for all
     */
    public Snapshotter(Path dir, int retain) {
        if (retain < 0) {
            throw new IllegalArgumentException("retain must be >= 0: " + retain);
        }
        this.dir = dir;
        this.retain = retain;
    }

    /**
     * The directory of the snapshot files.
     *
     * @return the directory
     */
    public Path dir() {
        return dir;
    }

    /**
     * The file name a snapshot with this term and index is saved under.
     *
     * @param term the snapshot's term
     * @param index the snapshot's index
     * @return the file name
     */
    public static String fileName(long term, long index) {
        return String.format(Locale.ROOT, "%016x-%016x%s", term, index, SUFFIX);
    }

    // ---------------------------------------------------------------- saving

    /**
     * Durably writes {@code snapshot} to its file, then deletes the oldest files beyond the
     * retention count. An empty snapshot (index 0) is not written, as in etcd.
     *
     * @param snapshot the snapshot to save
     */
    public void save(Snapshot snapshot) {
        if (snapshot.getMetadata().getIndex() == 0) {
            return;
        }
        byte[] body = snapshot.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(body, 0, body.length);
        byte[] file = org.raftexample.snap.pb.Snapshot.newBuilder()
                .setCrc((int) crc.getValue())
                .setData(UnsafeByteOperations.unsafeWrap(body)) // body is ours and never changes
                .build()
                .toByteArray();
        SnapshotMetadata md = snapshot.getMetadata();
        writeAtomically(fileName(md.getTerm(), md.getIndex()), (ch, out) -> out.write(file));
        purge();
    }

    /**
     * Like {@link #save(Snapshot)}, but the snapshot's data is copied from {@code data} (exactly
     * {@code length} bytes) instead of being held in memory, for state machines too big to
     * materialise twice (see {@link #save(SnapshotMetadata, DataWriter)}).
     *
     * @param metadata the snapshot's metadata
     * @param length the number of data bytes
     * @param data the stream the data is read from (not closed)
     */
    public void save(SnapshotMetadata metadata, long length, InputStream data) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        save(metadata, out -> {
            byte[] buf = new byte[64 * 1024];
            long left = length;
            while (left > 0) {
                int n = data.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException("snapshot data ended " + left + " bytes early");
                }
                out.write(buf, 0, n);
                left -= n;
            }
        });
    }

    /** Writes a snapshot's data to the stream it is given (which it must not close). */
    @FunctionalInterface
    public interface DataWriter {
        /**
         * Writes the data.
         *
         * @param out where the data goes
         * @throws IOException when the data cannot be produced or written
         */
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Durably writes a snapshot whose data {@code data} streams straight into the file, its length
     * unknown until it ends, then deletes the oldest files beyond the retention count. The data is
     * written once and never held in memory. The file decodes to the same snapshot as one written by
     * {@link #save(Snapshot)}: the data comes first and its two length prefixes are written at the end,
     * over room kept for them at the front, as 10-byte varints (a protobuf decoder reads a varint with
     * continuation bytes to spare as the same number); the crc field comes last.
     *
     * @param metadata the snapshot's metadata
     * @param data writes the snapshot's data
     * @return the number of data bytes written (0 for an empty snapshot, index 0, which is not written)
     */
    public long save(SnapshotMetadata metadata, DataWriter data) {
        if (metadata.getIndex() == 0) {
            return 0;
        }
        byte[] md = metadata.toByteArray();
        long[] length = new long[1];
        writeAtomically(fileName(metadata.getTerm(), metadata.getIndex()), (ch, raw) -> {
            // snappb.Snapshot { data (2): raftpb.Snapshot { data (1), metadata (2) }, crc (1) }.
            raw.write(new byte[HEADER]); // the two tags and padded lengths, written over at the end
            Checksummed body = new Checksummed(raw);
            data.writeTo(body);
            length[0] = body.count;
            byte[] header = new byte[HEADER];
            int h = 0;
            header[h++] = (byte) ((2 << 3) | 2);
            byte[] mdHead = new byte[1 + 5];
            int q = 0;
            mdHead[q++] = (byte) ((2 << 3) | 2);
            q = putVarint(mdHead, q, md.length);
            long bodyLength = 1 + PADDED_VARINT + body.count + q + md.length;
            h = putPaddedVarint(header, h, bodyLength);
            int dataPrefix = h;
            header[h++] = (byte) ((1 << 3) | 2);
            putPaddedVarint(header, h, body.count);
            // The checksum covers raftpb.Snapshot: data prefix, data, metadata prefix, metadata.
            CRC32C c = new CRC32C();
            c.update(header, dataPrefix, HEADER - dataPrefix);
            int crc = Crc32cCombine.combine((int) c.getValue(), (int) body.crc.getValue(), body.count);
            c.reset();
            c.update(mdHead, 0, q);
            c.update(md, 0, md.length);
            crc = Crc32cCombine.combine(crc, (int) c.getValue(), q + md.length);
            raw.write(mdHead, 0, q);
            raw.write(md);
            CodedOutputStream tail = CodedOutputStream.newInstance(raw, 16);
            tail.writeUInt32(1, crc);
            tail.flush();
            raw.flush();
            ByteBuffer head = ByteBuffer.wrap(header);
            for (long at = 0; head.hasRemaining(); ) {
                at += ch.write(head, at);
            }
        });
        purge();
        return length[0];
    }

    /** A varint written with continuation bytes to this fixed width, so it can be written last. */
    private static final int PADDED_VARINT = 10;
    /** The snapshot file's first bytes: the outer data tag and length, the inner data tag and length. */
    private static final int HEADER = 1 + PADDED_VARINT + 1 + PADDED_VARINT;

    /** Counts and checksums what passes through to the file's stream, which it leaves open. */
    private static final class Checksummed extends OutputStream {
        private final OutputStream out;
        final CRC32C crc = new CRC32C();
        long count;

        Checksummed(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            crc.update(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            crc.update(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }
    }

    private interface Body {
        void writeTo(FileChannel ch, OutputStream out) throws IOException;
    }

    private void writeAtomically(String name, Body body) {
        Path target = dir.resolve(name);
        // <name>.<pid>-<n>.tmp: a save streaming a received snapshot and the snapshot writer's own save may
        // run at once, even of the same snapshot; neither may touch the other's file.
        Path tmp =
                dir.resolve(name + "." + ProcessHandle.current().pid() + "-" + TMP_SEQ.incrementAndGet() + TMP_SUFFIX);
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                InjectedDiskFault.beforeAllocate();
                OutputStream out = new BufferedOutputStream(new SyncingOutput(ch), 64 * 1024);
                body.writeTo(ch, out);
                out.flush();
                InjectedDiskFault.beforeSync();
                ch.force(true);
            }
            DiskIo.durableRename(tmp, target);
        } catch (IOException e) {
            removeQuietly(tmp, e);
            throw new SnapException("snap: cannot write " + target + ": " + e, e);
        } catch (RuntimeException | Error e) {
            // A state machine's serialiser may fail unchecked; its partial file goes too.
            removeQuietly(tmp, e);
            throw e;
        }
    }

    private static void removeQuietly(Path tmp, Throwable cause) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException suppressed) {
            cause.addSuppressed(suppressed);
        }
    }

    /**
     * Writes to a file channel and syncs its data every {@link #SYNC_EVERY} bytes. A snapshot of a large
     * state is hundreds of megabytes: synced only at the end, all of it would reach the disk at once, and
     * on ext4 the WAL's own syncs, which commit every write, wait behind that flush for seconds. Synced as
     * it goes, the {@code .snap} file keeps at most {@link #SYNC_EVERY} bytes pending ahead of them.
     */
    private static final class SyncingOutput extends OutputStream {
        private final FileChannel ch;
        private final OutputStream out;
        private long unsynced;

        SyncingOutput(FileChannel ch) {
            this.ch = ch;
            this.out = Channels.newOutputStream(ch);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            unsynced += len;
            if (unsynced >= SYNC_EVERY) {
                ch.force(false);
                unsynced = 0;
            }
        }
    }

    /** Bytes of a snapshot file written between two data syncs while it is being written. */
    static final long SYNC_EVERY = 8L << 20;

    /** Deletes the oldest snapshot files so that at most the retention count remain. */
    void purge() {
        if (retain == 0) {
            return;
        }
        try {
            List<String> names = snapNames(false);
            if (names.size() <= retain) {
                return;
            }
            for (String n : names.subList(retain, names.size())) {
                Files.deleteIfExists(dir.resolve(n));
                LOG.info("snap: purged old snapshot {}", dir.resolve(n));
            }
            DiskIo.fsyncDir(dir);
        } catch (IOException e) {
            throw new SnapException("snap: cannot purge " + dir + ": " + e, e);
        }
    }

    // ---------------------------------------------------------------- loading

    /**
     * Removes the temporary files of saves a crash interrupted (at start, before any save; the loads
     * do it too).
     */
    public void removeLeftovers() {
        try {
            snapNames(true);
        } catch (NoSuchFileException e) {
            // no directory, nothing left over
        } catch (IOException e) {
            throw new SnapException("snap: cannot list " + dir + ": " + e, e);
        }
    }

    /**
     * The newest intact snapshot, or empty when there is none.
     *
     * @return the snapshot, or empty
     */
    public Optional<Snapshot> load() {
        return loadMatching(s -> true);
    }

    /**
     * The newest intact snapshot whose term and index match one of the WAL's snapshot markers
     * (see {@code WAL.validSnapshotEntries}), or empty when there is none. A snapshot file the
     * WAL has no marker for was saved just before a crash and must not be used: the WAL holds
     * no entries to continue from it.
     *
     * @param walSnaps the WAL's usable snapshot markers
     * @return the snapshot, or empty
     */
    public Optional<Snapshot> loadNewestAvailable(List<org.raftexample.wal.pb.WalSnapshot> walSnaps) {
        return loadMatching(s -> {
            SnapshotMetadata m = s.getMetadata();
            for (int i = walSnaps.size() - 1; i >= 0; i--) {
                if (walSnaps.get(i).getTerm() == m.getTerm() && walSnaps.get(i).getIndex() == m.getIndex()) {
                    return true;
                }
            }
            return false;
        });
    }

    private Optional<Snapshot> loadMatching(Predicate<Snapshot> match) {
        List<String> names;
        try {
            names = snapNames(true);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new SnapException("snap: cannot list " + dir + ": " + e, e);
        }
        for (String name : names) {
            Path p = dir.resolve(name);
            Snapshot s;
            try {
                s = read(p);
            } catch (SnapException e) {
                markBroken(p, e);
                continue;
            }
            if (match.test(s)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /**
     * Like {@link #loadNewestAvailable}, but the data stays on disk: the newest snapshot file that
     * passes its checksum (checked as a stream) and matches a WAL marker, to be streamed with
     * {@link SnapshotFile#openData()}. Files that fail are renamed {@code .broken} as by the loads.
     *
     * @param walSnaps the WAL's usable snapshot markers
     * @return the checked file, or empty
     */
    public Optional<SnapshotFile> loadNewestAvailableFile(List<org.raftexample.wal.pb.WalSnapshot> walSnaps) {
        List<String> names;
        try {
            names = snapNames(true);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new SnapException("snap: cannot list " + dir + ": " + e, e);
        }
        for (String name : names) {
            Path p = dir.resolve(name);
            SnapshotFile f;
            try {
                f = SnapshotFile.check(p);
            } catch (SnapException e) {
                markBroken(p, e);
                continue;
            }
            SnapshotMetadata m = f.metadata();
            for (int i = walSnaps.size() - 1; i >= 0; i--) {
                if (walSnaps.get(i).getTerm() == m.getTerm() && walSnaps.get(i).getIndex() == m.getIndex()) {
                    return Optional.of(f);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The checked file of the snapshot at {@code term}/{@code index}, or empty if there is none.
     *
     * @param term the snapshot's term
     * @param index the snapshot's index
     * @return the checked file, or empty
     */
    public Optional<SnapshotFile> file(long term, long index) {
        Path p = dir.resolve(fileName(term, index));
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        return Optional.of(SnapshotFile.check(p));
    }

    private static void markBroken(Path p, SnapException why) {
        Path broken = p.resolveSibling(p.getFileName() + ".broken");
        LOG.warn("snap: {} is unusable ({}); renaming it to {}", p, why.getMessage(), broken);
        try {
            Files.move(p, broken, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("snap: cannot rename {} to {}: {}", p, broken, e.toString());
        }
    }

    /**
     * Reads and checks one snapshot file; throws {@link SnapException} when it is unusable.
     *
     * @param file the snapshot file
     * @return the snapshot
     */
    public static Snapshot read(Path file) {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new SnapException("snap: cannot read " + file + ": " + e, e);
        }
        if (b.length == 0) {
            throw new SnapException("snap: empty snapshot file " + file);
        }
        org.raftexample.snap.pb.Snapshot outer;
        try {
            // Aliasing lets the data field share the file's bytes instead of copying them.
            CodedInputStream in = CodedInputStream.newInstance(b);
            in.enableAliasing(true);
            outer = org.raftexample.snap.pb.Snapshot.parseFrom(in);
        } catch (IOException e) { // from a byte array, only InvalidProtocolBufferException
            throw new SnapException("snap: cannot decode " + file + ": " + e.getMessage(), e);
        }
        if (outer.getData().isEmpty() || outer.getCrc() == 0) {
            throw new SnapException("snap: empty snapshot in " + file);
        }
        CRC32C crc = new CRC32C();
        crc.update(outer.getData().asReadOnlyByteBuffer());
        if ((int) crc.getValue() != outer.getCrc()) {
            throw new SnapException(String.format(
                    "snap: crc mismatch in %s: stored %08x, computed %08x",
                    file, outer.getCrc(), (int) crc.getValue()));
        }
        try {
            return Snapshot.parseFrom(outer.getData());
        } catch (InvalidProtocolBufferException e) {
            throw new SnapException("snap: cannot decode the raft snapshot in " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Snapshot file names, newest (highest term, then index) first. With {@code removeTemps} (the
     * loads, which run at start, before anything is saved) also removes the temporary files of saves
     * a crash interrupted; a purge after a save must not, as another save may be writing one now.
     */
    List<String> snapNames(boolean removeTemps) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                if (f.endsWith(SUFFIX)) {
                    names.add(f);
                } else if (removeTemps && f.contains(SUFFIX + ".") && f.endsWith(TMP_SUFFIX)) {
                    // A save interrupted by a crash; the complete file never appeared.
                    Files.deleteIfExists(p);
                }
            }
        }
        names.sort(Comparator.reverseOrder());
        return names;
    }

    private static int putPaddedVarint(byte[] b, int p, long v) {
        for (int i = 1; i < PADDED_VARINT; i++) {
            b[p++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        b[p++] = (byte) v;
        return p;
    }

    private static int putVarint(byte[] b, int p, long v) {
        while ((v & ~0x7FL) != 0) {
            b[p++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        b[p++] = (byte) v;
        return p;
    }
}
