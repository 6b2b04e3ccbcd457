package org.raftexample.transport;

import org.eclipse.jetty.http.HttpFields;

/** Paths, header names and the protocol version shared by the sending and the receiving side. */
final class Protocol {

    static final String RAFT_PATH = "/raft";
    static final String SNAPSHOT_PATH = "/raft/snapshot";
    static final String STREAM_PREFIX = "/raft/stream/";
    /** Answered 200 by every member, for measuring round trips (as etcd's prober does). */
    static final String PROBING_PATH = "/raft/probing";

    static final String CLUSTER_ID = "X-Etcd-Cluster-ID";
    static final String SERVER_FROM = "X-Server-From";
    static final String RAFT_TO = "X-Raft-To";
    static final String SERVER_VERSION = "X-Server-Version";
    static final String MIN_CLUSTER_VERSION = "X-Min-Cluster-Version";

    /**
     * The version of this wire protocol. Peers talk only if their major versions agree; a new minor version
     * may add endpoints or headers but keeps every existing frame readable.
     */
    static final String VERSION = "1.0.0";

    static final String MIN_VERSION = "1.0.0";

    static final String CONTENT_TYPE_PROTOBUF = "application/x-protobuf";
    static final String CONTENT_TYPE_STREAM = "application/octet-stream";

    private Protocol() {}

    /** Ids travel as unsigned hexadecimal, as etcd prints them. */
    static String formatId(long id) {
        return Long.toHexString(id);
    }

    /** Parses an id in unsigned hexadecimal; throws NumberFormatException on anything else. */
    static long parseId(String text) {
        if (text == null || text.isEmpty() || text.length() > 16) {
            throw new NumberFormatException("bad id: " + text);
        }
        return Long.parseUnsignedLong(text, 16);
    }

    /** Adds the headers every request from {@code from} to {@code to} carries. */
    static void addRequestHeaders(HttpFields.Mutable headers, long clusterId, long from, long to) {
        headers.put(CLUSTER_ID, formatId(clusterId));
        headers.put(SERVER_FROM, formatId(from));
        headers.put(RAFT_TO, formatId(to));
        headers.put(SERVER_VERSION, VERSION);
        headers.put(MIN_CLUSTER_VERSION, MIN_VERSION);
    }

    /** Whether a peer announcing {@code remoteVersion} speaks a protocol this node understands. */
    static boolean compatible(String remoteVersion) {
        if (remoteVersion == null) {
            return false;
        }
        int dot = remoteVersion.indexOf('.');
        String major = dot < 0 ? remoteVersion : remoteVersion.substring(0, dot);
        return major.equals(VERSION.substring(0, VERSION.indexOf('.')));
    }
}
