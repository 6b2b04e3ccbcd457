package org.raftexample.wal;

/** The kinds of WAL record, with the numeric codes stored in {@code Record.type} (as etcd's). */
enum RecordType {
    /** Opaque application metadata, written at the head of every segment. */
    METADATA(1),
    /** One raftpb.Entry. */
    ENTRY(2),
    /** A raftpb.HardState. */
    STATE(3),
    /** The running checksum at the start of a segment; its crc field carries it over. */
    CRC(4),
    /** A walpb.Snapshot marker. */
    SNAPSHOT(5);

    final long code;

    RecordType(long code) {
        this.code = code;
    }

    /** Returns the type for a stored code, or null for a code this version does not know. */
    static RecordType of(long code) {
        for (RecordType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
