package org.raftexample.raft;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.raftexample.raft.quorum.AckedIndexer;
import org.raftexample.raft.quorum.JointConfig;
import org.raftexample.raftpb.Message;

/**
 * The leader's book-keeping for ReadIndex requests under {@link ReadOnlyOption#ReadOnlySafe}.
 *
 * <p>Requests are numbered in arrival order. A heartbeat carries, as its context, the number of
 * the newest request known when it was sent (8 bytes, little endian); a follower echoes it back.
 * Once a quorum has echoed a number n, every request numbered up to n is confirmed: leadership
 * was still held after the request arrived. The quorum computation is the same as for commit
 * indexes, so this class is an {@link AckedIndexer} over the echoed numbers.
 */
final class ReadOnly implements AckedIndexer {
    /** A pending read: the request and the commit index at the time it arrived. */
    record ReadIndexRequest(Message req, long index) {}

    final ReadOnlyOption option;
    /** Per voter, the highest request number it has acknowledged. */
    final Map<Long, Long> acks = new HashMap<>();
    /** Requests not yet confirmed, oldest first. */
    List<ReadIndexRequest> unconfirmedReads = new ArrayList<>();
    /** How many requests were confirmed so far (and dropped from the head of the list). */
    long confirmedReads;

    ReadOnly(ReadOnlyOption option) {
        this.option = option;
    }

    /** Queues a read-only request that arrived when the commit index was {@code commitIndex}. */
    void addRequest(long commitIndex, Message req) {
        unconfirmedReads.add(new ReadIndexRequest(req, commitIndex));
    }

    /** Records the request number echoed in a heartbeat response from {@code from}. */
    void recvAck(long from, ByteString ctx) {
        if (ctx != null && !ctx.isEmpty()) {
            long n = decode(ctx);
            acks.merge(from, n, (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
        }
    }

    @Override
    public long ackedIndex(long voterId) {
        Long idx = acks.get(voterId);
        return idx == null ? NOT_FOUND : idx;
    }

    /** Confirms and returns, oldest first, every request a quorum of {@code c} has acknowledged. */
    List<ReadIndexRequest> maybeAdvance(JointConfig c) {
        long newConfirmedReads = c.committedIndex(this);
        if (newConfirmedReads <= confirmedReads) {
            return List.of();
        }
        int n = (int) (newConfirmedReads - confirmedReads);
        List<ReadIndexRequest> ready = new ArrayList<>(unconfirmedReads.subList(0, n));
        unconfirmedReads = new ArrayList<>(unconfirmedReads.subList(n, unconfirmedReads.size()));
        confirmedReads = newConfirmedReads;
        return ready;
    }

    /** The heartbeat context that, once echoed by a quorum, confirms every pending request; null if none. */
    ByteString heartbeatCtx() {
        if (unconfirmedReads.isEmpty()) {
            return null;
        }
        long position = confirmedReads + unconfirmedReads.size();
        byte[] enc = ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(position)
                .array();
        return ByteString.copyFrom(enc);
    }

    private static long decode(ByteString ctx) {
        // Go's binary.LittleEndian.Uint64 panics on fewer than 8 bytes; so do we, loudly.
        if (ctx.size() < 8) {
            throw new RaftPanicException("heartbeat context shorter than 8 bytes: " + ctx.size());
        }
        return ctx.substring(0, 8)
                .asReadOnlyByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN)
                .getLong();
    }
}
