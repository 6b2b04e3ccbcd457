package org.raftexample.wal;

/**
 * The framing of one record on disk: an 8-byte little-endian length word, the encoded
 * Record, then zero padding up to a multiple of 8 bytes.
 *
 * <p>The low 56 bits of the length word hold the record's length. When there is padding, the
 * top byte is {@code 0x80 | padding}; that keeps old readers working (they ignore the top
 * byte's meaning) while every frame starts 8-byte aligned.
 */
final class Frame {
    static final int HEADER_BYTES = 8;
    /** Torn-write detection reasons about device sectors of this size. */
    static final int SECTOR_BYTES = 512;

    private static final long LENGTH_MASK = 0x00FF_FFFF_FFFF_FFFFL;

    private Frame() {}

    static int padding(int recordBytes) {
        return (8 - (recordBytes & 7)) & 7;
    }

    static long lengthWord(int recordBytes) {
        int pad = padding(recordBytes);
        long word = recordBytes;
        if (pad != 0) {
            word |= (long) (0x80 | pad) << 56;
        }
        return word;
    }

    static long recordBytes(long lengthWord) {
        return lengthWord & LENGTH_MASK;
    }

    static int paddingOf(long lengthWord) {
        return lengthWord < 0 ? (int) ((lengthWord >>> 56) & 0x7) : 0;
    }
}
