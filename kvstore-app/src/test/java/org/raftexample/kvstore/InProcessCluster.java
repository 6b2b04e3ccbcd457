package org.raftexample.kvstore;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;
import org.raftexample.server.RaftNode;
import org.raftexample.server.ServerConfig;
import org.raftexample.server.StateMachine;

/**
 * Raft nodes inside the test JVM (the original's newCluster): each with its own state machine, data
 * directory and peer port on 127.0.0.1, ticking every 10 ms so elections take a fraction of a second.
 */
final class InProcessCluster implements AutoCloseable {

    /** One member: its configuration, its state machine and its glue. */
    record Member(ServerConfig opts, StateMachine sm, RaftNode node) {
        /** The last index applied on this member. */
        long applied() {
            return node.appliedIndex();
        }
    }

    final Path dir;
    final List<URI> peers = new ArrayList<>();
    final List<Member> members = new ArrayList<>();
    private final long snapshotCount;
    private final long catchup;

    InProcessCluster(int n, long snapshotCount, long catchup) throws IOException {
        this.dir = Files.createTempDirectory("raftexample-test");
        this.snapshotCount = snapshotCount;
        this.catchup = catchup;
        for (int i = 0; i < n; i++) {
            peers.add(URI.create("http://127.0.0.1:" + NodeProcesses.freePort()));
        }
    }

    /** Election timeout in ticks for members started from now on (tests that stall a loop raise it). */
    int electionTicks = 10;
    /** The tick of members started from now on. */
    Duration tick = Duration.ofMillis(10);

    /**
     * The configuration of member {@code id}: raft as the original raftexample runs it (PreVote and
     * CheckQuorum off; see {@link Options} for why the in-process tests need that).
     */
    ServerConfig options(long id, List<URI> cluster, boolean join) {
        return appOptions(id, cluster, join).serverConfig();
    }

    /** The same member's options as the key-value application takes them (to start a whole RaftExample). */
    Options appOptions(long id, List<URI> cluster, boolean join) {
        return new Options(
                id,
                cluster,
                0,
                join,
                dir,
                snapshotCount,
                catchup,
                tick,
                electionTicks,
                1,
                1 << 20,
                Duration.ofSeconds(5));
    }

    /** Starts node {@code id} of {@code cluster} with a state machine made by {@code machines}. */
    Member start(long id, List<URI> cluster, boolean join, LongFunction<StateMachine> machines) throws IOException {
        ServerConfig o = options(id, cluster, join);
        StateMachine sm = machines.apply(id);
        RaftNode node = new RaftNode(o, sm);
        node.start();
        Member m = new Member(o, sm, node);
        members.add(m);
        return m;
    }

    void startAll(LongFunction<StateMachine> machines) throws IOException {
        for (int i = 1; i <= peers.size(); i++) {
            start(i, peers, false, machines);
        }
    }

    Member member(int index) {
        return members.get(index);
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Override
    public void close() throws IOException {
        for (Member m : members) {
            m.node().close();
        }
        NodeProcesses.deleteRecursively(dir);
    }
}
