package org.raftexample.kvstore;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.io.Content;

/**
 * Reads a request body without blocking a thread, keeping at most {@code limit} bytes: a body
 * longer than that yields exactly {@code limit} bytes, which tells the caller it was too long.
 */
final class BodyReader implements Runnable {

    private final Content.Source source;
    private final int limit;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();

    private BodyReader(Content.Source source, int limit) {
        this.source = source;
        this.limit = limit;
    }

    static CompletableFuture<byte[]> read(Content.Source source, int limit) {
        BodyReader reader = new BodyReader(source, limit);
        reader.run();
        return reader.result;
    }

    @Override
    public void run() {
        while (true) {
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                source.demand(this);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                result.completeExceptionally(chunk.getFailure());
                return;
            }
            try {
                ByteBuffer buf = chunk.getByteBuffer();
                int n = Math.min(buf.remaining(), limit - out.size());
                byte[] bytes = new byte[n];
                buf.get(bytes);
                out.write(bytes, 0, n);
            } finally {
                chunk.release();
            }
            if (out.size() >= limit || chunk.isLast()) {
                result.complete(out.toByteArray());
                return;
            }
        }
    }
}
