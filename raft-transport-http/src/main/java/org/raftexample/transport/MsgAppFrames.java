package org.raftexample.transport;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * The compact frame format of the msgappv2 stream (this port's own, in the spirit of etcd's msgappv2).
 *
 * <p>A leader's appends to one follower usually continue one another: same term, and each starts right after
 * the last entry of the previous one. Both ends remember that position, so such a MsgApp travels as its entries
 * and commit index only. Every frame starts with a one-byte kind:
 * <pre>
 *   0  link heartbeat, nothing follows
 *   1  continuing MsgApp: varint entry count, per entry (varint length, Entry protobuf), varint commit
 *   2  any message: uint32 big-endian length, Message protobuf
 * </pre>
 * Varints are unsigned LEB128, as in protobuf. The encoder uses kind 1 only when decoding it reproduces a message equal to the
 * original, so the compaction can never lose a field; anything else (a new term, a probe, a message with
 * unusual fields) goes as kind 2 and resets the remembered position.
 */
final class MsgAppFrames {
    static final int HEARTBEAT = 0;
    static final int CONTINUATION = 1;
    static final int FULL = 2;

    private MsgAppFrames() {}

    /** The position both ends track: the term and the last entry of the previous MsgApp. */
    private static final class Position {
        boolean known;
        long term;
        long lastIndex;
        long lastLogTerm;

        void advance(Message m) {
            known = true;
            term = m.getTerm();
            if (m.getEntriesCount() > 0) {
                Entry last = m.getEntries(m.getEntriesCount() - 1);
                lastIndex = last.getIndex();
                lastLogTerm = last.getTerm();
            } else {
                lastIndex = m.getIndex();
                lastLogTerm = m.getLogTerm();
            }
        }

        /** The message a continuation frame with these entries and commit stands for. */
        Message continuation(long from, long to, List<Entry> entries, long commit) {
            return Message.newBuilder()
                    .setType(MessageType.MsgApp)
                    .setTo(to)
                    .setFrom(from)
                    .setTerm(term)
                    .setLogTerm(lastLogTerm)
                    .setIndex(lastIndex)
                    .addAllEntries(entries)
                    .setCommit(commit)
                    .build();
        }
    }

    /** Encodes the messages from {@code from} to {@code to}. */
    static final class Writer implements Frames.Encoder {
        private final OutputStream raw;
        /** Buffers and encodes every frame; one per stream, so writing an entry allocates nothing. */
        private final CodedOutputStream out;

        private final long from;
        private final long to;
        private final Position position = new Position();

        Writer(OutputStream out, long from, long to) {
            this.raw = out;
            this.out = CodedOutputStream.newInstance(out);
            this.from = from;
            this.to = to;
        }

        @Override
        public void write(Message m) throws IOException {
            if (m.getType() == MessageType.MsgApp
                    && position.known
                    && m.getTerm() == position.term
                    && m.getIndex() == position.lastIndex
                    && m.getLogTerm() == position.lastLogTerm
                    && isContinuation(m)) {
                out.writeRawByte(CONTINUATION);
                out.writeUInt64NoTag(m.getEntriesCount());
                for (int i = 0, n = m.getEntriesCount(); i < n; i++) {
                    Entry e = m.getEntries(i);
                    out.writeUInt64NoTag(e.getSerializedSize());
                    e.writeTo(out);
                }
                out.writeUInt64NoTag(m.getCommit());
            } else {
                out.writeRawByte(FULL);
                int size = m.getSerializedSize();
                out.writeRawByte(size >>> 24);
                out.writeRawByte(size >>> 16);
                out.writeRawByte(size >>> 8);
                out.writeRawByte(size);
                m.writeTo(out);
            }
            if (m.getType() == MessageType.MsgApp) {
                position.advance(m);
            } else {
                position.known = false;
            }
        }

