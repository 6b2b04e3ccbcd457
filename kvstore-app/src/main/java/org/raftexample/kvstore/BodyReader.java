package org.raftexample.kvstore;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongPredicate;
import org.eclipse.jetty.io.Content;
import org.raftexample.server.Overloaded;

/**
 * Reads a request body without blocking a thread, keeping at most {@code limit} bytes: a body
 * longer than that yields exactly {@code limit} bytes, which tells the caller it was too long.
 */
final class BodyReader implements Runnable {

    private final Content.Source source;
    private final long limit;
    private final boolean keep;
    /** Asked for every chunk kept, before it is copied; false fails the read with {@link Overloaded}. */
    private final LongPredicate charge;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private long seen;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();

    private BodyReader(Content.Source source, long limit, boolean keep, LongPredicate charge) {
        this.source = source;
        this.limit = limit;
        this.keep = keep;
        this.charge = charge;
    }

    static CompletableFuture<byte[]> read(Content.Source source, int limit) {
        return read(source, limit, n -> true);
    }

    /**
     * Reads like {@link #read(Content.Source, int)}, charging each chunk to {@code charge} as it arrives, so that
     * memory is accounted for by what a client has actually sent (a client dribbling its body holds almost
     * nothing); when the charge is refused the read fails with {@link Overloaded}.
     */
    static CompletableFuture<byte[]> read(Content.Source source, int limit, LongPredicate charge) {
        BodyReader reader = new BodyReader(source, limit, true, charge);
        reader.run();
        return reader.result;
    }

    /**
     * Reads and throws away the rest of a body, up to {@code limit} bytes; completes with true when
     * the whole body was consumed (the connection can carry another request), false when it was longer.
     */
    static CompletableFuture<Boolean> discard(Content.Source source, long limit) {
        BodyReader reader = new BodyReader(source, limit, false, n -> true);
        reader.run();
        return reader.result.thenApply(b -> reader.seen <= reader.limit && reader.complete);
    }

    private boolean complete;

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
                int n = (int) Math.min(buf.remaining(), limit - seen);
                if (keep && !charge.test(n)) {
                    result.completeExceptionally(new Overloaded("too many request body bytes in flight"));
                    return;
                }
                if (keep) {
                    byte[] bytes = new byte[n];
                    buf.get(bytes);
                    out.write(bytes, 0, n);
                }
                seen += keep ? n : buf.remaining();
            } finally {
                chunk.release();
            }
            if (chunk.isLast()) {
                complete = true;
            }
            if (seen >= limit || chunk.isLast()) {
                result.complete(out.toByteArray());
                return;
            }
        }
    }
}
