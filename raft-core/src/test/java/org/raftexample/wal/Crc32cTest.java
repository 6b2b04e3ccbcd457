package org.raftexample.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class Crc32cTest {
    /** Bit-at-a-time CRC-32C that continues from {@code prev}, like Go's crc32.Update. */
    private static int reference(int prev, byte[] data) {
        int crc = ~prev;
        for (byte b : data) {
            crc ^= b & 0xFF;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
            }
        }
        return ~crc;
    }

    @Test
    void resumedChecksumContinuesFromTheGivenValue() {
        Random rnd = new Random(7);
        for (int i = 0; i < 500; i++) {
            int prev = i < 3 ? new int[] {0, -1, 1}[i] : rnd.nextInt();
            byte[] data = new byte[rnd.nextInt(100)];
            rnd.nextBytes(data);
            CRC32C c = Crc32c.resumeFrom(prev);
            assertEquals(prev, (int) c.getValue());
            c.update(data);
            assertEquals(reference(prev, data), (int) c.getValue(), "prev=" + Integer.toHexString(prev));
        }
    }

    @Test
    void freshChecksumMatchesReference() {
        byte[] data = "hello, wal".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        CRC32C c = new CRC32C();
        c.update(data);
        assertEquals(reference(0, data), (int) c.getValue());
    }
}
