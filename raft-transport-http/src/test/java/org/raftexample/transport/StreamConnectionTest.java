package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StreamConnectionTest {

    private static InputStream chunked(String wire) {
        return new StreamConnection.ChunkedBody(new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void chunkedBodyJoinsChunksAndEndsAtTheLastOne() throws IOException {
        InputStream body = chunked("5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nTrailer: x\r\n\r\nleftover");
        assertArrayEquals("hello world!".getBytes(StandardCharsets.ISO_8859_1), body.readAllBytes());
        assertEquals(-1, body.read());
    }

    @Test
    void chunkedBodyRefusesMalformedFraming() {
        assertThrows(IOException.class, () -> chunked("zz\r\nab\r\n0\r\n\r\n").readAllBytes());
        assertThrows(IOException.class, () -> chunked("2\r\nabXY0\r\n\r\n").readAllBytes());
        assertThrows(IOException.class, () -> chunked("fffffffffffffffff\r\n").readAllBytes());
        assertThrows(EOFException.class, () -> chunked("10\r\nshort").readAllBytes());
        assertThrows(IOException.class, () -> chunked("1".repeat(20_000)).readAllBytes());
        // A size is hex digits only: no sign, no blank inside it, not empty.
        assertThrows(
                IOException.class, () -> chunked("-5\r\nhello\r\n0\r\n\r\n").readAllBytes());
        assertThrows(
                IOException.class, () -> chunked("+5\r\nhello\r\n0\r\n\r\n").readAllBytes());
        assertThrows(IOException.class, () -> chunked("1 0\r\n").readAllBytes());
        assertThrows(IOException.class, () -> chunked(";ext\r\n").readAllBytes());
        assertThrows(IOException.class, () -> chunked("\r\n").readAllBytes());
        assertThrows(EOFException.class, () -> chunked("5\r\nhello").readAllBytes());
        assertThrows(IOException.class, () -> chunked("5\r\nhello\rX").readAllBytes());
    }

    @Test
    void chunkSizesAreReadAsHexWithBlanksAroundAndAnExtensionAfter() throws IOException {
        byte[] data = new byte[0x1aB];
        java.util.Arrays.fill(data, (byte) 'x');
        String wire = " \t1aB ;name=value;x\r\n" + "x".repeat(0x1ab) + "\n" + "7fffffff\n";
        InputStream body = chunked(wire);
        assertArrayEquals(data, body.readNBytes(0x1ab));
        // The next chunk claims 2^31 - 1 bytes: its size is read whole, the stream then ends inside it.
        assertThrows(EOFException.class, body::read);
        InputStream max = chunked("fffffffffffffff\r\nab");
        assertEquals('a', max.read());
        assertEquals(1, max.available());
    }

    @Test
    void headLinesAreBoundedAndNeedTheirTerminator() throws IOException {
        assertEquals(
                "HTTP/1.1 200 OK",
                StreamConnection.readLine(new ByteArrayInputStream("HTTP/1.1 200 OK\r\nX".getBytes())));
        assertThrows(
                EOFException.class, () -> StreamConnection.readLine(new ByteArrayInputStream("no end".getBytes())));
        assertThrows(IOException.class, () -> StreamConnection.readLine(new ByteArrayInputStream(new byte[100_000])));
    }
}
