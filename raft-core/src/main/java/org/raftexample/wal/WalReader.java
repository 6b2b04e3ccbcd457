package org.raftexample.wal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;
import org.raftexample.wal.pb.Record;

/**
 * Reads the records of consecutive segments as one stream, following the checksum chain:
 * the crc record at the head of each segment must carry the running checksum on, and is
 * consumed here rather than returned.
 */
final class WalReader implements AutoCloseable {
    private final List<Path> segments;
    private int current;
    private SegmentReader reader;
    private CRC32C crc = new CRC32C();

    WalReader(List<Path> segments) {
        this.segments = segments;
    }

    /** Returns the next non-crc record, or null when the last segment has been read. */
    Record next() throws IOException {
        while (true) {
            if (reader == null) {
                if (current == segments.size()) {
                    return null;
                }
                reader = new SegmentReader(segments.get(current), current == segments.size() - 1);
            }
            Record rec = reader.next(crc);
            if (rec == null) {
                if (current == segments.size() - 1) {
                    return null;
                }
                reader.close();
                reader = null;
                current++;
                continue;
            }
            if (RecordType.of(rec.getType()) == null) {
                // The type is outside the checksum, so a damaged type shows up only here.
                throw new CorruptWalException(
                        reader.path(), reader.recordOffset(), "unknown record type " + rec.getType());
            }
            if (rec.getType() == RecordType.CRC.code) {
                int running = (int) crc.getValue();
                // A reader that starts mid-log has no running checksum yet (0) and adopts the stored one.
                if (running != 0 && rec.getCrc() != running) {
                    throw new CorruptWalException(
                            reader.path(),
                            reader.recordOffset(),
                            String.format(
                                    "crc record holds %08x but the checksum of the preceding records is %08x",
                                    rec.getCrc(), running));
                }
                crc = Crc32c.resumeFrom(rec.getCrc());
                continue;
            }
            return rec;
        }
    }

    /** The reader of the last segment once {@link #next()} has returned null. */
    SegmentReader tail() {
        return reader;
    }

    /** The checksum of every good record read so far: where appending continues the chain. */
    int crc() {
        if (reader != null && reader.torn() != null) {
            return reader.torn().crcBefore();
        }
        return (int) crc.getValue();
    }

    /**
     * Decodes a payload of the record last returned, treating anything that does not decode
     * exactly (including fields the message does not have, the sign of a damaged record type)
     * as corruption at that record.
     */
    <T extends com.google.protobuf.Message> T decode(com.google.protobuf.Parser<T> parser, Record rec) {
        T msg;
        try {
            msg = parser.parseFrom(rec.getData());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new CorruptWalException(
                    reader.path(),
                    reader.recordOffset(),
                    "undecodable " + RecordType.of(rec.getType()) + " record: " + e.getMessage());
        }
        if (!msg.getUnknownFields().asMap().isEmpty()) {
            throw new CorruptWalException(
                    reader.path(),
                    reader.recordOffset(),
                    RecordType.of(rec.getType()) + " record holds unknown fields");
        }
        return msg;
    }

    @Override
    public void close() throws IOException {
        if (reader != null) {
            reader.close();
            reader = null;
        }
    }
}
