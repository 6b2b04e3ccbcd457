package org.raftexample.transport;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * One stream request to a peer ({@code GET /raft/stream/<type>/<id>}) on a socket of its own, whose
 * response body the stream reader reads straight from the socket.
 *
 * <p>A stream is a single long-lived response, so it needs nothing of a pooled HTTP client; reading it
 * through one would add a thread hand-off per message (the client's I/O thread fills a queue, the
 * reader drains it), and a hand-off between threads costs tens of microseconds on a small machine,
 * on the path of every append and every acknowledgement. Here the reader thread blocks in the
 * socket's read, as etcd's reader goroutine blocks in its response body.
 *
 * <p>HTTP/1.1 as the peer's Jetty server speaks it: the body is chunked (or, from another server,
 * delimited by Content-Length or the end of the connection). TLS, when the transport uses it, comes
 * from the HTTP client's own {@link SslContextFactory}, so certificates, trust and host name checks are
 * the same as for every other peer request.
 *
 * <p>Threads: opened and read by one stream reader thread; {@link #close} may be called from any
 * thread (it unblocks a read in progress).
 */
final class StreamConnection implements Closeable {
    /** Longest status or header line accepted from a peer. */
    private static final int MAX_LINE = 8192;
    /** Most header lines accepted from a peer. */
    private static final int MAX_HEADERS = 100;

    private final Socket socket;
    private final InputStream in;
    private final int status;
    private final InputStream body;

    private StreamConnection(Socket socket, InputStream in, int status, InputStream body) {
        this.socket = socket;
        this.in = in;
        this.status = status;
        this.body = body;
    }

    /**
     * Dials {@code base}, sends the request for {@code path} with {@code headers}, and reads the
     * response head within {@code dial}; the body then times out after {@code idle} without a byte.
     */
    static StreamConnection open(
            URI base, String path, HttpFields headers, SslContextFactory.Client tls, Duration dial, Duration idle)
            throws IOException {
        String host = base.getHost();
        int port = base.getPort();
        Socket raw = new Socket();
        Socket socket = raw;
        try {
            raw.setTcpNoDelay(true);
            raw.connect(new InetSocketAddress(host, port), (int) Math.max(1, dial.toMillis()));
            raw.setSoTimeout((int) Math.max(1, dial.toMillis()));
            if (tls != null) {
                SSLSocket ssl =
                        (SSLSocket) tls.getSslContext().getSocketFactory().createSocket(raw, host, port, true);
                ssl.setSSLParameters(tls.customize(ssl.getSSLParameters()));
                ssl.setUseClientMode(true);
                ssl.startHandshake();
                socket = ssl;
            }
            writeRequest(socket.getOutputStream(), base, path, headers);
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            int status = readStatus(in);
            long contentLength = -1;
            boolean chunked = false;
            for (int n = 0; ; n++) {
                String line = readLine(in);
                if (line.isEmpty()) {
                    break;
                }
                if (n >= MAX_HEADERS) {
                    throw new IOException("too many response headers");
                }
                int colon = line.indexOf(':');
                if (colon <= 0) {
                    throw new IOException("malformed response header");
                }
                String name = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (name.equalsIgnoreCase("Transfer-Encoding")) {
                    chunked = value.toLowerCase(java.util.Locale.ROOT).contains("chunked");
                } else if (name.equalsIgnoreCase("Content-Length")) {
                    try {
                        contentLength = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new IOException("malformed Content-Length");
                    }
                }
            }
            socket.setSoTimeout((int) Math.max(1, idle.toMillis()));
            InputStream body =
                    chunked ? new ChunkedBody(in) : contentLength >= 0 ? new BoundedInputStream(in, contentLength) : in;
            return new StreamConnection(socket, in, status, body);
        } catch (IOException | RuntimeException e) {
            closeQuietly(socket);
            closeQuietly(raw);
            throw e;
        }
    }

    int status() {
        return status;
    }

    /** The response body (an exhausted chunked body reads as end of stream). */
    InputStream body() {
        return body;
    }

    @Override
    public void close() {
        closeQuietly(socket);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing a broken connection: nothing left to do
        }
    }

    private static void writeRequest(OutputStream out, URI base, String path, HttpFields headers) throws IOException {
        StringBuilder sb = new StringBuilder(256)
                .append("GET ")
                .append(path)
                .append(" HTTP/1.1\r\nHost: ")
                .append(base.getHost())
                .append(':')
                .append(base.getPort())
                .append("\r\n");
        for (HttpField f : headers) {
            sb.append(f.getName()).append(": ").append(f.getValue()).append("\r\n");
        }
        sb.append("\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static int readStatus(InputStream in) throws IOException {
        String line = readLine(in);
        // "HTTP/1.1 200 OK"
        if (!line.startsWith("HTTP/1.") || line.length() < 12 || line.charAt(8) != ' ') {
            throw new IOException("malformed response status line");
        }
        try {
            return Integer.parseInt(line.substring(9, 12));
        } catch (NumberFormatException e) {
            throw new IOException("malformed response status line");
        }
    }

    /** One CRLF-terminated line of ISO-8859-1 text, without its terminator, at most MAX_LINE bytes. */
    static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed in the response head");
            }
            if (b == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            if (sb.length() >= MAX_LINE) {
                throw new IOException("response line longer than " + MAX_LINE + " bytes");
            }
            sb.append((char) b);
        }
    }

    /**
     * A chunked HTTP/1.1 body (RFC 9112 7.1); trailers after the last chunk are read and ignored. A
     * chunk's framing (its size line, the CRLF after its data) is read a byte at a time from the
     * buffered stream without building strings: a raft stream has one chunk per flush of messages.
     */
    static final class ChunkedBody extends InputStream {
        private final InputStream in;
        private final byte[] one = new byte[1];
        private long remaining;
        private boolean inChunk;
        private boolean ended;

        ChunkedBody(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!nextChunk()) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) {
                throw new EOFException("connection closed inside a chunk");
            }
            remaining -= n;
            return n;
        }

        @Override
        public int available() throws IOException {
            return inChunk ? (int) Math.min(remaining, in.available()) : 0;
        }

        /** Moves to a chunk with bytes left; false at the end of the body. */
        private boolean nextChunk() throws IOException {
            if (ended) {
                return false;
            }
            if (inChunk && remaining > 0) {
                return true;
            }
            if (inChunk) {
                int b = framingByte();
                if (b == '\r') {
                    b = framingByte();
                }
                if (b != '\n') {
                    throw new IOException("malformed chunk: no CRLF after its data");
                }
                inChunk = false;
            }
            long size = chunkSize();
            if (size == 0) {
                for (int n = 0; !readLine(in).isEmpty(); n++) {
                    if (n >= MAX_HEADERS) {
                        throw new IOException("too many trailer lines");
                    }
                }
                ended = true;
                return false;
            }
            remaining = size;
            inChunk = true;
            return true;
        }

        /**
         * A chunk-size line: 1 to 15 hex digits, with blanks around them, then perhaps extensions after
         * ';' (ignored), up to LF (a CR before it is a blank); at most {@value #MAX_LINE} bytes.
         */
        private long chunkSize() throws IOException {
            long size = 0;
            int digits = 0;
            boolean digitsEnded = false;
            boolean extension = false;
            for (int length = 1; ; length++) {
                int b = framingByte();
                if (b == '\n') {
                    break;
                }
                if (length >= MAX_LINE) {
                    throw new IOException("response line longer than " + MAX_LINE + " bytes");
                }
                if (extension) {
                    continue;
                }
                int digit = Character.digit(b, 16);
                if (b == ';') {
                    extension = true;
                } else if (b <= ' ') {
                    digitsEnded = digits > 0;
                } else if (digit < 0 || digitsEnded || ++digits > 15) {
                    throw new IOException("malformed chunk size");
                } else {
                    size = size << 4 | digit;
                }
            }
            if (digits == 0) {
                throw new IOException("malformed chunk size");
            }
            return size;
        }

        private int framingByte() throws IOException {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed in a chunk's framing");
            }
            return b;
        }
    }
}
