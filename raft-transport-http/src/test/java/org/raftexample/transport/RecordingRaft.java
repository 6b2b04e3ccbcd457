package org.raftexample.transport;

import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.raftexample.raft.SnapshotStatus;
import org.raftexample.raftpb.Message;

/** A {@link RaftReceiver} for tests: records everything the transport hands it. */
final class RecordingRaft implements RaftReceiver {
    record SnapshotReport(long id, SnapshotStatus status) {}

    final BlockingQueue<Message> received = new LinkedBlockingQueue<>();
    final List<Long> unreachable = new CopyOnWriteArrayList<>();
    final BlockingQueue<SnapshotReport> snapshotReports = new LinkedBlockingQueue<>();
    final Set<Long> removed = ConcurrentHashMap.newKeySet();
    final AtomicInteger failNextProcess = new AtomicInteger();
    /** How many of the next messages to drop as a Node with a full inbound queue does. */
    final AtomicInteger dropNextProcess = new AtomicInteger();

    @Override
    public void process(Message message) throws MessageDroppedException {
        if (failNextProcess.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IllegalStateException("raft refuses this message");
        }
        if (dropNextProcess.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new MessageDroppedException(message.getType(), message.getFrom());
        }
        received.add(message);
    }

    @Override
    public boolean isIdRemoved(long id) {
        return removed.contains(id);
    }

    @Override
    public void reportUnreachable(long id) {
        unreachable.add(id);
    }

    @Override
    public void reportSnapshot(long id, SnapshotStatus status) {
        snapshotReports.add(new SnapshotReport(id, status));
    }
}
