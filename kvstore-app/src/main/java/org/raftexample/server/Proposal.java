package org.raftexample.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.IOException;

/**
 * The data of a normal entry this glue proposes: the application's command behind a small header that
 * names the proposing node and its request id, so that the node that proposed it completes the waiting
 * request when the entry is applied (etcd's server puts an ID in every request it proposes for the same
 * reason, and waits on it with {@code pkg/wait}).
 *
 * <p>Layout: byte 0x00, byte 0x01 (the version), the proposer's id and the request id as unsigned
 * varints, then the command's bytes. A protobuf message never starts with 0x00 (field number 0 does not
 * exist), so data written by an older version of an application whose records are protobuf messages -
 * the key-value store's - is told apart from it and handed to the state machine whole, as a command
 * without a proposer. Stateless; any thread.
 */
record Proposal(long proposer, long requestId, ByteString command) {

    private static final byte MARK = 0x00;
    private static final byte VERSION = 0x01;

    /** Frames {@code command} as proposed by {@code proposer} for its request {@code requestId}. */
    static ByteString encode(long proposer, long requestId, ByteString command) {
        int header = 2
                + CodedOutputStream.computeUInt64SizeNoTag(proposer)
                + CodedOutputStream.computeUInt64SizeNoTag(requestId);
        byte[] head = new byte[header];
        head[0] = MARK;
        head[1] = VERSION;
        CodedOutputStream out = CodedOutputStream.newInstance(head, 2, header - 2);
        try {
            out.writeUInt64NoTag(proposer);
            out.writeUInt64NoTag(requestId);
            out.flush();
        } catch (IOException e) {
            throw new IllegalStateException("the header was sized to fit", e);
        }
        // No copy of the command: the two pieces are joined as a rope.
        return com.google.protobuf.UnsafeByteOperations.unsafeWrap(head).concat(command);
    }

    /**
     * The proposal {@code data} holds: framed data gives its proposer, request id and command; anything
     * else (older records, raft's own empty entries) is a command with proposer 0. Null when the data
     * starts as framed data but its header does not decode (a torn or forged entry).
     */
    static Proposal decode(ByteString data) {
        if (data.size() < 2 || data.byteAt(0) != MARK) {
            return new Proposal(0, 0, data);
        }
        if (data.byteAt(1) != VERSION) {
            return null;
        }
        // The varints are read in place: on the proposing node the data is a rope (header, command),
        // and a CodedInputStream over a rope reads through a 4 KiB buffer of its own, once per entry.
        int proposerEnd = varintEnd(data, 2);
        int idEnd = proposerEnd < 0 ? -1 : varintEnd(data, proposerEnd);
        if (idEnd < 0) {
            return null;
        }
        return new Proposal(varint(data, 2, proposerEnd), varint(data, proposerEnd, idEnd), data.substring(idEnd));
    }

    /**
     * Where the unsigned varint at {@code at} ends, or -1 when it is cut short or longer than the 10
     * bytes protobuf reads.
     */
    private static int varintEnd(ByteString data, int at) {
        for (int i = at; i < at + 10 && i < data.size(); i++) {
            if (data.byteAt(i) >= 0) {
                return i + 1;
            }
        }
        return -1;
    }

    /** The value of the varint in {@code [from, to)}, as protobuf reads it (bits past 64 dropped). */
    private static long varint(ByteString data, int from, int to) {
        long value = 0;
        for (int i = from; i < to; i++) {
            value |= (long) (data.byteAt(i) & 0x7f) << (7 * (i - from));
        }
        return value;
    }
}
