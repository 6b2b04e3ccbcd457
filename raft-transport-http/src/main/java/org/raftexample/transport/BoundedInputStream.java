package org.raftexample.transport;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** A view of exactly {@code size} bytes of another stream; ending early is an error, reading past is EOF. */
final class BoundedInputStream extends InputStream {

    /** The underlying stream ended before {@code size} bytes: the sender's body was truncated. */
    static final class TruncatedException extends EOFException {
        private static final long serialVersionUID = 1L;

        TruncatedException(String message) {
            super(message);
        }
    }

    private final InputStream in;
    private final long size;
    private long remaining;

    BoundedInputStream(InputStream in, long size) {
        this.in = in;
        this.size = size;
        this.remaining = size;
    }

    @Override
    public int read() throws IOException {
        if (remaining == 0) {
            return -1;
        }
        int b = in.read();
        if (b < 0) {
            throw truncated();
        }
        remaining--;
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (remaining == 0) {
            return -1;
        }
        int n = in.read(buf, off, (int) Math.min(len, remaining));
        if (n < 0) {
            throw truncated();
        }
        remaining -= n;
        return n;
    }

    @Override
    public int available() throws IOException {
        return (int) Math.min(in.available(), remaining);
    }

    /** Discards what the consumer did not read, so the request body is fully consumed. */
    void skipRest() throws IOException {
        byte[] scratch = new byte[8192];
        while (read(scratch, 0, scratch.length) >= 0) {
            // discard
        }
    }

    private TruncatedException truncated() {
        return new TruncatedException("data ended after " + (size - remaining) + " of " + size + " bytes");
    }
}
