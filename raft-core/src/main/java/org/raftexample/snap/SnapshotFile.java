package org.raftexample.snap;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * A checked snapshot file whose data stays on disk: its metadata, and where in the file the
 * snapshot's data lies, to be streamed with {@link #openData()} instead of being read into memory.
 * Built by {@link #check(Path)}, which verifies the file's CRC-32C in one streaming pass (the same
 * checks as {@link Snapshotter#read}), so memory does not grow with the snapshot.
 *
 * <p>Immutable; {@link #openData()} may be called by any thread, each stream belongs to its caller.
 */
public record SnapshotFile(Path path, SnapshotMetadata metadata, long dataOffset, long dataLength) {

    private static final int BUFFER = 64 * 1024;

    /**
     * A new stream of exactly the snapshot's data; the caller closes it.
     *
     * @return the stream, positioned at the data's first byte
     * @throws IOException if the file cannot be opened
     */
    public InputStream openData() throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            ch.position(dataOffset);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        return new Bounded(new BufferedInputStream(Channels.newInputStream(ch), BUFFER), dataLength);
    }

    /**
     * Checks a snapshot file and locates its data; throws {@link SnapException} when it is unusable.
     *
     * @param file the snapshot file
     * @return the checked file
     */
    public static SnapshotFile check(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size == 0) {
                throw new SnapException("snap: empty snapshot file " + file);
            }
            Cursor in = new Cursor(ch);
            long crc = -1;
            long bodyStart = -1;
            long bodyLength = -1;
            long bodyCrc = 0;
            // snappb.Snapshot: crc (1, varint) and data (2, bytes) in either order.
            while (in.pos < size) {
                long tag = in.varint();
                if (tag == (1 << 3)) {
                    crc = in.varint() & 0xffffffffL;
                } else if (tag == ((2 << 3) | 2)) {
                    bodyLength = in.varint();
                    bodyStart = in.pos;
                    if (bodyLength < 0 || bodyStart + bodyLength > size) {
                        throw new SnapException("snap: cannot decode " + file + ": truncated");
                    }
                    bodyCrc = in.crcOf(bodyLength);
                } else {
                    throw new SnapException("snap: cannot decode " + file + ": unexpected field tag " + tag);
                }
            }
            if (bodyLength <= 0 || crc <= 0) {
                throw new SnapException("snap: empty snapshot in " + file);
            }
            if (crc != bodyCrc) {
                throw new SnapException(
                        String.format("snap: crc mismatch in %s: stored %08x, computed %08x", file, crc, bodyCrc));
            }
            // raftpb.Snapshot inside the body: data (1, bytes) and metadata (2, message).
            in.seek(bodyStart);
            long end = bodyStart + bodyLength;
            long dataOffset = -1;
            long dataLength = 0;
            SnapshotMetadata md = null;
            while (in.pos < end) {
                long tag = in.varint();
                long len = in.varint();
                if (len < 0 || in.pos + len > end) {
                    throw new SnapException("snap: cannot decode the raft snapshot in " + file + ": truncated");
                }
                if (tag == ((1 << 3) | 2)) {
                    dataOffset = in.pos;
                    dataLength = len;
                    in.seek(in.pos + len);
                } else if (tag == ((2 << 3) | 2)) {
                    if (len > (1 << 26)) {
                        throw new SnapException("snap: metadata of " + len + " bytes in " + file);
                    }
                    md = SnapshotMetadata.parseFrom(in.bytes((int) len));
                } else {
                    throw new SnapException(
                            "snap: cannot decode the raft snapshot in " + file + ": unexpected field tag " + tag);
                }
            }
            if (md == null) {
                md = SnapshotMetadata.getDefaultInstance();
            }
            return new SnapshotFile(file, md, dataOffset < 0 ? end : dataOffset, dataLength);
        } catch (SnapException e) {
            throw e;
        } catch (IOException e) {
            throw new SnapException("snap: cannot read " + file + ": " + e, e);
        }
    }

    /** Reads a file through a buffer, tracking the position. */
    private static final class Cursor {
        private final FileChannel ch;
        private InputStream in;
        long pos;

        Cursor(FileChannel ch) throws IOException {
            this.ch = ch;
            seek(0);
        }

        void seek(long p) throws IOException {
            ch.position(p);
            // Not closed: closing would close the channel, which the caller owns.
            in = new BufferedInputStream(Channels.newInputStream(new NonClosingChannel(ch).channel()), BUFFER);
            pos = p;
        }

        int read() throws IOException {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("truncated");
            }
            pos++;
            return b;
        }

        long varint() throws IOException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = read();
                v |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new IOException("malformed varint");
        }

        byte[] bytes(int n) throws IOException {
            byte[] b = in.readNBytes(n);
            if (b.length != n) {
                throw new EOFException("truncated");
            }
            pos += n;
            return b;
        }

        long crcOf(long n) throws IOException {
            CRC32C crc = new CRC32C();
            byte[] buf = new byte[BUFFER];
            long left = n;
            while (left > 0) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (r < 0) {
                    throw new EOFException("truncated");
                }
                crc.update(buf, 0, r);
                left -= r;
            }
            pos += n;
            return crc.getValue();
        }
    }

    /** The channel as seen by a stream that must not close it. */
    private record NonClosingChannel(FileChannel ch) {
        java.nio.channels.ReadableByteChannel channel() {
            return new java.nio.channels.ReadableByteChannel() {
                @Override
                public int read(java.nio.ByteBuffer dst) throws IOException {
                    return ch.read(dst);
                }

                @Override
                public boolean isOpen() {
                    return ch.isOpen();
                }

                @Override
                public void close() {}
            };
        }
    }

    /** Yields exactly {@code left} bytes of the underlying stream, then end of stream. */
    private static final class Bounded extends FilterInputStream {
        private long left;

        Bounded(InputStream in, long left) {
            super(in);
            this.left = left;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = super.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = super.skip(Math.min(n, left));
            left -= s;
            return s;
        }

        @Override
        public int available() throws IOException {
            return (int) Math.min(super.available(), left);
        }
    }
}
