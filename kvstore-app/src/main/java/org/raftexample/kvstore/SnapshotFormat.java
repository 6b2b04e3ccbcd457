package org.raftexample.kvstore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.raftexample.server.JsonStringMap;

/**
 * The key-value snapshot format, written and read as a stream (docs/snapshot-format.md). Version 2:
 *
 * <pre>
 *   magic    8 bytes  "RXKVSNAP"
 *   version  u32      2
 *   pairs    { u32 key length, key bytes, u32 value length, value bytes } in any order
 *   end      u32      0xFFFFFFFF
 *   count    u64      number of pairs
 *   crc      u32      CRC-32C of every byte before it, magic included
 * </pre>
 *
 * All integers are big-endian. Version 1 (no magic) is the original's JSON object of strings, read for
 * snapshots written before version 2; a value read from it is the UTF-8 of its string.
 *
 * <p>Not thread-safe: a writer or a reader belongs to the one thread that streams it.
 */
final class SnapshotFormat {

    static final byte[] MAGIC = "RXKVSNAP".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 2;
    private static final int END = 0xFFFFFFFF;
    private static final int BUFFER = 64 * 1024;

    private SnapshotFormat() {}

    /** Receives each pair a reader finds; the arrays are the receiver's to keep. */
    interface PairSink {
        void accept(byte[] key, byte[] value) throws IOException;
    }

    /** A malformed snapshot (bad magic, version, lengths, count or checksum, truncated, trailing data). */
    static final class MalformedSnapshotException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        MalformedSnapshotException(String message) {
            super("snapshot: " + message);
        }

