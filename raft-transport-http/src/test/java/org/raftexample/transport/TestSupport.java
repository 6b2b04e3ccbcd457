package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/** Helpers shared by the transport tests. */
final class TestSupport {
    static final long CLUSTER = 0x1000;
    static final URI ANY_PORT = URI.create("http://127.0.0.1:0");

    /** Fast timings so that failures and reconnections show up within a test's budget. */
    static final TransportTimeouts FAST = new TransportTimeouts(
            Duration.ofMillis(500),
            Duration.ofSeconds(5),
            Duration.ofMillis(200),
            Duration.ofMillis(1500),
            Duration.ofMillis(20),
            Duration.ofMillis(200));

    private TestSupport() {}

    static Transport start(long id, RecordingRaft raft) {
        return start(TransportConfig.of(id, CLUSTER, ANY_PORT, raft).withTimeouts(FAST));
    }

    static Transport start(TransportConfig config) {
        Transport t = new Transport(config);
        t.start();
        return t;
    }

    /** Makes every transport a peer of every other. */
    static void connectAll(List<Transport> transports, List<Long> ids) {
        for (int i = 0; i < transports.size(); i++) {
            for (int j = 0; j < transports.size(); j++) {
                if (i != j) {
                    transports
                            .get(i)
                            .addPeer(
                                    ids.get(j),
                                    List.of(transports.get(j).listenUri().toString()));
                }
            }
        }
    }

    /** Waits until both outgoing streams of {@code from} to {@code to} are attached. */
    static void awaitStreams(Transport from, long to) {
        await(
                () -> from.peer(to) != null && from.peer(to).streamsWorking(),
                Duration.ofSeconds(10),
                "streams to " + to + " up");
    }

    /** Polls a condition until it holds or the deadline passes. */
    static void await(BooleanSupplier condition, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    static Message app(long from, long to, long index, int entries, int entrySize) {
        Message.Builder b = Message.newBuilder()
                .setType(MessageType.MsgApp)
                .setFrom(from)
                .setTo(to)
                .setTerm(1)
                .setLogTerm(1)
                .setIndex(index)
                .setCommit(index);
        byte[] data = new byte[entrySize];
        for (int i = 0; i < entries; i++) {
            b.addEntries(Entry.newBuilder()
                    .setTerm(1)
                    .setIndex(index + 1 + i)
                    .setData(com.google.protobuf.ByteString.copyFrom(data)));
        }
        return b.build();
    }

    static Message heartbeat(long from, long to, long commit) {
        return Message.newBuilder()
                .setType(MessageType.MsgHeartbeat)
                .setFrom(from)
                .setTo(to)
                .setTerm(1)
                .setCommit(commit)
                .build();
    }

    static List<Message> drain(RecordingRaft raft, int count, Duration timeout) throws InterruptedException {
        List<Message> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() < count) {
            long left = deadline - System.nanoTime();
            Message m = left > 0 ? raft.received.poll(left, java.util.concurrent.TimeUnit.NANOSECONDS) : null;
            if (m == null) {
                fail("received " + out.size() + " of " + count + " messages");
            }
            out.add(m);
        }
        return out;
    }

    /** A port nothing listens on (bound and released just now). */
    static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static List<Thread> threadsNamed(String prefix) {
        List<Thread> out = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().startsWith(prefix)) {
                out.add(t);
            }
        }
        return out;
    }
}
