package org.raftexample.raftpb;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import com.google.protobuf.TextFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * Hand-written helpers for the configuration-change messages (Go: raftpb/confchange.go,
 * confstate.go and the ConfState part of util.go).
 *
 * <p>Go's {@code ConfChangeI} (a ConfChange or a ConfChangeV2) is a {@link MessageLite} here that
 * must be one of the two; the methods taking it reject anything else.
 */
public final class ConfChanges {
    private ConfChanges() {}

    /**
     * The V2 change carrying out the same single operation as a legacy ConfChange.
     *
     * @param cc the legacy change
     * @return the V2 change
     */
    public static ConfChangeV2 asV2(ConfChange cc) {
        ConfChangeV2.Builder b = ConfChangeV2.newBuilder()
                .addChanges(ConfChangeSingle.newBuilder().setType(cc.getType()).setNodeId(cc.getNodeId()));
        if (cc.hasContext()) {
            b.setContext(cc.getContext());
        }
        return b.build();
    }

    /**
     * Go's ConfChangeI.AsV2: converts a ConfChange, returns a ConfChangeV2 as is.
     *
     * @param cc a ConfChange or a ConfChangeV2
     * @return the V2 change
     */
    public static ConfChangeV2 asV2(MessageLite cc) {
        if (cc instanceof ConfChange v1) {
            return asV2(v1);
        }
        if (cc instanceof ConfChangeV2 v2) {
            return v2;
        }
        throw notAConfChange(cc);
    }

    /**
     * Go's ConfChangeI.AsV1: the ConfChange itself, or null for a ConfChangeV2.
     *
     * @param cc a ConfChange or a ConfChangeV2
     * @return the legacy change, or null
     */
    public static ConfChange asV1(MessageLite cc) {
        if (cc instanceof ConfChange v1) {
            return v1;
        }
        if (cc instanceof ConfChangeV2) {
            return null;
        }
        throw notAConfChange(cc);
    }

    private static IllegalArgumentException notAConfChange(MessageLite cc) {
        return new IllegalArgumentException("not a ConfChange or ConfChangeV2: "
                + (cc == null ? "null" : cc.getClass().getName()));
    }

    /**
     * How a configuration change travels in a log entry. {@code data} is null (leave
     * {@code Entry.data} unset) for a null change, which decodes as an empty ConfChangeV2 and so
     * leaves a joint configuration.
     */
    public record MarshaledConfChange(EntryType type, ByteString data) {
        /**
         * An entry of this type holding this data (nothing else set).
         *
         * @return the entry's builder
         */
        public Entry.Builder toEntry() {
            Entry.Builder e = Entry.newBuilder().setType(type);
            if (data != null) {
                e.setData(data);
            }
            return e;
        }
    }

    /**
     * Go's MarshalConfChange: the entry type and encoding of a ConfChange, a ConfChangeV2, or null.
     *
     * @param cc a ConfChange, a ConfChangeV2, or null (leave a joint configuration)
     * @return the entry type and its data
     */
    public static MarshaledConfChange marshalConfChange(MessageLite cc) {
        if (cc == null) {
            // Empty data cannot be refused by size limits and means "leave the joint config".
            return new MarshaledConfChange(EntryType.EntryConfChangeV2, null);
        }
        ConfChange v1 = asV1(cc);
        if (v1 != null) {
            return new MarshaledConfChange(EntryType.EntryConfChange, v1.toByteString());
        }
        return new MarshaledConfChange(EntryType.EntryConfChangeV2, asV2(cc).toByteString());
    }

    /**
     * Whether the change uses joint consensus: it has more than one operation or asks for a
     * joint transition explicitly. See {@link #autoLeave} for how the joint state is left.
     *
     * @param cc the change
     * @return true if it enters a joint configuration
     */
    public static boolean enterJoint(ConfChangeV2 cc) {
        // Some multi-operation changes could be done one at a time, depending on the config they
        // apply to; like etcd, use joint consensus whenever it might be needed.
        return cc.getTransition() != ConfChangeTransition.ConfChangeTransitionAuto || cc.getChangesCount() > 1;
    }

    /**
     * Whether raft should leave the joint state on its own once it is entered (the first result
     * of Go's EnterJoint); false when {@link #enterJoint} is.
     *
     * @param cc the change
     * @return true if raft leaves the joint configuration by itself
     */
    public static boolean autoLeave(ConfChangeV2 cc) {
        if (!enterJoint(cc)) {
            return false;
        }
        return switch (cc.getTransition()) {
            case ConfChangeTransitionAuto, ConfChangeTransitionJointImplicit -> true;
            case ConfChangeTransitionJointExplicit -> false;
        };
    }

    /**
     * Whether the change leaves a joint configuration: no operations and the default transition (context ignored).
     *
     * @param cc the change
     * @return true if it leaves a joint configuration
     */
    public static boolean leaveJoint(ConfChangeV2 cc) {
        return cc.getTransition() == ConfChangeTransition.ConfChangeTransitionAuto && cc.getChangesCount() == 0;
    }

