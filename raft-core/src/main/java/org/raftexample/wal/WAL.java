package org.raftexample.wal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import org.raftexample.raft.RawNode;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.wal.pb.Record;
import org.raftexample.wal.pb.WalSnapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-ahead log: durable storage for raft's hard state and entries, and for markers of
 * the snapshots taken, as a directory of CRC-chained segment files (see docs/wal.md).
 *
 * <p>A WAL is either reading or appending. {@link #create} returns one ready to append.
 * {@link #open} returns one positioned at a snapshot marker; {@link #readAll()} then recovers
 * what was saved after that marker, repairs a tail torn by a crash, and switches it to
 * appending. The directory is locked for as long as the WAL is open.
 *
 * <p>Every failure is a {@link WalException}; damaged data is a {@link CorruptWalException}
 * naming the file and offset. After a failed write the WAL refuses further writes: what reached
 * the disk is unknown, and only a reopen finds out.
 */
public final class WAL implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WAL.class);
    private static final HardState EMPTY_STATE = HardState.getDefaultInstance();
    private static final int SCAN_ATTEMPTS = 5;

    private final Path dir;
    private final WalOptions options;
    private DirLock lock;

    /** Names of the segments this WAL still needs, oldest first; the last one is the tail. */
    private final List<SegmentName> segments;

    private FileChannel tail;

    /** The marker reading starts at; null once {@link #readAll()} has run. */
    private WalSnapshot start;

    private Encoder encoder;
    private byte[] metadata;
    private HardState state = EMPTY_STATE;
    /** Index of the last entry saved. */
    private long enti;

    private WalException failure;
    private boolean closed;
    /** Data syncs of segment files issued so far (for tests and the benchmark). */
    private long syncs;
    /** Hears how long each data sync of a segment took, in nanoseconds (metrics); never null. */
    private volatile LongConsumer syncObserver = nanos -> {};
    /** Prepares the next segment in the background; started once the WAL can be appended to. */
    private FilePipeline pipeline;

    private WAL(Path dir, WalOptions options, DirLock lock, List<SegmentName> segments, FileChannel tail) {
        this.dir = dir;
        this.options = options;
        this.lock = lock;
        this.segments = segments;
        this.tail = tail;
    }

    // ---------------------------------------------------------------- creating and opening

    /**
     * Creates a WAL in {@code dir} with the default options; see {@link #create(Path, byte[], WalOptions)}.
     *
     * @param dir the directory
     * @param metadata written at the head of every segment; may be null
     * @return the WAL, ready to append
     */
    public static WAL create(Path dir, byte[] metadata) {
        return create(dir, metadata, WalOptions.defaults());
    }

    /**
     * Creates a new log in {@code dir} (which must not exist or be empty) whose every segment
     * starts with {@code metadata} (may be null), and returns it ready to append.
     *
     * <p>The first segment is built in {@code <dir>.tmp} and the directory renamed into place,
     * so that a crash leaves either no log or a complete one.
     *
     * @param dir the directory
     * @param metadata written at the head of every segment; may be null
     * @param options the segment size
     * @return the WAL, ready to append
     */
    public static WAL create(Path dir, byte[] metadata, WalOptions options) {
        if (exists(dir)) {
            throw new WalException("wal: " + dir + " already holds a WAL");
        }
        Path tmpDir = dir.resolveSibling(dir.getFileName() + ".tmp");
        DirLock lock = null;
        FileChannel ch = null;
        try {
            deleteRecursively(tmpDir);
            Files.createDirectories(tmpDir);
            lock = DirLock.acquire(tmpDir);
            SegmentName first = new SegmentName(0, 0);
            ch = FileChannel.open(
                    tmpDir.resolve(first.fileName()),
                    StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            DiskIo.zeroFillTo(ch, options.segmentSizeBytes());

            WAL w = new WAL(dir, options, lock, new ArrayList<>(List.of(first)), ch);
            w.metadata = metadata == null ? null : metadata.clone();
            w.encoder = new Encoder(ch, 0, 0);
            w.encoder.encode(RecordType.CRC, null);
            w.encoder.encode(RecordType.METADATA, w.metadata);
            w.saveSnapshot(marker(0, 0));

            if (Files.isDirectory(dir)) {
                // exists() said it holds no segments; only an empty directory may be replaced.
                try (Stream<Path> s = Files.list(dir)) {
                    if (s.findAny().isPresent()) {
                        throw new WalException("wal: " + dir + " is not empty");
                    }
                }
                Files.delete(dir);
            }
            Files.move(tmpDir, dir, StandardCopyOption.ATOMIC_MOVE);
            lock = lock.movedTo(dir);
            w.lock = lock;
            DiskIo.fsyncDir(dir.toAbsolutePath().getParent());
            return w;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            closeQuietly(lock);
            try {
                deleteRecursively(tmpDir);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof WalException we) {
                throw we;
            }
            throw new WalException("wal: cannot create " + dir + ": " + e, e);
        }
    }

    /**
     * Opens the WAL in {@code dir} with the default options; see {@link #open(Path, WalSnapshot, WalOptions)}.
     *
     * @param dir the directory
     * @param snapshot the marker to read from
     * @return the WAL, to be read with {@link #readAll()}
     */
    public static WAL open(Path dir, WalSnapshot snapshot) {
        return open(dir, snapshot, WalOptions.defaults());
    }

    /**
     * Opens the WAL in {@code dir} for reading from the snapshot marker {@code snapshot} (an
     * empty marker means from the beginning). The marker must have been saved to this WAL, or
     * {@link #readAll()} fails. Locks the directory; call {@link #readAll()} before appending.
     *
     * @param dir the directory
     * @param snapshot the marker to read from
     * @param options the segment size
     * @return the WAL, to be read with {@link #readAll()}
     */
    public static WAL open(Path dir, WalSnapshot snapshot, WalOptions options) {
        DirLock lock = null;
        FileChannel ch = null;
        try {
            lock = DirLock.acquire(dir);
            removeStaleTempSegments(dir);
            List<SegmentName> names = segmentNames(dir);
            int from = searchIndex(names, snapshot.getIndex());
            if (from < 0) {
                throw new WalException("wal: file not found which matches the snapshot index '"
                        + Long.toUnsignedString(snapshot.getIndex()) + "'");
            }
            List<SegmentName> used = new ArrayList<>(names.subList(from, names.size()));
            checkSequence(used);
            ch = FileChannel.open(
                    dir.resolve(used.get(used.size() - 1).fileName()),
                    StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            WAL w = new WAL(dir, options, lock, used, ch);
            w.start = snapshot;
            return w;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            closeQuietly(lock);
            if (e instanceof WalException we) {
                throw we;
            }
            throw new WalException("wal: cannot open " + dir + ": " + e, e);
        }
    }

    /**
     * Whether {@code dir} holds at least one segment file.
     *
     * @param dir the directory
     * @return true if there is a WAL
     */
    public static boolean exists(Path dir) {
        try {
            return !segmentNames(dir).isEmpty();
        } catch (IOException | WalException e) {
            return false;
        }
    }

    /**
     * A snapshot marker for the given raft index and term (no ConfState).
     *
     * @param index the raft index
     * @param term the raft term
     * @return the marker
     */
    public static WalSnapshot marker(long index, long term) {
        return WalSnapshot.newBuilder().setIndex(index).setTerm(term).build();
    }

    /**
     * The snapshot marker matching a raft snapshot's metadata, ConfState included.
     *
     * @param md a raft snapshot's metadata
     * @return the marker
     */
    public static WalSnapshot marker(SnapshotMetadata md) {
        return WalSnapshot.newBuilder()
                .setIndex(md.getIndex())
                .setTerm(md.getTerm())
                .setConfState(md.getConfState())
                .build();
    }

    // ---------------------------------------------------------------- reading

    /**
     * Reads every record after the start marker and makes the WAL ready to append.
     *
     * <p>A torn record at the end of the last segment (the trace of a crash during an append
     * that was never synced) is cut off: the segment is first copied to {@code <name>.broken},
     * then truncated to its last whole record. Damage anywhere else is a
     * {@link CorruptWalException}. Throws {@link WalException} when the start marker is not in
     * the log or conflicts with it, or when the metadata differs between segments.
     *
     * @return the metadata, hard state and entries read
     */
    public synchronized WalContents readAll() {
        checkOpen();
        if (start == null) {
            throw new IllegalStateException("wal: readAll was already called");
        }
        List<Path> paths = segments.stream().map(n -> dir.resolve(n.fileName())).toList();
        byte[] meta = null;
        HardState hs = EMPTY_STATE;
        List<Entry> ents = new ArrayList<>();
        boolean match = false;
        long startIndex = start.getIndex();
        try (WalReader reader = new WalReader(paths)) {
            Record rec;
            while ((rec = reader.next()) != null) {
                RecordType type = RecordType.of(rec.getType());
                switch (type) {
                    case ENTRY -> {
                        Entry e = reader.decode(Entry.parser(), rec);
                        if (Long.compareUnsigned(e.getIndex(), startIndex) > 0) {
                            long offset = e.getIndex() - startIndex - 1;
                            if (Long.compareUnsigned(offset, ents.size()) > 0) {
                                throw new WalException(String.format(
                                        "wal: slice bounds out of range, snapshot[Index: %s, Term: %s], current "
                                                + "entry[Index: %s, Term: %s], len(ents): %d",
                                        Long.toUnsignedString(startIndex),
                                        Long.toUnsignedString(start.getTerm()),
                                        Long.toUnsignedString(e.getIndex()),
                                        Long.toUnsignedString(e.getTerm()),
                                        ents.size()));
                            }
                            // A later entry at an index replaces that entry and all after it.
                            ents.subList((int) offset, ents.size()).clear();
                            ents.add(e);
                        }
                        enti = e.getIndex();
                    }
                    case STATE -> hs = reader.decode(HardState.parser(), rec);
                    case METADATA -> {
                        byte[] m = rec.hasData() ? rec.getData().toByteArray() : null;
                        if (meta != null && !Arrays.equals(meta, m)) {
                            throw new WalException("wal: conflicting metadata found");
                        }
                        meta = m;
                    }
                    case SNAPSHOT -> {
                        WalSnapshot s = reader.decode(WalSnapshot.parser(), rec);
                        if (s.getIndex() == startIndex) {
                            if (s.getTerm() != start.getTerm()) {
                                throw new WalException("wal: snapshot mismatch: the log has term "
                                        + Long.toUnsignedString(s.getTerm()) + " at index "
                                        + Long.toUnsignedString(startIndex) + ", expected "
                                        + Long.toUnsignedString(start.getTerm()));
                            }
                            match = true;
                        }
                    }
                    case CRC -> throw new AssertionError("crc records are consumed by the reader");
                    default -> throw new AssertionError(type);
                }
            }
            SegmentReader last = reader.tail();
            long appendAt = last.validOffset();
            if (last.torn() != null) {
                repairTail(last.path(), last.torn());
            }
            if (!match) {
                throw new WalException("wal: snapshot not found: no marker for index "
                        + Long.toUnsignedString(startIndex) + " term " + Long.toUnsignedString(start.getTerm()));
            }
            metadata = meta;
            state = hs;
            start = null;
            encoder = new Encoder(tail, appendAt, reader.crc());
            return new WalContents(meta, hs, Collections.unmodifiableList(ents));
        } catch (IOException e) {
            throw new WalException("wal: cannot read " + dir + ": " + e, e);
        }
    }

    /**
     * Cuts a torn tail off the last segment, keeping a copy of the damaged file, and restores
     * the zeroed preallocated space after the last good record.
     */
    private void repairTail(Path file, SegmentReader.Torn torn) throws IOException {
        Path broken = file.resolveSibling(file.getFileName() + ".broken");
        LOG.warn(
                "wal: torn record at the tail of {} at offset {} ({}); keeping a copy in {} and truncating",
                file,
                torn.offset(),
                torn.reason(),
                broken);
        Files.copy(file, broken, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel b = FileChannel.open(broken, StandardOpenOption.WRITE)) {
            b.force(true);
        }
        tail.truncate(torn.offset());
        DiskIo.zeroFillTo(tail, options.segmentSizeBytes());
        tail.force(true);
        DiskIo.fsyncDir(dir);
    }

    /**
     * Returns the snapshot markers of the WAL in {@code dir} that a restart can use: those
     * whose index is at most the commit index of the last saved hard state, oldest first.
     * Reads without locking, so it can run while the WAL is open; a torn tail is ignored (it is
     * repaired when the WAL is next opened), damage elsewhere throws.
     *
     * @param dir the directory
     * @return the usable markers, oldest first
     */
    public static List<WalSnapshot> validSnapshotEntries(Path dir) {
        Exception last = null;
        for (int attempt = 0; attempt < SCAN_ATTEMPTS; attempt++) {
            try {
                return scanSnapshotEntries(dir);
            } catch (NoSuchFileException | EOFException | CorruptWalException e) {
                // Not necessarily damage: reading races with a writer that has the WAL open. A
                // segment may be purged between listing and reading, shrink when it is cut, or
                // show a record half-copied by a concurrent write (a read may see later bytes
                // of a write but not earlier ones). A fresh scan sees a settled tail; real
                // damage fails every time.
                last = e;
            } catch (IOException e) {
                throw new WalException("wal: cannot read " + dir + ": " + e, e);
            }
        }
        if (last instanceof CorruptWalException c) {
            throw c;
        }
        throw new WalException("wal: cannot read " + dir + " consistently: " + last, last);
    }

    /**
     * Checks, without locking or changing anything, that the WAL in {@code dir} reads cleanly from
     * {@code snapshot} on: checksums, metadata and the marker itself. Returns the last hard state.
     * A torn tail is accepted (opening the WAL repairs it); anything {@link #readAll()} would
     * reject is thrown.
     *
     * @param dir the directory
     * @param snapshot the marker to read from
     * @return the last hard state saved
     */
    public static HardState verify(Path dir, WalSnapshot snapshot) {
        try {
            List<SegmentName> names = segmentNames(dir);
            int from = searchIndex(names, snapshot.getIndex());
            if (from < 0) {
                throw new WalException("wal: file not found which matches the snapshot index '"
                        + Long.toUnsignedString(snapshot.getIndex()) + "'");
            }
            List<SegmentName> used = names.subList(from, names.size());
            checkSequence(used);
            byte[] meta = null;
            HardState hs = EMPTY_STATE;
            boolean match = false;
            try (WalReader reader = new WalReader(
                    used.stream().map(n -> dir.resolve(n.fileName())).toList())) {
                Record rec;
                while ((rec = reader.next()) != null) {
                    switch (RecordType.of(rec.getType())) {
                        case METADATA -> {
                            byte[] m = rec.hasData() ? rec.getData().toByteArray() : null;
                            if (meta != null && !Arrays.equals(meta, m)) {
                                throw new WalException("wal: conflicting metadata found");
                            }
                            meta = m;
                        }
                        case STATE -> hs = reader.decode(HardState.parser(), rec);
                        case ENTRY -> reader.decode(Entry.parser(), rec);
                        case SNAPSHOT -> {
                            WalSnapshot s = reader.decode(WalSnapshot.parser(), rec);
                            if (s.getIndex() == snapshot.getIndex()) {
                                if (s.getTerm() != snapshot.getTerm()) {
                                    throw new WalException("wal: snapshot mismatch");
                                }
                                match = true;
                            }
                        }
                        default -> throw new AssertionError(rec.getType());
                    }
                }
            }
            if (!match) {
                throw new WalException("wal: snapshot not found");
            }
            return hs;
        } catch (IOException e) {
            throw new WalException("wal: cannot read " + dir + ": " + e, e);
        }
    }

    private static List<WalSnapshot> scanSnapshotEntries(Path dir) throws IOException {
        List<Path> paths =
                segmentNames(dir).stream().map(n -> dir.resolve(n.fileName())).toList();
        List<WalSnapshot> snaps = new ArrayList<>();
        HardState hs = EMPTY_STATE;
        try (WalReader reader = new WalReader(paths)) {
            Record rec;
            while ((rec = reader.next()) != null) {
                if (rec.getType() == RecordType.SNAPSHOT.code) {
                    snaps.add(reader.decode(WalSnapshot.parser(), rec));
                } else if (rec.getType() == RecordType.STATE.code) {
                    hs = reader.decode(HardState.parser(), rec);
                }
            }
        }
        long commit = hs.getCommit();
        snaps.removeIf(s -> Long.compareUnsigned(s.getIndex(), commit) > 0);
        return snaps;
    }

    // ---------------------------------------------------------------- appending

    /**
     * Appends {@code entries} then {@code hardState} (skipped when empty) and syncs once, unless
     * nothing must be durable: when there are no entries and term and vote are unchanged (a
     * commit index can be recovered from the peers), the records are written but not synced,
     * as etcd's raft.MustSync decides. Moves to a new segment when this one is full.
     *
     * @param hardState the hard state, or an empty one
     * @param entries the entries, consecutive
     */
    public synchronized void save(HardState hardState, List<Entry> entries) {
        checkWritable();
        HardState hs = hardState == null ? EMPTY_STATE : hardState;
        if (entries == null) {
            entries = List.of();
        }
        if (isEmpty(hs) && entries.isEmpty()) {
            return;
        }
        // The rule raft gives in Ready.mustSync, as etcd's WAL asks raft.MustSync.
        boolean mustSync = RawNode.mustSync(hs, state, entries.size());
        try {
            for (int i = 0, n = entries.size(); i < n; i++) {
                Entry e = entries.get(i);
                encoder.encodeMessage(RecordType.ENTRY, e);
                enti = e.getIndex();
            }
            if (!isEmpty(hs)) {
                state = hs;
                encoder.encodeMessage(RecordType.STATE, hs);
            }
            encoder.flush();
            if (encoder.position() < options.segmentSizeBytes()) {
                if (mustSync) {
                    force();
                }
                if (pipeline == null && encoder.position() > options.segmentSizeBytes() / 2) {
                    // Half full: have the next segment prepared in the background by the time it is needed.
                    pipeline();
                }
                return;
            }
            cut();
        } catch (IOException e) {
            throw fail("save", e);
        }
    }

    /**
     * Records that a snapshot up to {@code snapshot}'s index exists and syncs. Index and term
     * must be set, and a ConfState too for any snapshot but the initial empty one.
     *
     * @param snapshot the marker
     */
    public synchronized void saveSnapshot(WalSnapshot snapshot) {
        checkWritable();
        if (!snapshot.hasIndex() || !snapshot.hasTerm()) {
            throw new IllegalArgumentException("wal: snapshot marker is missing index or term: " + snapshot);
        }
        if (!snapshot.hasConfState() && snapshot.getIndex() != 0) {
            throw new IllegalArgumentException(
                    "wal: snapshot marker after the initial one needs a ConfState: " + snapshot);
        }
        try {
            encoder.encodeMessage(RecordType.SNAPSHOT, snapshot);
            if (Long.compareUnsigned(enti, snapshot.getIndex()) < 0) {
                enti = snapshot.getIndex();
            }
            encoder.flush();
            force();
        } catch (IOException e) {
            throw fail("saveSnapshot", e);
        }
    }

    /** Writes out anything buffered and syncs the tail segment. */
    public synchronized void sync() {
        checkWritable();
        try {
            encoder.flush();
            force();
        } catch (IOException e) {
            throw fail("sync", e);
        }
    }

    /**
     * Closes the full tail segment and continues in a new one, named after the index of the
     * next entry. The new segment is prepared as a temp file (preallocated, headed by the crc,
     * metadata and state records, synced) and only then renamed into place, so a crash never
     * leaves a half-made segment in the log.
     */
    private void cut() throws IOException {
        long end = encoder.position();
        tail.truncate(end);
        force();

        SegmentName next = new SegmentName(segments.get(segments.size() - 1).seq() + 1, enti + 1);
        Path target = dir.resolve(next.fileName());
        FilePipeline.Prepared prepared = pipeline().take();
        Path tmp = prepared.path();
        FileChannel ch = prepared.channel();
        try {
            encoder.retarget(ch, 0);
            encoder.encode(RecordType.CRC, null);
            encoder.encode(RecordType.METADATA, metadata);
            if (!isEmpty(state)) {
                encoder.encodeMessage(RecordType.STATE, state);
            }
            encoder.flush();
            ch.force(false);
            syncs++;
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            DiskIo.fsyncDir(dir);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        FileChannel old = tail;
        tail = ch;
        segments.add(next);
        old.close();
        LOG.info("wal: created a new segment {}", target);
    }

    private FilePipeline pipeline() {
        if (pipeline == null) {
            pipeline = new FilePipeline(dir, options.segmentSizeBytes());
        }
        return pipeline;
    }

    // ---------------------------------------------------------------- releasing and closing

    /**
     * Lets go of segments no longer needed once everything up to {@code index} is in a
     * snapshot: every segment before the last one whose first index is below {@code index}
     * (that one may still hold entries after the snapshot). For segments 1..6 and index 5, with
     * segment 4 the last one starting below 5, segments 1..3 are released. Released segments
     * are no longer part of this WAL and may be deleted (see {@link #purgeReleased()}).
     *
     * @param index the highest index covered by a snapshot
     */
    public synchronized void releaseLockTo(long index) {
        checkOpen();
        int smaller = segments.size() - 1;
        for (int i = 0; i < segments.size(); i++) {
            if (Long.compareUnsigned(segments.get(i).index(), index) >= 0) {
                smaller = i - 1;
                break;
            }
        }
        if (smaller <= 0) {
            return;
        }
        segments.subList(0, smaller).clear();
    }

    /**
     * Deletes the segment files in the directory that are older than every segment this WAL
     * still holds, and returns how many were deleted. Segments before the one a WAL was opened
     * at were never held, so they count as released too (as in etcd, where only the segments
     * read are locked).
     *
     * @return the number of files deleted
     */
    public synchronized int purgeReleased() {
        checkOpen();
        SegmentName oldestHeld = segments.get(0);
        int n = 0;
        try {
            for (SegmentName s : segmentNames(dir)) {
                if (s.compareTo(oldestHeld) < 0) {
                    Files.deleteIfExists(dir.resolve(s.fileName()));
                    n++;
                }
            }
            if (n > 0) {
                DiskIo.fsyncDir(dir);
            }
            return n;
        } catch (IOException e) {
            throw new WalException("wal: cannot purge segments of " + dir + ": " + e, e);
        }
    }

    /**
     * The names of the segment files this WAL holds, oldest first (the last is the tail).
     *
     * @return the file names
     */
    public synchronized List<String> segmentFileNames() {
        return segments.stream().map(SegmentName::fileName).toList();
    }

    /**
     * The directory of this WAL.
     *
     * @return the directory
     */
    public Path dir() {
        return dir;
    }

    /** Syncs what was written, closes the tail segment and releases the directory lock. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pipeline != null) {
            pipeline.close();
        }
        IOException err = null;
        try {
            if (encoder != null && failure == null) {
                encoder.flush();
                tail.force(false);
            }
        } catch (IOException e) {
            err = e;
        }
        try {
            tail.close();
        } catch (IOException e) {
            err = err == null ? e : err;
        }
        try {
            lock.close();
        } catch (IOException e) {
            err = err == null ? e : err;
        }
        if (err != null) {
            throw new WalException("wal: error closing " + dir + ": " + err, err);
        }
    }

    // ---------------------------------------------------------------- helpers

    private void force() throws IOException {
        long start = System.nanoTime();
        InjectedDiskFault.beforeSync();
        tail.force(false);
        syncs++;
        syncObserver.accept(System.nanoTime() - start);
    }

    /**
     * Sets who hears the duration of every data sync of the tail segment (called on the thread that
     * saves, right after the sync; it must be quick and must not call back into this WAL).
     *
     * @param observer called with the sync's duration in nanoseconds, or null for none
     */
    public void setSyncObserver(LongConsumer observer) {
        this.syncObserver = Objects.requireNonNull(observer, "observer");
    }

    /** How many times a segment's data was synced; cuts and closes included. */
    synchronized long syncCount() {
        return syncs;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("wal: closed");
        }
    }

    private void checkWritable() {
        checkOpen();
        if (failure != null) {
            throw new WalException("wal: an earlier write failed; reopen the WAL", failure);
        }
        if (encoder == null) {
            throw new IllegalStateException("wal: call readAll() before appending");
        }
    }

    private WalException fail(String op, IOException e) {
        failure = new WalException("wal: " + op + " failed in " + dir + ": " + e, e);
        return failure;
    }

    private static boolean isEmpty(HardState hs) {
        return hs.getTerm() == 0 && hs.getVote() == 0 && hs.getCommit() == 0;
    }

    /** Segment names in {@code dir}, in order; throws when there is none. */
    static List<SegmentName> segmentNames(Path dir) throws IOException {
        List<SegmentName> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                SegmentName n = SegmentName.parse(f);
                if (n != null) {
                    names.add(n);
                } else if (!f.endsWith(".tmp") && !f.endsWith(".broken") && !f.equals(DirLock.FILE_NAME)) {
                    LOG.warn("wal: ignored file {} in WAL directory {}", f, dir);
                }
            }
        }
        if (names.isEmpty()) {
            throw new WalException("wal: file not found in " + dir);
        }
        names.sort(Comparator.naturalOrder());
        return names;
    }

    /** Deletes segments a crash left half-made during a cut; they never became part of the log. */
    private static void removeStaleTempSegments(Path dir) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SegmentName.SUFFIX + ".tmp")) {
            for (Path p : ds) {
                LOG.info("wal: removing {} left by an interrupted segment cut", p);
                Files.deleteIfExists(p);
            }
        }
    }

    /** Position of the last segment whose first index is at most {@code index}, or -1. */
    static int searchIndex(List<SegmentName> names, long index) {
        for (int i = names.size() - 1; i >= 0; i--) {
            if (Long.compareUnsigned(index, names.get(i).index()) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static void checkSequence(List<SegmentName> names) {
        for (int i = 1; i < names.size(); i++) {
            if (names.get(i).seq() != names.get(i - 1).seq() + 1) {
                throw new WalException("wal: file sequence numbers do not increase continuously: " + names.get(i - 1)
                        + " is followed by " + names.get(i));
            }
        }
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception ignored) {
            // already failing; the original error is the one to report
        }
    }
}
