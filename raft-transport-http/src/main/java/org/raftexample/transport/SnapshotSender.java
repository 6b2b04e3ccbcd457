package org.raftexample.transport;

import com.google.protobuf.ByteString;
import java.io.ByteArrayInputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ByteBufferRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.InputStreamRequestContent;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ByteBufferPool;
import org.raftexample.raftpb.Message;

/**
 * Sends MsgSnap to a peer with {@code POST /raft/snapshot}: the message without its data, then the data, both
 * straight from the message's own buffers (no second copy in memory). Reports SnapshotFinish or SnapshotFailure to raft.
 *
 * <p>Body layout: 4-byte length, the MsgSnap encoded with {@code snapshot.data} cleared, 8-byte length of the
 * data, the data (from the message's buffers, or streamed from the application's file when the
 * message carries none, see {@link RaftReceiver#openSnapshot}). One snapshot is sent at a time with one more allowed to wait; raft sends a follower at most
 * one snapshot at a time anyway.
 */
final class SnapshotSender {
    private final RemotePeer peer;
    private final ThreadPoolExecutor executor;

    SnapshotSender(RemotePeer peer) {
        this.peer = peer;
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1), r -> {
            Thread t = new Thread(r, peer.threadName("snapshot"));
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues a snapshot; false when one is already waiting (the caller reports SnapshotFailure). */
    boolean offer(Message m) {
        try {
            executor.execute(() -> send(m));
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    void stop() {
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("snapshot sender did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static List<ByteBuffer> encode(Message m) {
        ByteString data = m.getSnapshot().getData();
        Message header = m.toBuilder()
                .setSnapshot(m.getSnapshot().toBuilder().clearData())
                .build();
        byte[] headerBytes = header.toByteArray();
        ByteBuffer prefix = ByteBuffer.allocate(4 + headerBytes.length + 8);
        prefix.putInt(headerBytes.length).put(headerBytes).putLong(data.size()).flip();
        List<ByteBuffer> buffers = new ArrayList<>();
        buffers.add(prefix);
        buffers.addAll(data.asReadOnlyByteBufferList());
        return buffers;
    }

    /** The body prefix of a snapshot whose data is streamed from elsewhere: header and data length. */
    static byte[] prefix(Message m, long dataLength) {
        Message header = m.toBuilder()
                .setSnapshot(m.getSnapshot().toBuilder().clearData())
                .build();
        byte[] headerBytes = header.toByteArray();
        ByteBuffer prefix = ByteBuffer.allocate(4 + headerBytes.length + 8);
        prefix.putInt(headerBytes.length).put(headerBytes).putLong(dataLength);
        return prefix.array();
    }

    private void send(Message m) {
        PeerContext ctx = peer.context();
        URI base = peer.urls().pick();
        RaftReceiver.SnapshotBody stored = null;
        try {
            Request.Content content;
            if (m.getSnapshot().getData().isEmpty() && (stored = ctx.raft().openSnapshot(m)) != null) {
                // Streamed from the application's file: memory stays at the copy buffer's size.
                content = new InputStreamRequestContent(
                        Protocol.CONTENT_TYPE_STREAM,
                        new SequenceInputStream(new ByteArrayInputStream(prefix(m, stored.length())), stored.data()),
                        new ByteBufferPool.Sized(ctx.client().getByteBufferPool(), false, 64 * 1024));
            } else {
                content = new ByteBufferRequestContent(Protocol.CONTENT_TYPE_STREAM, encode(m));
            }
            ContentResponse response = ctx.client()
                    .newRequest(base.resolve(Protocol.SNAPSHOT_PATH))
                    .method(HttpMethod.POST)
                    .headers(h -> Protocol.addRequestHeaders(h, ctx.clusterId(), ctx.localId(), peer.id()))
                    .body(content)
                    .idleTimeout(ctx.timeouts().request().toMillis(), TimeUnit.MILLISECONDS)
                    .send();
            peer.answered(m, base, response);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            peer.deliveryFailed(m, base, 0, "interrupted");
        } catch (Exception e) {
            peer.deliveryFailed(m, base, 0, String.valueOf(e));
        } finally {
            if (stored != null) {
                try {
                    stored.data().close();
                } catch (java.io.IOException e) {
                    // nothing left to do with it
                }
            }
        }
    }
}
