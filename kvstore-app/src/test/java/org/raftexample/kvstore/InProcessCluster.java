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

/**
 * Raft nodes inside the test JVM (the original's newCluster): each with its own state machine, data
 * directory and peer port on 127.0.0.1, ticking every 10 ms so elections take a fraction of a second.
 */
final class InProcessCluster implements AutoCloseable {

    /** One member: its options, its state machine and its glue. */
    record Member(Options opts, StateMachine sm, AppliedIndex applied, RaftNode node) {
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

    Options options(long id, List<URI> cluster, boolean join) {
        return new Options(id, cluster, 0, join, dir, snapshotCount, catchup, Duration.ofMillis(10), 10, 1,
                1 << 20, Duration.ofSeconds(5));
    }

    /** Starts node {@code id} of {@code cluster} with a state machine made by {@code machines}. */
    Member start(long id, List<URI> cluster, boolean join, LongFunction<StateMachine> machines) throws IOException {
        Options o = options(id, cluster, join);
        StateMachine sm = machines.apply(id);
        AppliedIndex applied = new AppliedIndex();
        RaftNode node = new RaftNode(o, sm, applied);
        node.start();
        Member m = new Member(o, sm, applied, node);
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
