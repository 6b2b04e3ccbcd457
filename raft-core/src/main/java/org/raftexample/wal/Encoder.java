package org.raftexample.wal;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Appends framed records to the tail segment.
 *
 * <p>Records are encoded into one reused buffer and reach the file only on {@link #flush()},
 * so a whole Ready batch costs one write call. The Record message is written by hand (three
 * fields, in field-number order, exactly as protobuf would) because its crc field depends on
 * the data that follows it; this avoids building and re-serialising a Record per entry.
 */
final class Encoder {
    private static final int INITIAL_BUFFER = 1 << 20;
    private static final int TAG_TYPE = 1 << 3; // field 1, varint
    private static final int TAG_CRC = 2 << 3; // field 2, varint
    private static final int TAG_DATA = (3 << 3) | 2; // field 3, length-delimited

    private FileChannel channel;
    /** File offset at which the buffered bytes will be written. */
    private long flushedPos;

    private final CRC32C crc;
    private ByteBuffer buf;
    private byte[] scratch = new byte[4096];

    Encoder(FileChannel channel, long pos, int prevCrc) {
        this.channel = channel;
        this.flushedPos = pos;
        this.crc = Crc32c.resumeFrom(prevCrc);
        this.buf = ByteBuffer.allocate(INITIAL_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Continues in another file (a new segment) at {@code pos}; the checksum carries on. */
    void retarget(FileChannel newChannel, long pos) throws IOException {
        flush();
        this.channel = newChannel;
        this.flushedPos = pos;
    }

    /** The running checksum: the crc of the last record encoded. */
    int crc() {
        return (int) crc.getValue();
    }

    /** The file offset just past the last record encoded (flushed or not). */
    long position() {
        return flushedPos + buf.position();
    }

    /**
     * Encodes one record. {@code data} may be null for a record without data (the crc record),
     * which leaves the checksum unchanged and stores it in the record.
     */
    void encode(RecordType type, byte[] data) throws IOException {
        encode(type, data, data == null ? 0 : data.length);
    }

    /**
     * Encodes one record whose data is {@code msg} serialised. The bytes go through a scratch
     * array kept across calls, so appending an entry allocates nothing.
     */
    void encodeMessage(RecordType type, MessageLite msg) throws IOException {
        int size = msg.getSerializedSize();
        if (scratch.length < size) {
            scratch = new byte[Math.max(size, scratch.length * 2)];
        }
        CodedOutputStream out = CodedOutputStream.newInstance(scratch, 0, size);
        msg.writeTo(out);
        out.checkNoSpaceLeft();
        encode(type, scratch, size);
    }

    /** Encodes a record with the first {@code length} bytes of {@code data} (or none if null). */
    private void encode(RecordType type, byte[] data, int length) throws IOException {
        if (data != null) {
            crc.update(data, 0, length);
        }
        long crcValue = crc.getValue();
        int recordBytes = 1 + varintSize(type.code) + 1 + varintSize(crcValue);
        if (data != null) {
            recordBytes += 1 + varintSize(length) + length;
        }
        int pad = Frame.padding(recordBytes);
        int frameBytes = Frame.HEADER_BYTES + recordBytes + pad;
        ensureRoom(frameBytes);

        buf.putLong(Frame.lengthWord(recordBytes));
        buf.put((byte) TAG_TYPE);
        putVarint(type.code);
        buf.put((byte) TAG_CRC);
        putVarint(crcValue);
        if (data != null) {
            buf.put((byte) TAG_DATA);
            putVarint(length);
            buf.put(data, 0, length);
        }
        for (int i = 0; i < pad; i++) {
            buf.put((byte) 0);
        }
    }

    /** Writes every buffered record to the file (without syncing). */
    void flush() throws IOException {
        if (buf.position() == 0) {
            return;
        }
        buf.flip();
        int n = buf.remaining();
        DiskIo.writeFully(channel, buf, flushedPos);
        flushedPos += n;
        buf.clear();
    }

    private void ensureRoom(int frameBytes) throws IOException {
        if (buf.remaining() >= frameBytes) {
            return;
        }
        flush();
        if (buf.capacity() < frameBytes) {
            int cap = Integer.highestOneBit(frameBytes - 1) << 1;
            buf = ByteBuffer.allocate(cap > 0 ? cap : frameBytes).order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    private void putVarint(long v) {
        while ((v & ~0x7FL) != 0) {
            buf.put((byte) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        buf.put((byte) v);
    }

    static int varintSize(long v) {
        int n = 1;
        while ((v & ~0x7FL) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }
}
