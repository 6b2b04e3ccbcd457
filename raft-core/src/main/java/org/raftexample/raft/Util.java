package org.raftexample.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.List;
import java.util.StringJoiner;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeSingle;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfChanges;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * Small functions about raft messages and states (etcd's util.go and the helpers of node.go),
 * above all the {@code describe*} family, whose text is identical to etcd's so that the
 * data-driven test scripts can be compared byte for byte.
 */
public final class Util {
    private static final HardState EMPTY_STATE = HardState.getDefaultInstance();

    private Util() {}

    /**
     * True for message types that never leave the node (ticks, storage round trips...).
     *
     * @param t the type
     * @return true if local
     */
    public static boolean isLocalMsg(MessageType t) {
        return switch (t) {
            case MsgHup,
                    MsgBeat,
                    MsgUnreachable,
                    MsgSnapStatus,
                    MsgCheckQuorum,
                    MsgStorageAppend,
                    MsgStorageAppendResp,
                    MsgStorageApply,
                    MsgStorageApplyResp -> true;
            default -> false;
        };
    }

    /**
     * True for message types that answer a request of this node.
     *
     * @param t the type
     * @return true if a response
     */
    public static boolean isResponseMsg(MessageType t) {
        return switch (t) {
            case MsgAppResp,
                    MsgVoteResp,
                    MsgHeartbeatResp,
                    MsgUnreachable,
                    MsgReadIndexResp,
                    MsgPreVoteResp,
                    MsgStorageAppendResp,
                    MsgStorageApplyResp -> true;
            default -> false;
        };
    }

    /**
     * True for the ids of the local append and apply threads used with async storage writes.
     *
     * @param id the target of a message
     * @return true if it is a local storage thread
     */
    public static boolean isLocalMsgTarget(long id) {
        return id == Raft.LOCAL_APPEND_THREAD || id == Raft.LOCAL_APPLY_THREAD;
    }

    /**
     * The response type of a vote or pre-vote request.
     *
     * @param t {@code MsgVote} or {@code MsgPreVote}
     * @return {@code MsgVoteResp} or {@code MsgPreVoteResp}
     */
    public static MessageType voteRespMsgType(MessageType t) {
        return switch (t) {
            case MsgVote -> MessageType.MsgVoteResp;
            case MsgPreVote -> MessageType.MsgPreVoteResp;
            default -> throw new RaftPanicException("not a vote message: " + t);
        };
    }

    /** True when both hard states hold the same term, vote and commit (null counts as empty). */
    static boolean isHardStateEqual(HardState a, HardState b) {
        HardState x = a == null ? EMPTY_STATE : a;
        HardState y = b == null ? EMPTY_STATE : b;
        return x.getTerm() == y.getTerm() && x.getVote() == y.getVote() && x.getCommit() == y.getCommit();
    }

    /**
     * True when the hard state is null or all zero.
     *
     * @param st the hard state, or null
     * @return true if empty
     */
    public static boolean isEmptyHardState(HardState st) {
        return st == null || isHardStateEqual(st, EMPTY_STATE);
    }

    /**
     * True when the snapshot is null or has index 0.
     *
     * @param sp the snapshot, or null
     * @return true if empty
     */
    public static boolean isEmptySnap(Snapshot sp) {
        return sp == null || sp.getMetadata().getIndex() == 0;
    }

    /**
     * Returns the snapshot with its metadata, index, term, conf state and auto-leave flag present
     * (zero when they were absent), as etcd's EnsureSnapshot leaves the snapshot it is given.
     */
    static Snapshot ensureSnapshot(Snapshot s) {
        Snapshot snap = s == null ? Snapshot.getDefaultInstance() : s;
        SnapshotMetadata md = snap.getMetadata();
        if (snap.hasMetadata()
                && md.hasIndex()
                && md.hasTerm()
                && md.hasConfState()
                && md.getConfState().hasAutoLeave()) {
            return snap;
        }
        SnapshotMetadata.Builder b = md.toBuilder().setIndex(md.getIndex()).setTerm(md.getTerm());
        b.setConfState(ensureConfState(md.getConfState()));
        return snap.toBuilder().setMetadata(b).build();
    }

    /** Returns the conf state with its auto-leave flag present, as etcd's EnsureConfState. */
    static ConfState ensureConfState(ConfState cs) {
        ConfState c = cs == null ? ConfState.getDefaultInstance() : cs;
        return c.hasAutoLeave() ? c : c.toBuilder().setAutoLeave(false).build();
    }

    /** Panics (through the logger) when two conf states describe different configurations. */
    static void assertConfStatesEquivalent(Logger l, ConfState cs1, ConfState cs2) {
        try {
            ConfChanges.checkEquivalent(cs1, cs2);
        } catch (IllegalArgumentException e) {
            l.panic("%s", e.getMessage());
        }
    }

    /**
     * Describes a hard state as etcd does, e.g. {@code Term:1 Vote:2 Commit:3}.
     *
     * @param hs the hard state
     * @return the text
     */
    public static String describeHardState(HardState hs) {
        StringBuilder sb = new StringBuilder();
        sb.append("Term:").append(Long.toUnsignedString(hs.getTerm()));
        if (hs.getVote() != 0) {
            sb.append(" Vote:").append(Long.toUnsignedString(hs.getVote()));
        }
        sb.append(" Commit:").append(Long.toUnsignedString(hs.getCommit()));
        return sb.toString();
    }

    /**
     * Describes a soft state as etcd does, e.g. {@code Lead:1 State:StateLeader}.
     *
     * @param ss the soft state
     * @return the text
     */
    public static String describeSoftState(SoftState ss) {
        return "Lead:" + Long.toUnsignedString(ss.lead()) + " State:" + ss.raftState();
    }

    /**
     * Describes a configuration as etcd does (voters, outgoing voters, learners, next learners, auto-leave).
     *
     * @param state the configuration
     * @return the text
     */
    public static String describeConfState(ConfState state) {
        return "Voters:" + GoFormat.uintList(state.getVotersList())
                + " VotersOutgoing:" + GoFormat.uintList(state.getVotersOutgoingList())
                + " Learners:" + GoFormat.uintList(state.getLearnersList())
                + " LearnersNext:" + GoFormat.uintList(state.getLearnersNextList())
                + " AutoLeave:" + state.getAutoLeave();
    }

    /**
     * Describes a snapshot's metadata as etcd does: index, term and configuration.
     *
     * @param snap the snapshot
     * @return the text
     */
    public static String describeSnapshot(Snapshot snap) {
        SnapshotMetadata m = snap.getMetadata();
        return "Index:" + Long.toUnsignedString(m.getIndex()) + " Term:" + Long.toUnsignedString(m.getTerm())
                + " ConfState:" + describeConfState(m.getConfState());
    }

    /**
     * Describes a Ready, or returns {@code <empty Ready>} when it carries nothing.
     *
     * @param rd the Ready
     * @param f renders entry payloads, or null for Go's %q
     * @return the text
     */
    public static String describeReady(Ready rd, EntryFormatter f) {
        StringBuilder buf = new StringBuilder();
        if (rd.softState() != null) {
            buf.append(describeSoftState(rd.softState())).append('\n');
        }
        if (!isEmptyHardState(rd.hardState())) {
            buf.append("HardState ").append(describeHardState(rd.hardState())).append('\n');
        }
        if (!rd.readStates().isEmpty()) {
            StringJoiner j = new StringJoiner(" ", "[", "]");
            rd.readStates().forEach(rs -> j.add(rs.toString()));
            buf.append("ReadStates ").append(j).append('\n');
        }
        if (!rd.entries().isEmpty()) {
            buf.append("Entries:\n").append(describeEntries(rd.entries(), f));
        }
        if (!isEmptySnap(rd.snapshot())) {
            buf.append("Snapshot ").append(describeSnapshot(rd.snapshot())).append('\n');
        }
        if (!rd.committedEntries().isEmpty()) {
            buf.append("CommittedEntries:\n").append(describeEntries(rd.committedEntries(), f));
        }
        if (!rd.messages().isEmpty()) {
            buf.append("Messages:\n");
            for (Message msg : rd.messages()) {
                buf.append(describeMessage(msg, f)).append('\n');
            }
        }
        if (buf.length() > 0) {
            return "Ready MustSync=" + rd.mustSync() + ":\n" + buf;
        }
        return "<empty Ready>";
    }

    /**
     * A concise one-message description for debugging and the test scripts.
     *
     * @param m the message
     * @param f renders entry payloads, or null for Go's %q
     * @return the text
     */
    public static String describeMessage(Message m, EntryFormatter f) {
        return describeMessageWithIndent("", m, f);
    }

    private static String describeMessageWithIndent(String indent, Message m, EntryFormatter f) {
        StringBuilder buf = new StringBuilder();
        buf.append(indent)
                .append(describeTarget(m.getFrom()))
                .append("->")
                .append(describeTarget(m.getTo()))
                .append(' ')
                .append(m.getType())
                .append(" Term:")
                .append(Long.toUnsignedString(m.getTerm()))
                .append(" Log:")
                .append(Long.toUnsignedString(m.getLogTerm()))
                .append('/')
                .append(Long.toUnsignedString(m.getIndex()));
        if (m.getReject()) {
            buf.append(" Rejected (Hint: ")
                    .append(Long.toUnsignedString(m.getRejectHint()))
                    .append(')');
        }
        if (m.getCommit() != 0) {
            buf.append(" Commit:").append(Long.toUnsignedString(m.getCommit()));
        }
        if (m.getVote() != 0) {
            buf.append(" Vote:").append(Long.toUnsignedString(m.getVote()));
        }
        List<Entry> ents = m.getEntriesList();
        if (ents.size() == 1) {
            buf.append(" Entries:[").append(describeEntry(ents.get(0), f)).append(']');
        } else if (ents.size() > 1) {
            buf.append(" Entries:[");
            for (Entry e : ents) {
                buf.append('\n').append(indent).append("  ").append(describeEntry(e, f));
            }
            buf.append('\n').append(indent).append(']');
        }
        if (m.hasSnapshot() && !isEmptySnap(m.getSnapshot())) {
            buf.append('\n').append(indent).append("  Snapshot: ").append(describeSnapshot(m.getSnapshot()));
        }
        if (m.getResponsesCount() > 0) {
            buf.append(" Responses:[");
            for (Message r : m.getResponsesList()) {
                buf.append('\n').append(describeMessageWithIndent(indent + "  ", r, f));
            }
            buf.append('\n').append(indent).append(']');
        }
        return buf.toString();
    }

    private static String describeTarget(long id) {
        if (id == Raft.NONE) {
            return "None";
        } else if (id == Raft.LOCAL_APPEND_THREAD) {
            return "AppendThread";
        } else if (id == Raft.LOCAL_APPLY_THREAD) {
            return "ApplyThread";
        }
        return Long.toHexString(id);
    }

    /**
     * A concise description of one entry: term/index, type and formatted payload.
     *
     * @param e the entry
     * @param f renders the payload, or null for Go's %q
     * @return the text
     */
    public static String describeEntry(Entry e, EntryFormatter f) {
        EntryFormatter fmt = f == null ? GoFormat::quote : f;
        String formatted;
        try {
            formatted = switch (e.getType()) {
                case EntryNormal -> fmt.format(e.getData());
                case EntryConfChange ->
                    ConfChanges.toString(
                            ConfChanges.asV2(ConfChange.parseFrom(e.getData())).getChangesList());
                case EntryConfChangeV2 ->
                    ConfChanges.toString(ConfChangeV2.parseFrom(e.getData()).getChangesList());
            };
        } catch (InvalidProtocolBufferException ex) {
            formatted = ex.getMessage();
        }
        if (!formatted.isEmpty()) {
            formatted = " " + formatted;
        }
        return Long.toUnsignedString(e.getTerm()) + "/" + Long.toUnsignedString(e.getIndex()) + " " + e.getType()
                + formatted;
    }

    /**
     * Describes each entry on its own line (each line ends with a newline).
     *
     * @param ents the entries
     * @param f renders entry payloads, or null for Go's %q
     * @return the text
     */
    public static String describeEntries(List<Entry> ents, EntryFormatter f) {
        StringBuilder buf = new StringBuilder();
        for (Entry e : ents) {
            buf.append(describeEntry(e, f)).append('\n');
        }
        return buf.toString();
    }

    /**
     * A deterministic description of a configuration change (etcd avoids the proto text format).
     *
     * @param cc the change
     * @return the text
     */
    public static String describeConfChange(ConfChangeV2 cc) {
        StringBuilder b = new StringBuilder();
        b.append("transition:").append(cc.getTransition());
        for (ConfChangeSingle c : cc.getChangesList()) {
            b.append(" changes:{type:")
                    .append(c.getType())
                    .append(" node_id:")
                    .append(Long.toUnsignedString(c.getNodeId()))
                    .append('}');
        }
        if (!cc.getContext().isEmpty()) {
            b.append(" context:").append(GoFormat.quote(cc.getContext()));
        }
        return b.toString();
    }

    /**
     * The V1 variant of {@link #describeConfChange(ConfChangeV2)}: describes its V2 form.
     *
     * @param cc the change
     * @return the text
     */
    public static String describeConfChange(ConfChange cc) {
        return describeConfChange(ConfChanges.asV2(cc));
    }
}