        MalformedSnapshotException(String message, Throwable cause) {
            super("snapshot: " + message, cause);
        }
    }

    /** Writes a version 2 snapshot to a stream; {@link #finish} writes the trailer (the stream stays open). */
    static final class Writer {
        private final OutputStream out;
        private final CRC32C crc = new CRC32C();
        private final byte[] buf = new byte[BUFFER];
        private int pos;
        private long count;

        Writer(OutputStream out) throws IOException {
            this.out = out;
            put(MAGIC, 0, MAGIC.length);
            putInt(VERSION);
        }

        void write(byte[] key, byte[] value) throws IOException {
            write(key, 0, key.length, value, 0, value.length);
        }

        /** Writes the pair held in ranges of arrays (both may be one array), which are not kept. */
        void write(byte[] key, int keyOffset, int keyLength, byte[] value, int valueOffset, int valueLength)
                throws IOException {
            putInt(keyLength);
            put(key, keyOffset, keyLength);
            putInt(valueLength);
            put(value, valueOffset, valueLength);
            count++;
        }

        /** Writes end marker, count and checksum, and flushes; returns the number of pairs written. */
        long finish() throws IOException {
            putInt(END);
            putLong(count);
            flushBuffer();
            int c = (int) crc.getValue();
            byte[] tail = {(byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c};
            out.write(tail);
            out.flush();
            return count;
        }

        private void putInt(int v) throws IOException {
            if (BUFFER - pos < 4) {
                flushBuffer();
            }
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
        }

        private void putLong(long v) throws IOException {
            putInt((int) (v >>> 32));
            putInt((int) v);
        }

        private void put(byte[] b, int off, int len) throws IOException {
            if (len > BUFFER - pos) {
                flushBuffer();
                if (len > BUFFER) {
                    crc.update(b, off, len);
                    out.write(b, off, len);
                    return;
                }
            }
            System.arraycopy(b, off, buf, pos, len);
            pos += len;
        }

        private void flushBuffer() throws IOException {
            if (pos > 0) {
                crc.update(buf, 0, pos);
                out.write(buf, 0, pos);
                pos = 0;
            }
        }
    }

    /**
     * Reads a snapshot of either version from a stream, handing each pair to {@code sink}, and checks
     * that it is whole: count, checksum, nothing after the trailer. Returns the number of pairs; an
     * empty stream or JSON {@code null} is an empty map. A pair may already have reached the sink
     * when a later error is found: build the new state aside and switch to it only on success.
     */
    static long read(InputStream in, PairSink sink) throws IOException {
        Reader r = new Reader(in);
        int head = r.available(MAGIC.length);
        if (head == 0) {
            return 0;
        }
        if (head == MAGIC.length && Arrays.equals(r.buf, r.pos, r.pos + MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return r.readV2(sink);
        }
        return readJson(new SequenceInputStream(new ByteArrayInputStream(r.buf, r.pos, r.lim - r.pos), in), sink);
    }

    private static long readJson(InputStream in, PairSink sink) throws IOException {
        try {
            return JsonStringMap.read(
                    in,
                    (key, value) ->
                            sink.accept(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)));
        } catch (JsonStringMap.MalformedException e) {
            throw new MalformedSnapshotException("format 1 (JSON): " + e.getMessage(), e);
        }
    }

    /** A buffered reader that checksums exactly the bytes it consumes. */
    private static final class Reader {
        private final InputStream in;
        private final CRC32C crc = new CRC32C();
        final byte[] buf = new byte[BUFFER];
        int pos;
        int lim;

        Reader(InputStream in) {
            this.in = in;
        }

        /** Buffers up to {@code n} bytes; returns how many are buffered (fewer only at end of stream). */
        int available(int n) throws IOException {
            if (lim - pos < n) {
                System.arraycopy(buf, pos, buf, 0, lim - pos);
                lim -= pos;
                pos = 0;
                while (lim < n) {
                    int r = in.read(buf, lim, buf.length - lim);
                    if (r < 0) {
                        break;
                    }
                    lim += r;
                }
            }
            return Math.min(n, lim - pos);
        }

        private void need(int n) throws IOException {
            if (available(n) < n) {
                throw new MalformedSnapshotException("truncated");
            }
        }

        int readInt() throws IOException {
            need(4);
            crc.update(buf, pos, 4);
            int v = ((buf[pos] & 0xff) << 24)
                    | ((buf[pos + 1] & 0xff) << 16)
                    | ((buf[pos + 2] & 0xff) << 8)
                    | (buf[pos + 3] & 0xff);
            pos += 4;
            return v;
        }

        long readLong() throws IOException {
            return ((long) readInt() << 32) | (readInt() & 0xffffffffL);
        }

        /** Reads {@code len} bytes; memory grows with what arrives, not with what the length claims. */
        byte[] readBytes(int len) throws IOException {
            byte[] out = new byte[Math.min(len, 1 << 20)];
            int got = 0;
            while (got < len) {
                if (available(1) == 0) {
                    throw new MalformedSnapshotException("truncated");
                }
                int n = Math.min(len - got, lim - pos);
                if (got + n > out.length) {
                    out = Arrays.copyOf(out, (int) Math.min(len, Math.max(got + n, 2L * out.length)));
                }
                System.arraycopy(buf, pos, out, got, n);
                crc.update(buf, pos, n);
                pos += n;
                got += n;
            }
            return out;
        }

        long readV2(PairSink sink) throws IOException {
            pos += MAGIC.length;
            crc.update(MAGIC, 0, MAGIC.length);
            int version = readInt();
            if (version != VERSION) {
                throw new MalformedSnapshotException("unknown format version " + Integer.toUnsignedString(version));
            }
            long n = 0;
            for (int klen; (klen = readInt()) != END; n++) {
                if (klen < 0) {
                    throw new MalformedSnapshotException("bad key length " + Integer.toUnsignedString(klen));
                }
                byte[] key = readBytes(klen);
                int vlen = readInt();
                if (vlen < 0) {
                    throw new MalformedSnapshotException("bad value length " + Integer.toUnsignedString(vlen));
                }
                sink.accept(key, readBytes(vlen));
            }
            long count = readLong();
            int computed = (int) crc.getValue();
            need(4);
            int stored = ((buf[pos] & 0xff) << 24)
                    | ((buf[pos + 1] & 0xff) << 16)
                    | ((buf[pos + 2] & 0xff) << 8)
                    | (buf[pos + 3] & 0xff);
            pos += 4;
            if (stored != computed) {
                throw new MalformedSnapshotException(
                        String.format("crc mismatch: stored %08x, computed %08x", stored, computed));
            }
            if (count != n) {
                throw new MalformedSnapshotException("count says " + count + " pairs, found " + n);
            }
            if (pos < lim || in.read() >= 0) {
                throw new MalformedSnapshotException("trailing data after the trailer");
            }
            return n;
        }
    }
}
