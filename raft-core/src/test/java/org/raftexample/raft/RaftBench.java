package org.raftexample.raft;

import com.google.protobuf.ByteString;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.Message;

/**
 * Proposals per second through raft with in-memory storage and network (no disk, no sockets):
 * what the state machine and the Node loop cost by themselves. Run with {@code scripts/bench-raft
 * [proposals]}; it is a plain main, not a test. Each case proposes a fixed number of 128-byte
 * payloads in batches and stops the clock once every node has committed them all; a warm-up run
 * of each case comes first so that the JIT has compiled the hot paths.
 *
 * <ul>
 *   <li>rawnode-1: one RawNode, proposing and handling Readys on one thread;
 *   <li>rawnode-3: three RawNodes on one thread, messages handed over in memory;
 *   <li>node-1: one Node; a proposer thread and an application thread handling Readys.
 * </ul>
 */
public final class RaftBench {
    private static final int BATCH = 256;
    private static final ByteString PAYLOAD = ByteString.copyFrom(new byte[128]);

    private RaftBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        DefaultLogger.set(new QuietLogger());
        report("rawnode-1", n, RaftBench::rawNodeOne);
        report("rawnode-3", n, RaftBench::rawNodeThree);
        report("node-1", n, RaftBench::nodeOne);
    }

    private interface Case {
        void run(int proposals) throws Exception;
    }

    private static void report(String name, int n, Case c) throws Exception {
        c.run(Math.max(BATCH, n / 4)); // warm-up
        System.gc();
        long start = System.nanoTime();
        c.run(n);
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "%-10s %9d proposals  %7.3f s  %,12.0f proposals/s%n", name, n, secs, n / secs);
    }

    private static Config config(long id, MemoryStorage storage) {
        Config.Builder c = Config.builder();
        c.id(id);
        c.electionTick(10);
        c.heartbeatTick(1);
        c.storage(storage);
        c.maxSizePerMsg(1024 * 1024);
        c.maxInflightMsgs(256);
        c.maxUncommittedEntriesSize(1L << 30);
        return c.build();
    }

    /** Persists a Ready the way an application must before sending its messages. */
    private static void persist(MemoryStorage s, Ready rd) {
        if (!Util.isEmptyHardState(rd.hardState())) {
            s.setHardState(rd.hardState());
        }
        if (rd.snapshot() != null && !Util.isEmptySnap(rd.snapshot())) {
            s.applySnapshot(rd.snapshot());
        }
        s.append(rd.entries());
    }

    /** Applies committed entries: conf changes go back to raft, normal ones are counted. */
    private static int apply(List<Entry> ents, java.util.function.Consumer<ConfChange> applyConfChange) {
        int c = 0;
        for (Entry e : ents) {
            if (e.getType() == EntryType.EntryConfChange) {
                try {
                    applyConfChange.accept(ConfChange.parseFrom(e.getData()));
                } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                    throw new IllegalStateException(ex);
                }
            } else if (!e.getData().isEmpty()) {
                c++;
            }
        }
        return c;
    }

    /** Handles every Ready a RawNode has; returns the number of proposals it applied. */
    private static int drain(RawNode rn, MemoryStorage s) {
        int applied = 0;
        while (rn.hasReady()) {
            Ready rd = rn.ready();
            persist(s, rd);
            applied += apply(rd.committedEntries(), rn::applyConfChange);
            rn.advance(rd);
        }
        return applied;
    }

    // ------------------------------------------------------------------ rawnode-1

    private static void rawNodeOne(int proposals) {
        MemoryStorage s = new MemoryStorage();
        RawNode rn = new RawNode(config(1, s));
        rn.bootstrap(List.of(new Peer(1)));
        drain(rn, s); // the bootstrap configuration must be applied before campaigning
        rn.campaign();
        int committed = 0;
        int proposed = 0;
        while (committed < proposals) {
            if (rn.basicStatus().raftState() == StateType.StateLeader) {
                for (int i = 0; i < BATCH && proposed < proposals; i++, proposed++) {
                    rn.propose(PAYLOAD);
                }
            }
            committed += drain(rn, s);
        }
    }

    // ------------------------------------------------------------------ rawnode-3

    private static void rawNodeThree(int proposals) {
        int size = 3;
        List<Peer> peers = List.of(new Peer(1), new Peer(2), new Peer(3));
        MemoryStorage[] storages = new MemoryStorage[size];
        RawNode[] nodes = new RawNode[size];
        List<ArrayDeque<Message>> inboxes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            storages[i] = new MemoryStorage();
            nodes[i] = new RawNode(config(i + 1, storages[i]));
            nodes[i].bootstrap(peers);
            drain(nodes[i], storages[i]);
            inboxes.add(new ArrayDeque<>());
        }
        nodes[0].campaign();
        int[] committed = new int[size];
        int proposed = 0;
        while (min(committed) < proposals) {
            if (nodes[0].basicStatus().raftState() == StateType.StateLeader) {
                for (int i = 0; i < BATCH && proposed < proposals; i++, proposed++) {
                    nodes[0].propose(PAYLOAD);
                }
            }
            boolean progress = true;
            while (progress) {
                progress = false;
                for (int i = 0; i < size; i++) {
                    RawNode rn = nodes[i];
                    for (Message m; (m = inboxes.get(i).poll()) != null; ) {
                        rn.step(m);
                        progress = true;
                    }
                    if (rn.hasReady()) {
                        Ready rd = rn.ready();
                        persist(storages[i], rd);
                        for (Message m : rd.messages()) {
                            inboxes.get((int) m.getTo() - 1).add(m);
                        }
                        committed[i] += apply(rd.committedEntries(), rn::applyConfChange);
                        rn.advance(rd);
                        progress = true;
                    }
                }
            }
            if (proposed >= proposals && min(committed) < proposals) {
                // Everything is proposed and the cluster is idle: let heartbeats carry the
                // final commit index to the followers.
                nodes[0].tick();
            }
        }
    }

    private static int min(int[] xs) {
        int m = Integer.MAX_VALUE;
        for (int x : xs) {
            m = Math.min(m, x);
        }
        return m;
    }

    // ------------------------------------------------------------------ node-1

    private static void nodeOne(int proposals) throws Exception {
        MemoryStorage s = new MemoryStorage();
        Node n = Node.start(config(1, s), List.of(new Peer(1)));
        try {
            // The bootstrap configuration must be applied before the node can campaign.
            Ready first = n.ready(10, TimeUnit.SECONDS);
            persist(s, first);
            apply(first.committedEntries(), n::applyConfChange);
            n.advance();
            Node.await(n.campaign(), java.time.Duration.ofSeconds(10));
            Thread proposer = new Thread(
                    () -> {
                        try {
                            List<CompletableFuture<Void>> window = new ArrayList<>(BATCH * 4);
                            for (int i = 0; i < proposals; i++) {
                                window.add(n.propose(PAYLOAD));
                                if (window.size() == BATCH * 4) {
                                    // Keeps the bounded proposal queue from overflowing.
                                    CompletableFuture.allOf(window.toArray(CompletableFuture[]::new))
                                            .join();
                                    window.clear();
                                }
                            }
                        } catch (RuntimeException e) {
                            e.printStackTrace();
                        }
                    },
                    "bench-proposer");
            proposer.start();
            int committed = 0;
            while (committed < proposals) {
                Ready rd = n.ready(10, TimeUnit.SECONDS);
                if (rd == null) {
                    throw new IllegalStateException("no Ready for 10s at " + committed + " committed");
                }
                persist(s, rd);
                committed += apply(rd.committedEntries(), n::applyConfChange);
                n.advance();
            }
            proposer.join();
        } finally {
            n.stop();
        }
    }

    /** Keeps benchmark output to the figures: only warnings and worse are printed. */
    private static final class QuietLogger implements Logger {
        @Override
        public void debug(String format, Object... args) {}

        @Override
        public void info(String format, Object... args) {}

        @Override
        public void warning(String format, Object... args) {
            System.err.println("WARN " + Logger.format(format, args));
        }

        @Override
        public void error(String format, Object... args) {
            System.err.println("ERROR " + Logger.format(format, args));
        }

        @Override
        public void fatal(String format, Object... args) {
            throw new RaftPanicException(Logger.format(format, args));
        }

        @Override
        public void panic(String format, Object... args) {
            throw new RaftPanicException(Logger.format(format, args));
        }
    }
}
