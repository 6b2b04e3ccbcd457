package org.raftexample.wal;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import org.raftexample.wal.pb.Record;

/**
 * Reads the framed records of one segment file in order, checking each against the running
 * checksum, and decides where the log ends.
 *
 * <p>The log ends at a zero length word (the untouched preallocated space) or at the end of the
 * file. Anything else that stops decoding is damage. In the last segment of the log, damage
 * that a crash during an unsynced append can produce is a <em>torn tail</em>: it is reported
 * through {@link #torn()} instead of thrown, so the caller can cut it off. A frame is torn when
 * it runs past the end of the file, or when it fails to decode (bad protobuf or checksum), its
 * record ends in a zero byte and only zero bytes follow it: writes land in order within the
 * preallocated zeros, so a tear leaves a prefix of the frame followed by zeros. Damage with
 * real data after it, or in an older segment, is a {@link CorruptWalException}.
 */
final class SegmentReader implements AutoCloseable {
    private static final int BUFFER = 64 * 1024;

    /**
     * Where and why the tail of the log was found torn, and the running checksum before the
     * torn record (which was already folded in when its check failed).
     */
    record Torn(long offset, String reason, int crcBefore) {}

    private final Path path;
    private final boolean tail;
    private final long size;
    private final InputStream in;
    /** Offset just past the last good record. */
    private long validOffset;

    private long recordOffset;
    private Torn torn;

    SegmentReader(Path path, boolean tail) throws IOException {
        this.path = path;
        this.tail = tail;
        this.size = Files.size(path);
        this.in = new BufferedInputStream(Files.newInputStream(path), BUFFER);
    }

    Path path() {
        return path;
    }

    /** Offset just past the last record returned: where appending resumes. */
    long validOffset() {
        return validOffset;
    }

    /** Offset of the frame of the last record returned. */
    long recordOffset() {
        return recordOffset;
    }

    /** The torn tail found, or null when the segment ended cleanly. */
    Torn torn() {
        return torn;
    }

    /**
     * Returns the next record, or null at the end of the segment (check {@link #torn()}).
     * Records other than crc records are checked against, and folded into, {@code crc}.
     */
    Record next(CRC32C crc) throws IOException {
        long off = validOffset;
        long remaining = size - off;
        if (remaining == 0) {
            return null;
        }
        if (remaining < Frame.HEADER_BYTES) {
            return tornOrCorrupt(off, "partial length word (" + remaining + " bytes before end of file)", crc);
        }
        long word = readLengthWord();
        if (word == 0) {
            if (restIsZero()) {
                return null;
            }
            throw new CorruptWalException(path, off, "zero length word followed by non-zero data");
        }
        long recordBytes = Frame.recordBytes(word);
        int pad = Frame.paddingOf(word);
        if (recordBytes + pad > remaining - Frame.HEADER_BYTES) {
            return tornOrCorrupt(
                    off,
                    "frame of " + (recordBytes + pad) + " bytes runs past end of file ("
                            + (remaining - Frame.HEADER_BYTES) + " bytes left)",
                    crc);
        }
        byte[] frame = in.readNBytes((int) (recordBytes + pad));
        if (frame.length != recordBytes + pad) {
            throw new EOFException(path + " shrank while being read");
        }
        int n = (int) recordBytes;
        Record rec;
        try {
            rec = Record.parser().parseFrom(frame, 0, n);
        } catch (InvalidProtocolBufferException e) {
            return damaged(off, frame, n, "malformed record: " + e.getMessage(), (int) crc.getValue());
        }
        for (int i = n; i < frame.length; i++) {
            if (frame[i] != 0) {
                // Padding is written as zeros with its record; anything else is damage.
                throw new CorruptWalException(
                        path, off, "non-zero padding byte at offset " + (off + Frame.HEADER_BYTES + i));
            }
        }
        if (rec.getType() != RecordType.CRC.code) {
            int before = (int) crc.getValue();
            crc.update(rec.getData().asReadOnlyByteBuffer());
            int computed = (int) crc.getValue();
            if (rec.getCrc() != computed) {
                return damaged(
                        off,
                        frame,
                        n,
                        String.format("crc mismatch: stored %08x, computed %08x", rec.getCrc(), computed),
                        before);
            }
        }
        recordOffset = off;
        validOffset = off + Frame.HEADER_BYTES + recordBytes + pad;
        return rec;
    }

    private Record damaged(long off, byte[] frame, int recordBytes, String reason, int crcBefore) throws IOException {
        boolean endsInZero = recordBytes == 0 || frame[recordBytes - 1] == 0;
        if (tail && endsInZero && restIsZero()) {
            torn = new Torn(off, reason, crcBefore);
            return null;
        }
        throw new CorruptWalException(path, off, reason);
    }

    private Record tornOrCorrupt(long off, String reason, CRC32C crc) {
        if (!tail) {
            throw new CorruptWalException(path, off, reason);
        }
        torn = new Torn(off, reason, (int) crc.getValue());
        return null;
    }

    private long readLengthWord() throws IOException {
        byte[] b = in.readNBytes(Frame.HEADER_BYTES);
        if (b.length != Frame.HEADER_BYTES) {
            throw new EOFException(path + " shrank while being read");
        }
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    /** Consumes the rest of the file, returning whether it is all zero bytes. */
    private boolean restIsZero() throws IOException {
        byte[] chunk = new byte[BUFFER];
        int n;
        while ((n = in.read(chunk)) > 0) {
            for (int i = 0; i < n; i++) {
                if (chunk[i] != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