        /**
         * Whether the decoder's rebuilt message ({@link Position#continuation}) would equal {@code m}
         * (its term, index and log term the caller has compared with the position). The rebuilt
         * message has exactly the fields type, to, from, term, logTerm, index, entries and commit:
         * {@code m} must have each of them, with this stream's ends, and nothing else, which its
         * encoded size tells without building anything: any other field, set even to its default,
         * or an unknown field, would make it larger than the size of those fields alone.
         */
        private boolean isContinuation(Message m) {
            if (!m.hasType()
                    || !m.hasTo()
                    || m.getTo() != to
                    || !m.hasFrom()
                    || m.getFrom() != from
                    || !m.hasTerm()
                    || !m.hasLogTerm()
                    || !m.hasIndex()
                    || !m.hasCommit()) {
                return false;
            }
            long size = CodedOutputStream.computeEnumSize(1, m.getType().getNumber())
                    + CodedOutputStream.computeUInt64Size(2, to)
                    + CodedOutputStream.computeUInt64Size(3, from)
                    + CodedOutputStream.computeUInt64Size(4, m.getTerm())
                    + CodedOutputStream.computeUInt64Size(5, m.getLogTerm())
                    + CodedOutputStream.computeUInt64Size(6, m.getIndex())
                    + CodedOutputStream.computeUInt64Size(8, m.getCommit());
            for (int i = 0, n = m.getEntriesCount(); i < n; i++) {
                size += CodedOutputStream.computeMessageSize(7, m.getEntries(i));
            }
            return size == m.getSerializedSize();
        }

        @Override
        public void writeHeartbeat() throws IOException {
            out.writeRawByte(HEARTBEAT);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
            raw.flush();
        }
    }

    /** Decodes the messages a peer ({@code from}) sends to this node ({@code to}). */
    static final class Reader implements Frames.Decoder {
        private final DataInputStream in;
        private final int maxMessageBytes;
        private final long from;
        private final long to;
        private final Position position = new Position();

        Reader(InputStream in, int maxMessageBytes, long from, long to) {
            this.in = new DataInputStream(in);
            this.maxMessageBytes = maxMessageBytes;
            this.from = from;
            this.to = to;
        }

        @Override
        public Message read() throws IOException {
            int kind = in.read();
            if (kind < 0) {
                throw new EOFException();
            }
            try {
                Message m;
                switch (kind) {
                    case HEARTBEAT:
                        return null;
                    case CONTINUATION:
                        m = readContinuation();
                        break;
                    case FULL:
                        m = readFull();
                        break;
                    default:
                        throw new Frames.FrameException("unknown msgappv2 frame kind " + kind);
                }
                if (m.getType() == MessageType.MsgApp) {
                    position.advance(m);
                } else {
                    position.known = false;
                }
                return m;
            } catch (EOFException e) {
                throw new Frames.FrameException("stream ended inside a frame", e);
            }
        }

        private Message readFull() throws IOException {
            int size = in.readInt();
            if (size <= 0 || size > maxMessageBytes) {
                throw new Frames.FrameException("bad msgappv2 frame length " + Integer.toUnsignedString(size));
            }
            byte[] body = new byte[size];
            in.readFully(body);
            return Frames.decode(body);
        }

        private Message readContinuation() throws IOException {
            if (!position.known) {
                throw new Frames.FrameException("continuation frame without a preceding MsgApp");
            }
            long count = readVarint(in);
            // Each entry costs at least one byte (its length), which bounds the count by the message limit.
            // Compared unsigned: a varint with the top bit set is a negative long, not a small count.
            if (Long.compareUnsigned(count, maxMessageBytes) > 0) {
                throw new Frames.FrameException("bad entry count " + Long.toUnsignedString(count));
            }
            List<Entry> entries = new ArrayList<>((int) Math.min(count, 1024));
            long total = 0;
            for (long i = 0; i < count; i++) {
                long size = readVarint(in);
                total += 1 + size;
                if (Long.compareUnsigned(size, maxMessageBytes) > 0 || total > maxMessageBytes) {
                    throw new Frames.FrameException("msgappv2 frame exceeds the limit of " + maxMessageBytes);
                }
                byte[] body = new byte[(int) size];
                in.readFully(body);
                try {
                    entries.add(Entry.parseFrom(body));
                } catch (InvalidProtocolBufferException e) {
                    throw new Frames.FrameException("undecodable entry: " + e.getMessage(), e);
                }
            }
            long commit = readVarint(in);
            return position.continuation(from, to, entries, commit);
        }
    }

    static long readVarint(DataInputStream in) throws IOException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new Frames.FrameException("varint longer than 10 bytes");
    }
}
