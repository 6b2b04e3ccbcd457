package org.raftexample.transport;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.raftexample.raft.SnapshotStatus;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * MsgApp throughput over the msgapp stream between two transports on loopback (a plain main, run by
 * {@code scripts/bench-transport}; not a test).
 *
 * <p>The sender keeps at most {@code WINDOW} messages in flight, as raft does with MaxInflightMsgs (raftexample
 * uses 256), and counts a message done when the receiver's {@link RaftReceiver#process} has it. Each configuration runs
 * a warm-up, then a timed phase. Arguments: {@code [seconds per configuration]}.
 */
public final class TransportBench {
    private static final int WINDOW = 256;

    private TransportBench() {}

    /** Counts what arrives and frees a window slot per message. */
    private static final class CountingRaft implements RaftReceiver {
        final AtomicLong messages = new AtomicLong();
        final AtomicLong entries = new AtomicLong();
        final AtomicLong unreachable = new AtomicLong();
        final Semaphore window = new Semaphore(WINDOW);

        @Override
        public void process(Message m) {
            messages.incrementAndGet();
            entries.addAndGet(m.getEntriesCount());
            window.release();
        }

        @Override
        public boolean isIdRemoved(long id) {
            return false;
        }

        @Override
        public void reportUnreachable(long id) {
            unreachable.incrementAndGet();
        }

        @Override
        public void reportSnapshot(long id, SnapshotStatus status) {}
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        System.out.printf(
                Locale.ROOT, "MsgApp over one stream, loopback, window %d messages, %.1f s per row%n", WINDOW, seconds);
        System.out.printf(
                Locale.ROOT,
                "%-10s %-6s %12s %14s %10s %10s%n",
                "entry",
                "batch",
                "msgs/s",
                "entries/s",
                "MB/s",
                "wire MB/s");
        int[][] configs = {{100, 1}, {100, 16}, {100, 64}, {100, 256}, {4096, 1}, {4096, 16}, {4096, 64}};
        for (int[] c : configs) {
            run(c[0], c[1], seconds);
        }
    }

    private static void run(int entrySize, int batch, double seconds) throws Exception {
        CountingRaft receiver = new CountingRaft();
        CountingRaft sender = new CountingRaft();
        URI any = URI.create("http://127.0.0.1:0");
        try (Transport a = new Transport(TransportConfig.of(1, 1, any, sender));
                Transport b = new Transport(TransportConfig.of(2, 1, any, receiver))) {
            a.start();
            b.start();
            a.addPeer(2, List.of(b.listenUri().toString()));
            b.addPeer(1, List.of(a.listenUri().toString()));
            TestSupport.awaitStreams(a, 2);

            Appends appends = new Appends(batch, entrySize);
            long wireBytes = appends.continuationFrameBytes();
            // Warm-up: let the JIT and the connection settle.
            pump(a, receiver, appends, Math.max(1.0, seconds / 4));
            long m0 = receiver.messages.get();
            long e0 = receiver.entries.get();
            long start = System.nanoTime();
            pump(a, receiver, appends, seconds);
            double elapsed = (System.nanoTime() - start) / 1e9;
            long msgs = receiver.messages.get() - m0;
            long ents = receiver.entries.get() - e0;
            System.out.printf(
                    Locale.ROOT,
                    "%-10s %-6d %12.0f %14.0f %10.1f %10.1f%s%n",
                    entrySize + " B",
                    batch,
                    msgs / elapsed,
                    ents / elapsed,
                    ents * (double) entrySize / elapsed / 1e6,
                    msgs * (double) wireBytes / elapsed / 1e6,
                    sender.unreachable.get() > 0 ? "  (drops: " + sender.unreachable.get() + ")" : "");
        }
    }

    /** Builds MsgApps as a leader streaming to a follower does: each continues where the previous ended. */
    private static final class Appends {
        private final int batch;
        private final ByteString payload;
        private long index;

        Appends(int batch, int entrySize) {
            this.batch = batch;
            this.payload = ByteString.copyFrom(new byte[entrySize]);
        }

        Message next() {
            Message.Builder b = Message.newBuilder()
                    .setType(MessageType.MsgApp)
                    .setTo(2)
                    .setFrom(1)
                    .setTerm(2)
                    .setLogTerm(2)
                    .setIndex(index)
                    .setCommit(index);
            for (int i = 1; i <= batch; i++) {
                b.addEntries(Entry.newBuilder().setTerm(2).setIndex(index + i).setData(payload));
            }
            index += batch;
            return b.build();
        }

        /** Bytes one message takes on the msgappv2 stream once appends continue one another. */
        long continuationFrameBytes() throws IOException {
            Appends probe = new Appends(batch, payload.size());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Frames.Encoder enc = StreamType.MSGAPP.encoder(out, 1, 2);
            enc.write(probe.next());
            enc.flush();
            int first = out.size();
            enc.write(probe.next());
            enc.flush();
            return out.size() - first;
        }
    }

    /** Sends appends for {@code seconds}, never more than the window in flight. */
    private static void pump(Transport a, CountingRaft receiver, Appends appends, double seconds)
            throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            if (receiver.window.tryAcquire(1, TimeUnit.SECONDS)) {
                a.send(List.of(appends.next()));
            } else {
                throw new IllegalStateException("no progress for 1 s: messages lost?");
            }
        }
        // Drain: wait until everything in flight has arrived.
        if (!receiver.window.tryAcquire(WINDOW, 10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("in-flight messages did not arrive");
        }
        receiver.window.release(WINDOW);
    }
}
