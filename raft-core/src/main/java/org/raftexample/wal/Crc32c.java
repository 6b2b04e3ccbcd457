package org.raftexample.wal;

import java.util.zip.CRC32C;

/**
 * CRC-32C helpers for the chained checksum of the log.
 *
 * <p>The log's checksum runs across every record and carries over into a new segment, so a
 * reader or writer must be able to resume a checksum from a stored value. {@link CRC32C} can
 * only start from zero. {@link #resumeFrom(int)} therefore feeds a fresh instance four bytes
 * chosen so that its running value becomes the wanted one; the register then continues exactly
 * as if it had produced that value itself. (A CRC over four bytes is a bijection of them, so
 * such bytes always exist; they are found by running the table recurrence backwards.)
 */
final class Crc32c {
    /** The reflected Castagnoli polynomial. */
    private static final int POLY = 0x82F63B78;

    private static final int[] TABLE = new int[256];
    /** Maps the top byte of a table entry back to its index (the top bytes are all distinct). */
    private static final int[] TOP_BYTE_INDEX = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int c = i;
            for (int k = 0; k < 8; k++) {
                c = (c & 1) != 0 ? (c >>> 1) ^ POLY : c >>> 1;
            }
            TABLE[i] = c;
            TOP_BYTE_INDEX[c >>> 24] = i;
        }
    }

    private Crc32c() {}

    /** Returns a checksum whose {@code getValue()} is {@code value} and that continues from it. */
    static CRC32C resumeFrom(int value) {
        CRC32C crc = new CRC32C();
        if (value == 0) {
            return crc;
        }
        crc.update(forge(~0, ~value));
        if ((int) crc.getValue() != value) {
            throw new AssertionError("CRC-32C resume failed for " + Integer.toHexString(value));
        }
        return crc;
    }

    /**
     * Finds four bytes that move the raw CRC register from {@code from} to {@code to}.
     *
     * <p>After feeding bytes b0..b3 the register is
     * {@code T[i3] ^ T[i2]>>>8 ^ T[i1]>>>16 ^ T[i0]>>>24} where {@code ik} is the table index used
     * at step k; the top byte of the result fixes i3, the next byte then fixes i2, and so on.
     * With the indices known, each byte follows from the register value at its step.
     */
    private static byte[] forge(int from, int to) {
        int[] idx = new int[4];
        int r = to;
        for (int k = 3; k >= 0; k--) {
            int i = TOP_BYTE_INDEX[r >>> 24];
            idx[k] = i;
            r = (r ^ TABLE[i]) << 8;
        }
        byte[] out = new byte[4];
        int reg = from;
        for (int k = 0; k < 4; k++) {
            out[k] = (byte) ((idx[k] ^ reg) & 0xff);
            reg = TABLE[idx[k]] ^ (reg >>> 8);
        }
        return out;
    }
}
