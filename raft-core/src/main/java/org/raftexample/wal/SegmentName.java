package org.raftexample.wal;

import java.util.Locale;

/**
 * The name of a segment file, {@code <seq>-<index>.wal} with both numbers as 16 hex digits:
 * seq counts segments from 0, index is the raft index of the first entry the segment may hold.
 */
record SegmentName(long seq, long index) implements Comparable<SegmentName> {
    static final String SUFFIX = ".wal";

    /** Parses a file name, returning null when it is not a segment name. */
    static SegmentName parse(String name) {
        if (name.length() != 16 + 1 + 16 + SUFFIX.length() || !name.endsWith(SUFFIX) || name.charAt(16) != '-') {
            return null;
        }
        try {
            return new SegmentName(
                    Long.parseUnsignedLong(name.substring(0, 16), 16),
                    Long.parseUnsignedLong(name.substring(17, 33), 16));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    String fileName() {
        return String.format(Locale.ROOT, "%016x-%016x%s", seq, index, SUFFIX);
    }

    @Override
    public int compareTo(SegmentName o) {
        int c = Long.compareUnsigned(seq, o.seq);
        return c != 0 ? c : Long.compareUnsigned(index, o.index);
    }

    @Override
    public String toString() {
        return fileName();
    }
}
