package org.raftexample.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftexample.wal.pb.Record;

/** The frame and record encoding, checked against protobuf-java's own encoding. */
class RecordTest {
    @TempDir
    Path tmp;

    private static byte[] frameOf(Record rec) {
        byte[] body = rec.toByteArray();
        int pad = Frame.padding(body.length);
        ByteBuffer b = ByteBuffer.allocate(8 + body.length + pad).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(Frame.lengthWord(body.length)).put(body);
        return b.array();
    }

    private Path encode(int prevCrc, RecordType type, byte[]... datas) throws IOException {
        Path p = tmp.resolve("seg");
        try (FileChannel ch = FileChannel.open(
                p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            Encoder e = new Encoder(ch, 0, prevCrc);
            for (byte[] d : datas) {
                e.encode(type, d);
            }
            e.flush();
        }
        return p;
    }

    @Test
    void encoderWritesWhatProtobufWouldFramedAndPadded() throws IOException {
        byte[] data = "Hello world!".getBytes(StandardCharsets.US_ASCII);
        Path p = encode(0x1234abcd, RecordType.ENTRY, data);
        CRC32C crc = Crc32c.resumeFrom(0x1234abcd);
        crc.update(data);
        Record want = Record.newBuilder()
                .setType(2)
                .setCrc((int) crc.getValue())
                .setData(ByteString.copyFrom(data))
                .build();
        byte[] got = Files.readAllBytes(p);
        assertArrayEquals(frameOf(want), got);
        assertEquals(0, got.length % 8);
        // The padding count is in the top byte of the length word, flagged by 0x80.
        long word = ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(want.getSerializedSize(), Frame.recordBytes(word));
        assertEquals(Frame.padding(want.getSerializedSize()), Frame.paddingOf(word));
    }

    @Test
    void crcRecordCarriesTheRunningChecksumAndNoData() throws IOException {
        Path p = encode(0xfeedbeef, RecordType.CRC, (byte[]) null);
        Record want = Record.newBuilder().setType(4).setCrc(0xfeedbeef).build();
        assertArrayEquals(frameOf(want), Files.readAllBytes(p));
    }

    @Test
    void lengthWordHasNoPaddingFlagWhenAligned() {
        assertEquals(16L, Frame.lengthWord(16));
        assertEquals(0x8300_0000_0000_000dL, Frame.lengthWord(13));
        assertEquals(13, Frame.recordBytes(Frame.lengthWord(13)));
        assertEquals(3, Frame.paddingOf(Frame.lengthWord(13)));
    }

    @Test
    void readerReturnsRecordsAndChecksTheChain() throws IOException {
        byte[] a = {1, 2, 3};
        byte[] b = new byte[3000];
        Arrays.fill(b, (byte) 7);
        Path p = encode(0, RecordType.ENTRY, a, b);
        try (SegmentReader r = new SegmentReader(p, true)) {
            CRC32C crc = new CRC32C();
            Record r1 = r.next(crc);
            Record r2 = r.next(crc);
            assertArrayEquals(a, r1.getData().toByteArray());
            assertArrayEquals(b, r2.getData().toByteArray());
            assertNull(r.next(crc));
            assertNull(r.torn());
            assertEquals(Files.size(p), r.validOffset());
        }
    }

    @Test
    void emptyFileIsAnEmptySegment() throws IOException {
        Path p = tmp.resolve("empty");
        Files.write(p, new byte[0]);
        try (SegmentReader r = new SegmentReader(p, true)) {
            assertNull(r.next(new CRC32C()));
            assertNull(r.torn());
        }
    }

    @Test
    void truncatedFrameIsTornAtTheTailButCorruptElsewhere() throws IOException {
        Path p = encode(0, RecordType.ENTRY, new byte[] {9, 9, 9, 9});
        long size = Files.size(p);
        for (long cut : new long[] {3, 8, 14, size - 1}) {
            Path q = tmp.resolve("cut" + cut);
            Files.write(q, Arrays.copyOf(Files.readAllBytes(p), (int) cut));
            try (SegmentReader r = new SegmentReader(q, true)) {
                assertNull(r.next(new CRC32C()));
                assertNotNull(r.torn(), "cut at " + cut);
                assertEquals(0, r.torn().offset());
            }
            try (SegmentReader r = new SegmentReader(q, false)) {
                CorruptWalException e = assertThrows(CorruptWalException.class, () -> r.next(new CRC32C()));
                assertEquals(q, e.file());
                assertEquals(0, e.offset());
            }
        }
    }

    @Test
    void nonZeroPaddingIsCorruption() throws IOException {
        Path p = encode(0, RecordType.ENTRY, new byte[] {5, 6, 7}, new byte[] {1});
        byte[] bytes = Files.readAllBytes(p);
        long word = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertTrue(Frame.paddingOf(word) > 0);
        int firstEnd = (int) (8 + Frame.recordBytes(word) + Frame.paddingOf(word));
        bytes[firstEnd - 1] = 1;
        Files.write(p, bytes);
        for (boolean tail : new boolean[] {true, false}) {
            try (SegmentReader r = new SegmentReader(p, tail)) {
                CorruptWalException e = assertThrows(CorruptWalException.class, () -> r.next(new CRC32C()));
                assertEquals(0, e.offset());
            }
        }
    }

    @Test
    void badChecksumOfACompleteRecordIsCorruptionEvenAtTheTail() throws IOException {
        Path p = encode(0, RecordType.ENTRY, new byte[] {5, 6, 7, 8});
        byte[] bytes = Files.readAllBytes(p);
        bytes[
                bytes.length
                        - 1
                        - Frame.paddingOf(ByteBuffer.wrap(bytes)
                                .order(ByteOrder.LITTLE_ENDIAN)
                                .getLong())] ^= 0x10;
        Files.write(p, bytes);
        try (SegmentReader r = new SegmentReader(p, true)) {
            CorruptWalException e = assertThrows(CorruptWalException.class, () -> r.next(new CRC32C()));
            assertEquals(0, e.offset());
        }
    }
}
