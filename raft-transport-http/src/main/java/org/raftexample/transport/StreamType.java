package org.raftexample.transport;

import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/** The two long-lived streams between a pair of peers and which messages each one carries. */
enum StreamType {
    /** Only MsgApp, so that appends flow in order on a connection of their own. */
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

    static boolean isMsgApp(Message m) {
        return m.getType() == MessageType.MsgApp;
    }
}
