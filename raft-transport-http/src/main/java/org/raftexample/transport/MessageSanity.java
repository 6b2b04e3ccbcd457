package org.raftexample.transport;

import java.util.Optional;
import org.raftexample.raft.Util;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * The checks a received message passes before it reaches raft: properties that every message a member of a
 * real cluster sends has, whatever the state of the cluster, so they can be judged here without knowing raft's
 * state. A message that fails one was forged, corrupted or sent by an incompatible program, and stepping it
 * could corrupt the log (entries that do not follow one another), flip an unsigned comparison (values of 2^63
 * and above, which Java's {@code long} holds as negative numbers), or trigger one of raft's panics.
 *
 * <p>Terms and indexes are uint64 in etcd, but a term or index grows by one per election or entry, so no real
 * cluster reaches 2^63; refusing such values keeps etcd's behaviour for every value a real cluster produces and
 * lets raft keep comparing them as signed longs. Ids are not indexes: they use the whole uint64 range and are
 * not checked. Stateless; safe from any thread.
 */
final class MessageSanity {

    private MessageSanity() {}

    /** Which endpoint a message arrived on: a MsgSnap only ever travels on its own. */
    enum Channel {
        /** {@code POST /raft} or a stream: never a MsgSnap. */
        MESSAGE,
        /** {@code POST /raft/snapshot}: always a MsgSnap. */
        SNAPSHOT
    }

    /**
     * Why {@code m}, received on {@code channel}, must not reach raft; empty if it may. The snapshot's data is
     * not looked at (on the snapshot endpoint it has not arrived yet). The sender is not compared with
     * {@code m.from}: a follower forwards proposals, read requests and leadership transfers under the id of
     * whoever made them.
     */
    static Optional<String> check(Message m, Channel channel) {
        MessageType type = m.getType();
        if (Util.isLocalMsg(type)) {
            return Optional.of(type + " is local to a node and never sent by a peer");
        }
        if ((type == MessageType.MsgSnap) != (channel == Channel.SNAPSHOT)) {
            return Optional.of(
                    type == MessageType.MsgSnap
                            ? "MsgSnap outside " + Protocol.SNAPSHOT_PATH
                            : type + " on " + Protocol.SNAPSHOT_PATH);
        }
        Optional<String> range = outOfRange(m);
        if (range.isPresent()) {
            return range;
        }
        // Raft sends proposals and read requests without a term (they are forwarded like local messages) and
        // stamps every other message with its term, which is at least 1 once a node runs.
        boolean termless = type == MessageType.MsgProp || type == MessageType.MsgReadIndex;
        if (termless != (m.getTerm() == 0)) {
            return Optional.of(type + (termless ? " with a term" : " without a term"));
        }
        // A leader steps into the first entry of these without looking (etcd panics on an empty MsgProp and
        // reads Entries[0] of a MsgReadIndex); raft itself always sends one read context, and proposals with data.
        if (type == MessageType.MsgProp && m.getEntriesCount() == 0) {
            return Optional.of("MsgProp without entries");
        }
        if (type == MessageType.MsgReadIndex && m.getEntriesCount() != 1) {
            return Optional.of("MsgReadIndex with " + m.getEntriesCount() + " entries instead of 1");
        }
        if (type == MessageType.MsgApp) {
            return appendShape(m);
        }
        if (type == MessageType.MsgSnap) {
            return snapshotShape(m);
        }
        return Optional.empty();
    }

    /** Every term and index in the message must be below 2^63 (see the class comment). */
    private static Optional<String> outOfRange(Message m) {
        if ((m.getTerm() | m.getLogTerm() | m.getIndex() | m.getCommit() | m.getRejectHint()) < 0) {
            return Optional.of("term, log term, index, commit or reject hint out of range: term "
                    + u(m.getTerm()) + ", logTerm " + u(m.getLogTerm()) + ", index " + u(m.getIndex())
                    + ", commit " + u(m.getCommit()) + ", rejectHint " + u(m.getRejectHint()));
        }
        for (Entry e : m.getEntriesList()) {
            if ((e.getTerm() | e.getIndex()) < 0) {
                return Optional.of(
                        "entry term or index out of range: term " + u(e.getTerm()) + ", index " + u(e.getIndex()));
            }
        }
        if (m.hasSnapshot()) {
            SnapshotMetadata md = m.getSnapshot().getMetadata();
            if ((md.getTerm() | md.getIndex()) < 0) {
                return Optional.of(
                        "snapshot term or index out of range: term " + u(md.getTerm()) + ", index " + u(md.getIndex()));
            }
        }
        return Optional.empty();
    }

    /**
     * A leader's append: entries that follow (logTerm, index) one by one, with terms that never decrease and
     * never exceed the leader's term (what raft's own logSlice validation requires, checked here before raft
     * takes any action on the message, such as adopting its term).
     */
    private static Optional<String> appendShape(Message m) {
        long term = m.getLogTerm();
        long index = m.getIndex();
        if (term > m.getTerm()) {
            return Optional.of("MsgApp with log term " + term + " above its term " + m.getTerm());
        }
        for (Entry e : m.getEntriesList()) {
            if (e.getIndex() != index + 1 || e.getTerm() < term || e.getTerm() > m.getTerm()) {
                return Optional.of("MsgApp entries do not follow (" + term + ", " + index + "): entry (" + e.getTerm()
                        + ", " + e.getIndex() + ") in a message of term " + m.getTerm());
            }
            term = e.getTerm();
            index = e.getIndex();
        }
        return Optional.empty();
    }

    /** A snapshot is never empty, and it holds entries of the leader's term or older. */
    private static Optional<String> snapshotShape(Message m) {
        SnapshotMetadata md = m.getSnapshot().getMetadata();
        if (md.getIndex() == 0 || md.getTerm() == 0) {
            return Optional.of(
                    "MsgSnap with an empty snapshot (index " + md.getIndex() + ", term " + md.getTerm() + ")");
        }
        if (md.getTerm() > m.getTerm()) {
            return Optional.of("MsgSnap with snapshot term " + md.getTerm() + " above its term " + m.getTerm());
        }
        return Optional.empty();
    }

    private static String u(long v) {
        return Long.toUnsignedString(v);
    }
}
