package org.raftexample.counter;

import com.google.protobuf.ByteString;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import org.raftexample.server.RaftNode;
import org.raftexample.server.ServerConfig;
import org.raftexample.server.StateMachine;

/**
 * A replicated counter: the smallest service built on {@code org.raftexample.server}, as a second user
 * of the glue next to the key-value store. A command is an 8-byte delta; {@link #add} completes with the
 * counter's value right after that delta, and {@link #get} reads the value linearizably.
 *
 * <p>Threads: any thread may call {@link #add} and {@link #get}; the counter is written only by the
 * raft node's apply thread and read through a volatile field.
 */
public final class ReplicatedCounter implements AutoCloseable {

    /** The state machine: one long, snapshotted as 8 bytes. */
    static final class Counter implements StateMachine {
        private volatile long value;

        @Override
        public Object apply(long index, ByteString command) {
            if (command.size() != Long.BYTES) {
                return null; // not a delta: skipped alike on every member
            }
            value += command.asReadOnlyByteBuffer().getLong();
            return value;
        }

        @Override
        public boolean accepts(ByteString command) {
            return command.size() == Long.BYTES;
        }

        @Override
        public View view() {
            long v = value;
            return new View() {
                @Override
                public long writeTo(OutputStream out) throws IOException {
                    new DataOutputStream(out).writeLong(v);
                    return 1;
                }

                @Override
                public void close() {}
            };
        }

        @Override
        public void restore(InputStream snapshot) throws IOException {
            byte[] b = snapshot.readNBytes(Long.BYTES + 1);
            if (b.length != 0 && b.length != Long.BYTES) {
                throw new IOException("a counter snapshot holds 0 or 8 bytes, not " + b.length);
            }
            value = b.length == 0 ? 0 : ByteBuffer.wrap(b).getLong();
        }

        @Override
        public void check(InputStream snapshot) throws IOException {
            int n = snapshot.readNBytes(Long.BYTES + 1).length;
            if (n != 0 && n != Long.BYTES) {
                throw new IOException("a counter snapshot holds 0 or 8 bytes, not " + n);
            }
        }
    }

    private final Counter counter = new Counter();
    private final RaftNode node;

    /**
     * A counter replica; call {@link #start()}.
     *
     * @param config this member's place in the cluster
     */
    public ReplicatedCounter(ServerConfig config) {
        this.node = new RaftNode(config, counter);
    }

    /**
     * Replays this member's WAL and snapshot and joins the cluster.
     *
     * @throws IOException when the WAL or snapshots cannot be read
     */
    public void start() throws IOException {
        node.start();
    }

    /**
     * Adds {@code delta} on every member.
     *
     * @param delta any amount
     * @return the counter's value right after this delta was applied
     */
    public CompletableFuture<Long> add(long delta) {
        return node.propose(ByteBuffer.allocate(Long.BYTES).putLong(delta).array());
    }

    /**
     * The counter's value, linearizable: it includes every add that completed before the call.
     *
     * @return the value
     */
    public CompletableFuture<Long> get() {
        return node.readBarrier().thenApply(v -> counter.value);
    }

    /** Stops this member (handing leadership over if it leads). */
    @Override
    public void close() {
        node.close();
    }

    /**
     * Runs one member: {@code ID PEER_URLS DATA_DIR}, e.g. {@code 1
     * http://127.0.0.1:12379,http://127.0.0.1:22379,http://127.0.0.1:32379 /tmp/counter}; then each line
     * on standard input that is a number is added, and any other line prints the value.
     *
     * @param args the member's id, the comma-separated peer URLs, and its data directory
     * @throws Exception when the member cannot start
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: ReplicatedCounter ID PEER_URLS DATA_DIR"
                    + " (e.g. 1 http://127.0.0.1:12379 /tmp/counter); then a number per line adds it,"
                    + " any other line prints the value");
            System.exit(2);
        }
        ServerConfig config = ServerConfig.builder()
                .id(Long.parseLong(args[0]))
                .cluster(Arrays.stream(args[1].split(",")).map(URI::create).toList())
                .dataDir(Path.of(args[2]))
                .build();
        try (ReplicatedCounter c = new ReplicatedCounter(config)) {
            c.start();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null; ) {
                try {
                    System.out.println(
                            line.strip().matches("-?\\d+")
                                    ? c.add(Long.parseLong(line.strip())).get()
                                    : c.get().get());
                } catch (Exception e) {
                    System.out.println("error: " + e.getMessage());
                }
            }
        }
    }
}
