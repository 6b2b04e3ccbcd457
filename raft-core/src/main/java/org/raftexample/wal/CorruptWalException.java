package org.raftexample.wal;

import java.nio.file.Path;

/**
 * Damaged data in a segment that cannot be explained as a write torn by a crash: a checksum
 * mismatch, an unparseable record or a truncated frame anywhere but at the tail of the log.
 * Names the segment file and the byte offset of the record that failed.
 */
public final class CorruptWalException extends WalException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    /** Byte offset of the damaged record's frame in its segment. */
    private final long offset;

    /**
     * Damage at a place in a segment.
     *
     * @param file the segment file
     * @param offset the byte offset of the damaged frame
     * @param reason what is wrong
     */
    public CorruptWalException(Path file, long offset, String reason) {
        super("wal: corrupt record in " + file + " at offset " + offset + ": " + reason);
        this.file = file;
        this.offset = offset;
    }

    /**
     * The segment file holding the damaged record.
     *
     * @return the segment file
     */
    public Path file() {
        return file;
    }

    /**
     * Byte offset of the damaged record's frame within {@link #file()}.
     *
     * @return the offset
     */
    public long offset() {
        return offset;
    }
}
