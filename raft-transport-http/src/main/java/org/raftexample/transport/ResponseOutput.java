package org.raftexample.transport;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.FutureCallback;

/**
 * A buffered, blocking output stream over a Jetty response, for a stream writer's own thread.
 *
 * <p>Each flush is one response write waited for with a deadline, so that a peer which stops reading cannot
 * hold the writer forever: after the deadline the write fails and the stream is dropped.
 */
final class ResponseOutput extends OutputStream {
    private final Response response;
    private final long writeTimeoutMillis;
    private final byte[] buffer;
    private int count;

    ResponseOutput(Response response, int bufferSize, long writeTimeoutMillis) {
        this.response = response;
        this.buffer = new byte[bufferSize];
        this.writeTimeoutMillis = writeTimeoutMillis;
    }

    @Override
    public void write(int b) throws IOException {
        if (count == buffer.length) {
            flush();
        }
        buffer[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (count == buffer.length) {
                flush();
            }
            int n = Math.min(len, buffer.length - count);
            System.arraycopy(b, off, buffer, count, n);
            count += n;
            off += n;
            len -= n;
        }
    }

    @Override
    public void flush() throws IOException {
        if (count == 0) {
            return;
        }
        FutureCallback done = new FutureCallback();
        // The buffer is reused only after the write completed, so wrapping it without a copy is safe.
        response.write(false, ByteBuffer.wrap(buffer, 0, count), done);
        try {
            done.get(writeTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing to the stream");
        } catch (TimeoutException e) {
            throw new IOException("stream write did not complete within " + writeTimeoutMillis + " ms");
        } catch (ExecutionException e) {
            throw new IOException("stream write failed", e.getCause());
        } finally {
            count = 0;
        }
    }
}
