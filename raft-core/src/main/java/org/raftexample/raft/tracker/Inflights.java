package org.raftexample.raft.tracker;

import java.util.Arrays;
import org.raftexample.raft.RaftPanicException;

/**
 * The window of MsgApp messages sent to one follower and not yet acknowledged, which bounds how
 * far the leader runs ahead of it by message count and, optionally, by bytes.
 *
 * <p>Each message is recorded by the index of its last entry; acknowledgements free every message
 * up to an index. The ring buffer grows on demand up to {@code size} because a process may host
 * thousands of Raft groups whose windows are mostly empty.
 */
public final class Inflights {
    int start; // position of the oldest in-flight message in the ring
    int count;
    long bytes;

    final int size; // max messages in flight
    final long maxBytes; // max bytes in flight; 0 for no limit

    // Ring buffer as two parallel arrays: last index of each message and its payload bytes.
    long[] indexes = new long[0];
    long[] sizes = new long[0];

    /**
     * A window of up to size messages and up to maxBytes bytes (0 = unlimited). The byte limit is
     * soft: a single message may take the total from below maxBytes to above it.
     *
     * @param size the most messages in flight
     * @param maxBytes the most bytes in flight (0 = unlimited)
     */
    public Inflights(int size, long maxBytes) {
        this.size = size;
        this.maxBytes = maxBytes;
    }

    /** An identical window sharing no memory with this one. */
    @Override
    public Inflights clone() {
        Inflights c = new Inflights(size, maxBytes);
        c.start = start;
        c.count = count;
        c.bytes = bytes;
        c.indexes = indexes.clone();
        c.sizes = sizes.clone();
        return c;
    }

    /**
     * Records a message with the given last index and byte size. The caller checks
     * {@link #full()} first, and indexes must increase from one call to the next.
     *
     * @param index the last index the message carries
     * @param bytes its payload size
     */
    public void add(long index, long bytes) {
        if (full()) {
            throw new RaftPanicException("cannot add into a Full inflights");
        }
        int next = start + count;
        if (next >= size) {
            next -= size;
        }
        if (next >= indexes.length) {
            grow();
        }
        indexes[next] = index;
        sizes[next] = bytes;
        count++;
        this.bytes += bytes;
    }

    /** Doubles the buffer, capped at size. */
    private void grow() {
        int newSize = indexes.length * 2;
        if (newSize == 0) {
            newSize = 1;
        } else if (newSize > size) {
            newSize = size;
        }
        indexes = Arrays.copyOf(indexes, newSize);
        sizes = Arrays.copyOf(sizes, newSize);
    }

    /**
     * Frees every in-flight message whose last index is at or below to.
     *
     * @param to the index acknowledged
     */
    public void freeLE(long to) {
        if (count == 0 || to < indexes[start]) {
            return; // left of the window
        }
        int idx = start;
        int i;
        long freed = 0;
        for (i = 0; i < count; i++) {
            if (to < indexes[idx]) {
                break;
            }
            freed += sizes[idx];
            if (++idx >= size) {
                idx -= size;
            }
        }
        count -= i;
        bytes -= freed;
        start = idx;
        if (count == 0) {
            // Restarting at 0 keeps an idle window from growing the buffer as it wraps around.
            start = 0;
        }
    }

    /**
     * Whether no more messages may be sent for now.
     *
     * @return true if full
     */
    public boolean full() {
        return count == size || (maxBytes != 0 && bytes >= maxBytes);
    }

    /**
     * The number of messages in flight.
     *
     * @return the count
     */
    public int count() {
        return count;
    }

    /** Forgets every in-flight message. */
    void reset() {
        start = 0;
        count = 0;
        bytes = 0;
    }
}
