package org.raftexample.transport;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.raftexample.raftpb.Message;

/**
 * The framing of messages on a stream: a 4-byte big-endian length, then that many bytes of an encoded
 * {@link Message}. A frame of length 0 is a link heartbeat and carries no message (a real raft message always
 * has its type set, so it never encodes to zero bytes).
 */
final class Frames {

    private Frames() {}

    /** Thrown when the peer sends something that is not a valid frame; the stream is then closed. */
    static final class FrameException extends IOException {
        private static final long serialVersionUID = 1L;

        FrameException(String message) {
            super(message);
        }

        FrameException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** What a stream writer needs from a frame format. */
    interface Encoder {
        void write(Message m) throws IOException;

        void writeHeartbeat() throws IOException;

        void flush() throws IOException;
    }

    /** What a stream reader needs from a frame format. */
    interface Decoder {
        /** Returns the next message, {@code null} for a heartbeat; throws EOFException at a clean end. */
        Message read() throws IOException;
    }

    /** Writes frames to a buffered stream; the caller decides when to flush. */
    static final class Writer implements Encoder {
        private final OutputStream raw;
        /** Encodes every frame of the stream: one buffer for all, none allocated per message. */
        private final CodedOutputStream out;

        Writer(OutputStream out) {
            this.raw = out;
            this.out = CodedOutputStream.newInstance(out);
        }

        @Override
        public void write(Message m) throws IOException {
            writeLength(m.getSerializedSize());
            m.writeTo(out);
        }

        @Override
        public void writeHeartbeat() throws IOException {
            writeLength(0);
        }

        private void writeLength(int size) throws IOException {
            out.writeRawByte(size >>> 24);
            out.writeRawByte(size >>> 16);
            out.writeRawByte(size >>> 8);
            out.writeRawByte(size);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
            raw.flush();
        }
    }

    /** Reads frames, refusing any longer than the limit. */
    static final class Reader implements Decoder {
        private final DataInputStream in;
        private final int maxMessageBytes;

        Reader(InputStream in, int maxMessageBytes) {
            this.in = new DataInputStream(in);
            this.maxMessageBytes = maxMessageBytes;
        }

        @Override
        public Message read() throws IOException {
            int size = in.readInt();
            if (size == 0) {
                return null;
            }
            if (size < 0 || size > maxMessageBytes) {
                throw new FrameException("frame of " + Integer.toUnsignedString(size) + " bytes exceeds the limit of "
                        + maxMessageBytes);
            }
            byte[] body = new byte[size];
            try {
                in.readFully(body);
            } catch (EOFException e) {
                throw new FrameException("stream ended inside a frame", e);
            }
            return decode(body);
        }
    }

    /** Decodes one message and checks that it is one: a message without a type is refused. */
    static Message decode(byte[] body) throws FrameException {
        Message m;
        try {
            m = Message.parseFrom(body);
        } catch (InvalidProtocolBufferException e) {
            throw new FrameException("undecodable message: " + e.getMessage(), e);
        }
        if (!m.hasType()) {
            throw new FrameException("message without a type");
        }
        return m;
    }
}
