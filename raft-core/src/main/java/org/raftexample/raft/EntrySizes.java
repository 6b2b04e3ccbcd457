package org.raftexample.raft;

import java.util.List;
import org.raftexample.raftpb.Entry;

/**
 * Byte sizes of log entries, which raft's flow control and paging limits are expressed in.
 *
 * <p>Sizes are protobuf encoding sizes. Because raft.proto is proto2 with field presence, just
 * like etcd's raftpb, an entry built with the same fields set has the same size here as
 * {@code proto.Size} gives in Go, so limits behave identically.
 */
final class EntrySizes {
    private EntrySizes() {}

    /** The total encoded size of the entries. */
    public static long entsSize(List<Entry> ents) {
        long size = 0;
        for (int i = 0, n = ents.size(); i < n; i++) {
            size += ents.get(i).getSerializedSize();
        }
        return size;
    }

    /**
     * The longest prefix of ents whose total size does not exceed maxSize, except that a
     * non-empty input always gives at least its first entry, however big. The result is a view
     * of ents, not a copy.
     */
    public static List<Entry> limitSize(List<Entry> ents, long maxSize) {
        int n = ents.size();
        if (n == 0) {
            return ents;
        }
        long size = ents.get(0).getSerializedSize();
        for (int limit = 1; limit < n; limit++) {
            size += ents.get(limit).getSerializedSize();
            if (size > maxSize) {
                return ents.subList(0, limit);
            }
        }
        return ents;
    }

    /**
     * The size of the entry's payload alone, independent of its index and term; entries with no
     * data (like the empty entry a new leader appends) count as zero.
     */
    public static long payloadSize(Entry e) {
        return e.getData().size();
    }

    /** The summed payload sizes of the entries. */
    public static long payloadsSize(List<Entry> ents) {
        long size = 0;
        for (int i = 0, n = ents.size(); i < n; i++) {
            size += payloadSize(ents.get(i));
        }
        return size;
    }

    /** ents followed by vals, sized exactly; ents itself when vals is empty (Go's extend). */
    public static List<Entry> extend(List<Entry> ents, List<Entry> vals) {
        return EntrySlice.extend(ents, vals);
    }
}
