package org.raftexample.raft.rafttest;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.raftexample.raftpb.Message;

/**
 * An in-memory network between raft nodes of one process, for cluster tests (etcd's
 * rafttest/network.go): one bounded inbox per node, and per-link drop and delay rates.
 *
 * <p>Like a real transport it loses messages rather than blocking: a full inbox or a disconnected
 * receiver drops them, and raft's retries recover. Messages are copied through their wire form so
 * that sender and receiver never share an object.
 */
final class RaftNetwork {
    /** Capacity of each node's inbox. */
    static final int INBOX_CAPACITY = 1024;

    private record Link(long from, long to) {}

    private record Delay(long nanos, double rate) {}

    private final Random rand = new Random(1);
    private final Map<Long, BlockingQueue<Message>> inboxes = new HashMap<>();
    private final Set<Long> disconnected = new HashSet<>();
    private final Map<Link, Double> dropRates = new HashMap<>();
    private final Map<Link, Delay> delays = new HashMap<>();

    RaftNetwork(long... ids) {
        for (long id : ids) {
            inboxes.put(id, new ArrayBlockingQueue<>(INBOX_CAPACITY));
        }
    }

    /** The view of the network a node has: it sends as itself and reads its own inbox. */
    Iface nodeNetwork(long id) {
        return new Iface() {
            @Override
            public void send(Message m) {
                RaftNetwork.this.send(m);
            }

            @Override
            public BlockingQueue<Message> recv() {
                return recvFrom(id);
            }

            @Override
            public void disconnect() {
                RaftNetwork.this.disconnect(id);
            }

            @Override
            public void connect() {
                RaftNetwork.this.connect(id);
            }
        };
    }

    void send(Message m) {
        BlockingQueue<Message> to;
        double drop;
        Delay delay;
        synchronized (this) {
            to = disconnected.contains(m.getTo()) ? null : inboxes.get(m.getTo());
            Link link = new Link(m.getFrom(), m.getTo());
            drop = dropRates.getOrDefault(link, 0.0);
            delay = delays.get(link);
        }
        if (to == null) {
            return;
        }
        if (drop != 0 && nextDouble() < drop) {
            return;
        }
        if (delay != null && delay.nanos() != 0 && nextDouble() < delay.rate()) {
            // Like etcd's network this delays the sender itself.
            long nanos = nextLong(delay.nanos());
            try {
                TimeUnit.NANOSECONDS.sleep(nanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        Message copy;
        try {
            copy = Message.parseFrom(m.toByteArray());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        to.offer(copy); // dropped when the receiver's inbox is full
    }

    /** The inbox of a node, or null while it is disconnected (etcd returns a nil channel). */
    synchronized BlockingQueue<Message> recvFrom(long id) {
        return disconnected.contains(id) ? null : inboxes.get(id);
    }

    synchronized void drop(long from, long to, double rate) {
        dropRates.put(new Link(from, to), rate);
    }

    synchronized void delay(long from, long to, long nanos, double rate) {
        delays.put(new Link(from, to), new Delay(nanos, rate));
    }

    synchronized void disconnect(long id) {
        disconnected.add(id);
    }

    synchronized void connect(long id) {
        disconnected.remove(id);
    }

    private synchronized double nextDouble() {
        return rand.nextDouble();
    }

    private synchronized long nextLong(long bound) {
        return (long) (rand.nextDouble() * bound);
    }

    /** What a node sees of the network. */
    interface Iface {
        void send(Message m);

        /** The node's inbox, or null while disconnected. */
        BlockingQueue<Message> recv();

        void disconnect();

        void connect();
    }
}
