package org.raftexample.raft.rafttest;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.raftexample.raft.Config;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raft.Node;
import org.raftexample.raft.NodeStoppedException;
import org.raftexample.raft.Peer;
import org.raftexample.raft.Ready;
import org.raftexample.raft.Util;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;

/**
 * One member of an in-process test cluster (etcd's rafttest/node.go): a {@link Node} plus the
 * application threads a real server would have.
 *
 * <p>The driver thread ticks on a timer and handles each Ready in order - hard state and entries
 * into a {@link MemoryStorage} (the node's "disk", which survives {@link #stop}), messages onto the
 * network, committed entries into an in-memory state machine (the list of applied payloads, which
 * does not survive) - and then advances. The receiver thread hands inbound messages to the node.
 * {@link #pause} freezes the node as a stalled process would be: no ticks, no Ready handled, inbound
 * messages buffered until {@link #resume}.
 */
final class ClusterNode {
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    // A generous election timeout (0.5-1 s) makes a leader change mid-run rare, so that the cluster
    // test usually checks the strict proposal order; it copes with one when a loaded machine causes it.
    static final int ELECTION_TICK = 50;

    final long id;
    private final RaftNetwork.Iface iface;
    final MemoryStorage storage = new MemoryStorage();

    private volatile Node node;
    private volatile boolean running;
    private volatile boolean paused;
    private volatile Throwable failure;
    private Thread driver;
    private Thread receiver;
    private final List<Message> buffered = new ArrayList<>();

    /** The state machine: data of every normal entry applied since the last (re)start. */
    private final List<String> applied = new ArrayList<>();
    /** The same data as a set, so the proposer can ask cheaply whether something committed. */
    private final Set<String> appliedSet = new HashSet<>();

    private HardState hardState = HardState.getDefaultInstance();

    private ClusterNode(long id, RaftNetwork.Iface iface) {
        this.id = id;
        this.iface = iface;
    }

    static ClusterNode start(long id, List<Peer> peers, RaftNetwork.Iface iface) {
        ClusterNode n = new ClusterNode(id, iface);
        n.node = Node.start(n.config(), peers);
        n.startThreads();
        return n;
    }

    private Config config() {
        Config.Builder c = Config.builder();
        c.id(id);
        c.electionTick(ELECTION_TICK);
        c.heartbeatTick(1);
        c.storage(storage);
        c.maxSizePerMsg(1024 * 1024);
        c.maxInflightMsgs(256);
        c.maxUncommittedEntriesSize(1L << 30);
        return c.build();
    }

    Node node() {
        return node;
    }

    private void startThreads() {
        running = true;
        driver = new Thread(this::drive, "cluster-driver-" + id);
        receiver = new Thread(this::receive, "cluster-receiver-" + id);
        driver.setDaemon(true);
        receiver.setDaemon(true);
        driver.start();
        receiver.start();
    }

    private void drive() {
        long nextTick = System.nanoTime() + TICK_NANOS;
        try {
            while (running) {
                if (paused) {
                    synchronized (this) {
                        while (paused && running) {
                            wait();
                        }
                    }
                    nextTick = System.nanoTime() + TICK_NANOS;
                    continue;
                }
                long wait = nextTick - System.nanoTime();
                Ready rd = wait > 0 ? node.ready(wait, TimeUnit.NANOSECONDS) : null;
                if (rd != null) {
                    handle(rd);
                }
                if (System.nanoTime() - nextTick >= 0) {
                    node.tick();
                    nextTick += TICK_NANOS;
                }
            }
        } catch (NodeStoppedException e) {
            if (running) {
                failure = e;
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    private void handle(Ready rd) throws InvalidProtocolBufferException {
        if (!Util.isEmptyHardState(rd.hardState())) {
            synchronized (this) {
                hardState = rd.hardState();
            }
            storage.setHardState(rd.hardState());
        }
        storage.append(rd.entries());
        for (Message m : rd.messages()) {
            iface.send(m);
        }
        for (Entry e : rd.committedEntries()) {
            if (e.getType() == EntryType.EntryConfChange) {
                node.applyConfChange(ConfChange.parseFrom(e.getData()));
            } else if (e.getType() == EntryType.EntryConfChangeV2) {
                node.applyConfChange(ConfChangeV2.parseFrom(e.getData()));
            } else if (!e.getData().isEmpty()) {
                String data = e.getData().toStringUtf8();
                synchronized (this) {
                    applied.add(data);
                    appliedSet.add(data);
                }
            }
        }
        node.advance();
    }

    private void receive() {
        try {
            while (running) {
                BlockingQueue<Message> inbox = iface.recv();
                Message m = inbox == null ? null : inbox.poll(5, TimeUnit.MILLISECONDS);
                if (inbox == null) {
                    Thread.sleep(5); // disconnected: nothing can arrive
                }
                if (m == null) {
                    continue;
                }
                synchronized (this) {
                    if (paused) {
                        buffered.add(m);
                        continue;
                    }
                }
                node.step(m); // a full node queue drops the message, as a transport would
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (NodeStoppedException e) {
            if (running) {
                failure = e;
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    /** Stops the node and its threads; the storage keeps what was persisted. */
    void stop() throws InterruptedException {
        iface.disconnect();
        running = false;
        synchronized (this) {
            notifyAll();
        }
        node.stop();
        driver.join();
        receiver.join();
    }

    /** Starts the node again from its storage, with an empty state machine that replays the log. */
    void restart() {
        synchronized (this) {
            applied.clear();
            appliedSet.clear();
            buffered.clear();
        }
        node = Node.restart(config());
        startThreads();
        iface.connect();
    }

    /** Whether the node runs and is not paused, so that it answers promptly. */
    boolean isServing() {
        return running && !paused;
    }

    void pause() {
        paused = true;
    }

    void resume() {
        List<Message> pending;
        synchronized (this) {
            pending = new ArrayList<>(buffered);
            buffered.clear();
            paused = false;
            notifyAll();
        }
        for (Message m : pending) {
            node.step(m);
        }
    }

    synchronized List<String> applied() {
        return new ArrayList<>(applied);
    }

    synchronized boolean hasApplied(String data) {
        return appliedSet.contains(data);
    }

    synchronized int appliedCount() {
        return applied.size();
    }

    synchronized HardState hardState() {
        return hardState;
    }

    /** Why a thread of this node failed, or null. */
    Throwable failure() {
        return failure != null ? failure : node.failure();
    }
}