    /**
     * Parses space-separated operations: {@code vN} makes N a voter, {@code lN} a learner,
     * {@code rN} removes it and {@code uN} updates it. Throws IllegalArgumentException with Go's
     * error text on bad input.
     *
     * @param s the operations, e.g. {@code v1 l2 r3}
     * @return the operations
     */
    public static List<ConfChangeSingle> fromString(String s) {
        List<ConfChangeSingle> ccs = new ArrayList<>();
        String trimmed = s.strip();
        if (trimmed.isEmpty()) {
            return ccs;
        }
        for (String tok : trimmed.split(" ", -1)) {
            if (tok.length() < 2) {
                throw new IllegalArgumentException("unknown token " + tok);
            }
            ConfChangeType type = switch (tok.charAt(0)) {
                case 'v' -> ConfChangeType.ConfChangeAddNode;
                case 'l' -> ConfChangeType.ConfChangeAddLearnerNode;
                case 'r' -> ConfChangeType.ConfChangeRemoveNode;
                case 'u' -> ConfChangeType.ConfChangeUpdateNode;
                default -> throw new IllegalArgumentException("unknown input: " + tok);
            };
            ccs.add(ConfChangeSingle.newBuilder()
                    .setType(type)
                    .setNodeId(parseUint(tok.substring(1)))
                    .build());
        }
        return ccs;
    }

    /** Parses a decimal uint64 the way Go's strconv.ParseUint(s, 10, 64) does, with its error text. */
    static long parseUint(String s) {
        boolean digits = !s.isEmpty();
        for (int i = 0; i < s.length() && digits; i++) {
            char c = s.charAt(i);
            digits = c >= '0' && c <= '9';
        }
        if (!digits) {
            throw new IllegalArgumentException("strconv.ParseUint: parsing \"" + s + "\": invalid syntax");
        }
        try {
            return Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("strconv.ParseUint: parsing \"" + s + "\": value out of range", e);
        }
    }

    /**
     * The inverse of {@link #fromString}, e.g. {@code v1 l2 r3}.
     *
     * @param ccs the operations
     * @return the text
     */
    public static String toString(List<ConfChangeSingle> ccs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ccs.size(); i++) {
            if (i > 0) {
                sb.append(' ');
            }
            ConfChangeSingle cc = ccs.get(i);
            sb.append(
                    switch (cc.getType()) {
                        case ConfChangeAddNode -> "v";
                        case ConfChangeAddLearnerNode -> "l";
                        case ConfChangeRemoveNode -> "r";
                        case ConfChangeUpdateNode -> "u";
                    });
            sb.append(Long.toUnsignedString(cc.getNodeId()));
        }
        return sb.toString();
    }

    /**
     * Returns normally if the two describe the same configuration: same ids in each role in any
     * order, and the same autoLeave with unset meaning false. Otherwise throws
     * IllegalArgumentException showing both, sorted and as given. (Go prints the structs with
     * {@code %+#v}; this prints them in protobuf text format.)
     *
     * @param a one configuration
     * @param b the other
     */
    public static void checkEquivalent(ConfState a, ConfState b) {
        if (a == null || b == null) {
            throw new IllegalArgumentException(
                    String.format("cannot compare ConfState: nil input (left=%s, right=%s)", a == null, b == null));
        }
        ConfState na = normalized(a);
        ConfState nb = normalized(b);
        if (!na.equals(nb)) {
            throw new IllegalArgumentException("ConfStates not equivalent after sorting:\n" + text(na) + "\n" + text(nb)
                    + "\nInputs were:\n" + text(a) + "\n" + text(b));
        }
    }

    private static String text(ConfState cs) {
        return "ConfState{"
                + TextFormat.printer()
                        .emittingSingleLine(true)
                        .printToString(cs)
                        .strip() + "}";
    }

    private static ConfState normalized(ConfState cs) {
        return cs.toBuilder()
                .clearVoters()
                .addAllVoters(sortedUnsigned(cs.getVotersList()))
                .clearLearners()
                .addAllLearners(sortedUnsigned(cs.getLearnersList()))
                .clearVotersOutgoing()
                .addAllVotersOutgoing(sortedUnsigned(cs.getVotersOutgoingList()))
                .clearLearnersNext()
                .addAllLearnersNext(sortedUnsigned(cs.getLearnersNextList()))
                .setAutoLeave(cs.getAutoLeave())
                .build();
    }

    private static List<Long> sortedUnsigned(List<Long> ids) {
        List<Long> sl = new ArrayList<>(ids);
        sl.sort(Long::compareUnsigned);
        return sl;
    }

    /**
     * Go's EnsureConfState: a ConfState with every optional field present (an empty one for null),
     * so that it encodes and compares like etcd's.
     *
     * @param cs the configuration, or null
     * @return the completed configuration
     */
    public static ConfState ensureConfState(ConfState cs) {
        if (cs == null) {
            return ConfState.newBuilder().setAutoLeave(false).build();
        }
        return cs.hasAutoLeave() ? cs : cs.toBuilder().setAutoLeave(false).build();
    }

    /**
     * Go's EnsureSnapshotMetadata: the metadata (an empty one for null) with its conf state,
     * index and term present, the conf state completed by {@link #ensureConfState}.
     *
     * @param m the metadata, or null
     * @return the completed metadata
     */
    public static SnapshotMetadata ensureSnapshotMetadata(SnapshotMetadata m) {
        SnapshotMetadata.Builder b = m == null ? SnapshotMetadata.newBuilder() : m.toBuilder();
        return b.setConfState(ensureConfState(b.hasConfState() ? b.getConfState() : null))
                .setIndex(b.getIndex())
                .setTerm(b.getTerm())
                .build();
    }

    /**
     * Go's EnsureSnapshot: the snapshot (an empty one for null) with complete metadata.
     *
     * @param s the snapshot, or null
     * @return the completed snapshot
     */
    public static Snapshot ensureSnapshot(Snapshot s) {
        Snapshot.Builder b = s == null ? Snapshot.newBuilder() : s.toBuilder();
        return b.setMetadata(ensureSnapshotMetadata(b.hasMetadata() ? b.getMetadata() : null))
                .build();
    }
}
