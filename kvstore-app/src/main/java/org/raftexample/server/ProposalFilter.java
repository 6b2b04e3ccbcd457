package org.raftexample.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.concurrent.atomic.AtomicLong;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps proposals that the state machine could not apply out of the raft log: a MsgProp received from a peer
 * (a follower forwarding to the leader, or anyone on the network claiming to be one) must carry only entries
 * the members can decode. Local proposals are built by the application and decode by construction, so only
 * received messages go through here. One per node: its only state is the count of dropped proposals (the
 * metric {@code raftexample_server_proposals_filtered_total}) and the rate limit on its log line, both
 * atomics; safe from any thread (the transport calls it from its request and stream threads).
 */
final class ProposalFilter {
    private static final Logger LOG = LoggerFactory.getLogger(ProposalFilter.class);
    /** At most one WARN per this many nanoseconds; the others only count. */
    private static final long LOG_EVERY_NANOS = 1_000_000_000L;

    private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);
    private final AtomicLong dropped = new AtomicLong();
    private final StateMachine stateMachine;

    /** @param stateMachine says which commands it could apply ({@link StateMachine#accepts}) */
    ProposalFilter(StateMachine stateMachine) {
        this.stateMachine = stateMachine;
    }

    /** Whether {@code m} may be stepped into raft: anything but a MsgProp, or a MsgProp whose entries all decode. */
    boolean acceptable(Message m) {
        if (m.getType() != MessageType.MsgProp) {
            return true;
        }
        for (Entry e : m.getEntriesList()) {
            if (!decodes(e)) {
                return false;
            }
        }
        return true;
    }

    /** Drops {@code m} with a rate-limited WARN when it is not {@link #acceptable}; returns whether to keep it. */
    boolean admit(Message m) {
        if (acceptable(m)) {
            return true;
        }
        long n = dropped.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLog.get();
        if (now - last >= LOG_EVERY_NANOS && lastLog.compareAndSet(last, now)) {
            LOG.warn(
                    "dropped a proposal from {} holding an entry no member could apply ({} dropped so far)",
                    Long.toHexString(m.getFrom()),
                    n);
        }
        return false;
    }

    /** How many proposals {@link #admit} has dropped on this node since it started. */
    long droppedCount() {
        return dropped.get();
    }

    private boolean decodes(Entry e) {
        ByteString data = e.getData();
        return switch (e.getType()) {
            // Raft itself proposes empty normal entries (a new leader's, leaving a joint configuration).
            case EntryNormal -> data.isEmpty() || acceptsCommand(data);
            case EntryConfChange -> parses(() -> ConfChange.parseFrom(data));
            case EntryConfChangeV2 -> parses(() -> ConfChangeV2.parseFrom(data));
        };
    }

    private boolean acceptsCommand(ByteString data) {
        Proposal p = Proposal.decode(data);
        return p != null && stateMachine.accepts(p.command());
    }

    @FunctionalInterface
    private interface Parse {
        void run() throws InvalidProtocolBufferException;
    }

    private static boolean parses(Parse p) {
        try {
            p.run();
            return true;
        } catch (InvalidProtocolBufferException e) {
            return false;
        }
    }
}
