package org.raftexample.snap;

/**
 * Combines CRC-32C values: from the CRC of A, the CRC of B and B's length, the CRC of A followed by B,
 * without reading either again. A snapshot's data is streamed to disk before its length, which the
 * checksummed bytes start with, is known; its CRC is taken over the data alone and combined with the
 * CRC of the length prefix once that is written.
 *
 * <p>How: appending B to A multiplies A's remainder by x^(8·len(B)) modulo the CRC polynomial and adds
 * B's remainder (the CRC's pre- and post-conditioning cancel out in the sum). The power of x is built
 * from the squares x^(2^k) mod P, so the work is logarithmic in the length. Polynomials are in the
 * CRC's reflected bit order: x^0 is the top bit of the int.
 *
 * <p>Threads: stateless; any thread.
 */
final class Crc32cCombine {
    /** The Castagnoli polynomial, reflected. */
    private static final int POLY = 0x82F63B78;
    /** X_POW_2K[k] = x^(2^k) mod P, for every bit of 8 times a long length. */
    private static final int[] X_POW_2K = new int[3 + Long.SIZE];

    static {
        X_POW_2K[0] = 1 << 30; // x^1
        for (int k = 1; k < X_POW_2K.length; k++) {
            X_POW_2K[k] = multiply(X_POW_2K[k - 1], X_POW_2K[k - 1]);
        }
    }

    private Crc32cCombine() {}

    /**
     * The CRC-32C of A followed by B.
     *
     * @param crcA the CRC-32C of A
     * @param crcB the CRC-32C of B
     * @param lengthB B's length in bytes
     * @return the CRC-32C of the concatenation
     */
    static int combine(int crcA, int crcB, long lengthB) {
        if (lengthB < 0) {
            throw new IllegalArgumentException("negative length " + lengthB);
        }
        return multiply(xPowEightTimes(lengthB), crcA) ^ crcB;
    }

    /** x^(8·n) mod P: the product of x^(2^k) over the set bits k of 8·n. */
    private static int xPowEightTimes(long n) {
        int p = 1 << 31; // x^0
        int k = 3; // 8·n: start at bit 3
        for (long bits = n; bits != 0; bits >>>= 1, k++) {
            if ((bits & 1) != 0) {
                p = multiply(X_POW_2K[k], p);
            }
        }
        return p;
    }

    /** a·b mod P, in the reflected order. */
    private static int multiply(int a, int b) {
        int product = 0;
        for (int bit = 1 << 31; bit != 0; bit >>>= 1) {
            if ((a & bit) != 0) {
                product ^= b;
            }
            // b·x: a shift towards the low bit, reduced by P when x^31 falls off.
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
        return product;
    }
}
