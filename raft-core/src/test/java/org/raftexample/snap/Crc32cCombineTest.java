package org.raftexample.snap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The combined CRC of two parts is the CRC of their concatenation, at every split. */
class Crc32cCombineTest {

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    @Test
    void combiningThePartsGivesTheCrcOfTheWhole() {
        Random r = new Random(11);
        for (int size : new int[] {0, 1, 2, 7, 8, 100, 4096, 65_537, 1 << 20}) {
            byte[] b = new byte[size];
            r.nextBytes(b);
            int whole = crc(b, 0, size);
            int[] splits = {0, size, size / 2, r.nextInt(size + 1), r.nextInt(size + 1)};
            for (int at : splits) {
                assertEquals(
                        whole,
                        Crc32cCombine.combine(crc(b, 0, at), crc(b, at, size - at), size - at),
                        "size " + size + " split at " + at);
            }
        }
    }

    @Test
    void lengthsPastTwoGibibytes() {
        // A head, then 3 GiB of zeros: the CRC read straight through against one combined from parts.
        byte[] head = "raft".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] mib = new byte[1 << 20];
        CRC32C straight = new CRC32C();
        straight.update(head);
        CRC32C oneGib = new CRC32C();
        for (int i = 0; i < 3 * 1024; i++) {
            straight.update(mib);
            if (i < 1024) {
                oneGib.update(mib);
            }
        }
        int gib = (int) oneGib.getValue();
        int threeGib = Crc32cCombine.combine(Crc32cCombine.combine(gib, gib, 1L << 30), gib, 1L << 30);
        assertEquals((int) straight.getValue(), Crc32cCombine.combine(crc(head, 0, head.length), threeGib, 3L << 30));
        assertThrows(IllegalArgumentException.class, () -> Crc32cCombine.combine(1, 2, -1));
    }
}
