package org.raftexample.server;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * A state machine for the glue's own tests: its state is the concatenation of the commands it applied;
 * it accepts only commands that start with {@code "cmd:"}; a snapshot is the state followed by its
 * CRC-32, which {@link #check} verifies. Used by one thread at a time.
 */
final class ChecksummedBytes implements StateMachine {

    static final String PREFIX = "cmd:";

    private final ByteArrayOutputStream state = new ByteArrayOutputStream();

    @Override
    public Object apply(long index, ByteString command) {
        state.writeBytes(command.toByteArray());
        return (long) state.size();
    }

    @Override
    public boolean accepts(ByteString command) {
        return command.startsWith(ByteString.copyFromUtf8(PREFIX));
    }

    @Override
    public View view() {
        byte[] copy = state.toByteArray();
        return new View() {
            @Override
            public long writeTo(OutputStream out) throws IOException {
                out.write(snapshotOf(copy));
                return 1;
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public void restore(InputStream snapshot) throws IOException {
        byte[] data = verified(snapshot.readAllBytes());
        state.reset();
        state.writeBytes(data);
    }

    @Override
    public void check(InputStream snapshot) throws IOException {
        verified(snapshot.readAllBytes());
    }

    /** The snapshot of a state holding {@code data}. */
    static byte[] snapshotOf(byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(data);
        return ByteBuffer.allocate(data.length + 8)
                .put(data)
                .putLong(crc.getValue())
                .array();
    }

    private static byte[] verified(byte[] snap) throws IOException {
        if (snap.length < 8) {
            throw new EOFException("a snapshot of " + snap.length + " bytes has no checksum");
        }
        byte[] data = Arrays.copyOf(snap, snap.length - 8);
        long want = new DataInputStream(new java.io.ByteArrayInputStream(snap, snap.length - 8, 8)).readLong();
        CRC32 crc = new CRC32();
        crc.update(data);
        if (crc.getValue() != want) {
            throw new IOException("snapshot checksum mismatch");
        }
        return data;
    }
}
