package org.raftexample.transport;

import java.io.InputStream;
import java.io.OutputStream;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/** The two long-lived streams between a pair of peers and which messages each one carries. */
enum StreamType {
    /** Only MsgApp, in the compact {@link MsgAppFrames} format, so appends flow in order on their own connection. */
    MSGAPP("msgappv2"),
    /** Everything else, heartbeats included, so they never wait behind large appends. */
    MESSAGE("message");

    final String path;

    StreamType(String path) {
        this.path = path;
    }

    static StreamType fromPath(String path) {
        for (StreamType t : values()) {
            if (t.path.equals(path)) {
                return t;
            }
        }
        return null;
    }

    /** The frame encoder for messages from {@code from} to {@code to} on a stream of this type. */
    Frames.Encoder encoder(OutputStream out, long from, long to) {
        return this == MSGAPP ? new MsgAppFrames.Writer(out, from, to) : new Frames.Writer(out);
    }

    /** The frame decoder for messages from {@code from} to {@code to} on a stream of this type. */
    Frames.Decoder decoder(InputStream in, int maxMessageBytes, long from, long to) {
        return this == MSGAPP
                ? new MsgAppFrames.Reader(in, maxMessageBytes, from, to)
                : new Frames.Reader(in, maxMessageBytes);
    }

    static boolean isMsgApp(Message m) {
        return m.getType() == MessageType.MsgApp;
    }
}
