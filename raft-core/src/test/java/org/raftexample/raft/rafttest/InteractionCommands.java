package org.raftexample.raft.rafttest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.raftexample.raft.Config;
import org.raftexample.raft.GoFormat;
import org.raftexample.raft.ProposalDroppedException;
import org.raftexample.raft.ReadOnlyOption;
import org.raftexample.raft.StepLocalMsgException;
import org.raftexample.raft.StepPeerNotFoundException;
import org.raftexample.raft.StorageException;
import org.raftexample.raft.datadriven.CmdArg;
import org.raftexample.raft.datadriven.TestData;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeSingle;
import org.raftexample.raftpb.ConfChangeTransition;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfChanges;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * Parses the commands of etcd's interaction scripts and runs them on an {@link InteractionEnv}.
 *
 * <p>A malformed command (bad node index, unknown flag value the script cannot mean) fails the
 * test with an {@link IllegalArgumentException}. Errors raft or the harness return for a
 * well-formed command (a dropped proposal, an unknown peer...) are part of the expected output.
 */
public final class InteractionCommands {
    private final InteractionEnv env;

    public InteractionCommands(InteractionEnv env) {
        this.env = env;
    }

    /** Runs one command and returns its output: what was written, or "ok" when nothing was. */
    public String handle(TestData d) {
        RedirectLogger out = env.output;
        out.reset();
        RuntimeException err = null;
        try {
            dispatch(d);
        } catch (RuntimeException e) {
            if (!isReportedError(e)) {
                throw e;
            }
            err = e;
        }
        // The highest level silences the harness too (handy during chatty setup), but never errors.
        if (err != null) {
            if (out.quiet()) {
                return err.getMessage();
            }
            out.write(err.getMessage());
        }
        if (out.length() == 0) {
            return "ok";
        }
        return out.toString();
    }

    /** Whether an exception is an error raft or the harness returns, printed rather than thrown. */
    static boolean isReportedError(RuntimeException e) {
        return e instanceof InteractionException
                || e instanceof ProposalDroppedException
                || e instanceof StepLocalMsgException
                || e instanceof StepPeerNotFoundException
                || e instanceof StorageException;
    }

    private void dispatch(TestData d) {
        switch (d.cmd) {
            case "_breakpoint" -> {
                // A place to put a debugger breakpoint when investigating a long script.
            }
            case "add-nodes" -> addNodes(d);
            case "campaign" -> env.campaign(firstAsNodeIdx(d));
            case "compact" -> {
                String arg = d.cmdArgs.get(1).key();
                long newFirstIndex;
                try {
                    newFirstIndex = Long.parseUnsignedLong(arg);
                } catch (NumberFormatException e) {
                    throw new InteractionException(
                            "strconv.ParseUint: parsing " + GoFormat.quote(arg) + ": invalid syntax");
                }
                env.compact(firstAsNodeIdx(d), newFirstIndex);
            }
            case "deliver-msgs" -> deliverMsgs(d);
            case "process-ready" -> forEachNode(d, "handling Ready", env::processReady);
            case "process-append-thread" -> forEachNode(d, "processing append thread", env::processAppendThread);
            case "process-apply-thread" -> forEachNode(d, "processing apply thread", env::processApplyThread);
            case "log-level" -> env.logLevel(d.cmdArgs.get(0).key());
            case "raft-log" -> env.raftLog(firstAsNodeIdx(d));
            case "raft-state" -> env.raftState();
            case "set-randomized-election-timeout" -> {
                int timeout = d.scanInt("timeout");
                if (timeout == 0) {
                    throw new IllegalArgumentException("timeout must not be zero");
                }
                env.setRandomizedElectionTimeout(firstAsNodeIdx(d), timeout);
            }
            case "stabilize" -> stabilize(d);
            case "status" -> env.status(firstAsNodeIdx(d));
            case "tick-election" -> {
                int idx = firstAsNodeIdx(d);
                env.tick(idx, env.nodes.get(idx).config.electionTick());
            }
            case "tick-heartbeat" -> {
                int idx = firstAsNodeIdx(d);
                env.tick(idx, env.nodes.get(idx).config.heartbeatTick());
            }
            case "transfer-leadership" -> transferLeadership(d);
            case "forget-leader" -> env.forgetLeader(firstAsNodeIdx(d));
            case "send-snapshot" -> {
                List<Integer> idxs = nodeIdxs(d);
                if (idxs.size() != 2) {
                    throw new IllegalArgumentException("send-snapshot needs exactly two node ids");
                }
                env.sendSnapshot(idxs.get(0), idxs.get(1));
            }
            case "propose" -> {
                if (d.cmdArgs.size() != 2 || !d.cmdArgs.get(1).vals().isEmpty()) {
                    throw new IllegalArgumentException(
                            "expected exactly one key with no vals: " + d.cmdArgs.subList(1, d.cmdArgs.size()));
                }
                env.propose(firstAsNodeIdx(d), d.cmdArgs.get(1).key().getBytes(StandardCharsets.UTF_8));
            }
            case "propose-conf-change" -> proposeConfChange(d);
            case "report-unreachable" -> {
                List<Integer> idxs = nodeIdxs(d);
                if (idxs.size() != 2) {
                    throw new InteractionException(
                            "must specify exactly two node indexes: node on which to report, and reported node");
                }
                env.reportUnreachable(idxs.get(0), idxs.get(1));
            }
            default -> throw new InteractionException("unknown command");
        }
    }

    private interface NodeAction {
        void run(int idx);
    }

    /** Runs an action on each listed node; with several nodes, each one's output gets a header. */
    private void forEachNode(TestData d, String header, NodeAction action) {
        List<Integer> idxs = nodeIdxs(d);
        for (int idx : idxs) {
            if (idxs.size() > 1) {
                env.output.write(String.format("> %d %s\n", idx + 1, header));
                env.withIndent(() -> action.run(idx));
            } else {
                action.run(idx);
            }
        }
    }

    private void addNodes(TestData d) {
        int n = firstAsInt(d);
        List<Long> voters = new ArrayList<>();
        List<Long> learners = new ArrayList<>();
        long index = 0;
        boolean indexSet = false;
        String content = null;
        List<Consumer<Config.Builder>> settings = new ArrayList<>();
        for (CmdArg arg : d.cmdArgs.subList(1, d.cmdArgs.size())) {
            for (String val : arg.vals()) {
                switch (arg.key()) {
                    case "voters" -> voters.add(parseUnsigned(val));
                    case "learners" -> learners.add(parseUnsigned(val));
                    case "inflight" -> {
                        int v = parseInt(val);
                        settings.add(c -> c.maxInflightMsgs(v));
                    }
                    case "index" -> {
                        long v = parseUnsigned(val);
                        index = v;
                        indexSet = true;
                        settings.add(c -> c.applied(v));
                    }
                    case "content" -> content = val;
                    case "async-storage-writes" -> {
                        boolean v = parseBool(val);
                        settings.add(c -> c.asyncStorageWrites(v));
                    }
                    case "prevote" -> {
                        boolean v = parseBool(val);
                        settings.add(c -> c.preVote(v));
                    }
                    case "checkquorum" -> {
                        boolean v = parseBool(val);
                        settings.add(c -> c.checkQuorum(v));
                    }
                    case "max-committed-size-per-ready" -> {
                        long v = parseUnsigned(val);
                        settings.add(c -> c.maxCommittedSizePerReady(v));
                    }
                    case "disable-conf-change-validation" -> {
                        boolean v = parseBool(val);
                        settings.add(c -> c.disableConfChangeValidation(v));
                    }
                    case "read-only" -> {
                        ReadOnlyOption v = switch (val) {
                            case "safe" -> ReadOnlyOption.ReadOnlySafe;
                            case "lease-based" -> ReadOnlyOption.ReadOnlyLeaseBased;
                            default ->
                                throw new InteractionException("invalid read-only option " + GoFormat.quote(val));
                        };
                        settings.add(c -> c.readOnlyOption(v));
                    }
                    case "step-down-on-removal" -> {
                        boolean v = parseBool(val);
                        settings.add(c -> c.stepDownOnRemoval(v));
                    }
                    default -> {
                        // Unknown keys are ignored, as etcd's harness ignores them.
                    }
                }
            }
        }
        SnapshotMetadata.Builder md = SnapshotMetadata.newBuilder()
                .setConfState(ConfState.newBuilder().addAllVoters(voters).addAllLearners(learners))
                .setIndex(indexSet ? index : 0)
                .setTerm(0);
        Snapshot.Builder snap = Snapshot.newBuilder().setMetadata(md);
        if (content != null && !content.isEmpty()) {
            snap.setData(com.google.protobuf.ByteString.copyFromUtf8(content));
        }
        env.addNodes(n, cfg -> settings.forEach(s -> s.accept(cfg)), snap.build());
    }

    private void deliverMsgs(TestData d) {
        MessageType type = null;
        List<InteractionEnv.Recipient> rs = new ArrayList<>();
        for (CmdArg arg : d.cmdArgs) {
            if (arg.vals().isEmpty()) {
                rs.add(new InteractionEnv.Recipient(parseUnsigned(arg.key()), false));
            }
            for (String val : arg.vals()) {
                switch (arg.key()) {
                    case "drop" -> {
                        long id = parseUnsigned(val);
                        for (InteractionEnv.Recipient r : rs) {
                            if (r.id() == id) {
                                throw new IllegalArgumentException("can't both deliver and drop msgs to " + id);
                            }
                        }
                        rs.add(new InteractionEnv.Recipient(id, true));
                    }
                    case "type" -> {
                        try {
                            type = MessageType.valueOf(val);
                        } catch (IllegalArgumentException e) {
                            throw new IllegalArgumentException("unknown message type " + val, e);
                        }
                    }
                    default -> {
                        // Other keys carry nothing for this command.
                    }
                }
            }
        }
        if (env.deliverMsgs(type, rs) == 0) {
            env.output.write("no messages\n");
        }
    }

    private void stabilize(TestData d) {
        List<Integer> idxs = nodeIdxs(d);
        int oldLevel = env.output.level();
        boolean restore = false;
        try {
            for (CmdArg arg : d.cmdArgs) {
                for (String val : arg.vals()) {
                    if (arg.key().equals("log-level")) {
                        restore = true;
                        env.logLevel(val);
                    }
                }
            }
            env.stabilize(idxs);
        } finally {
            if (restore) {
                env.output.setLevel(oldLevel);
            }
        }
    }

    private void transferLeadership(TestData d) {
        long from = d.scanLong("from");
        long to = d.scanLong("to");
        int n = env.nodes.size();
        if (from == 0 || from > n) {
            throw new IllegalArgumentException("expected valid \"from\" argument");
        }
        if (to == 0 || to > n) {
            throw new IllegalArgumentException("expected valid \"to\" argument");
        }
        env.transferLeadership(from, to);
    }

    private void proposeConfChange(TestData d) {
        int idx = firstAsNodeIdx(d);
        boolean v1 = false;
        ConfChangeTransition transition = ConfChangeTransition.ConfChangeTransitionAuto;
        for (CmdArg arg : d.cmdArgs.subList(1, d.cmdArgs.size())) {
            for (String val : arg.vals()) {
                switch (arg.key()) {
                    case "v1" -> v1 = parseBoolOrReport(val);
                    case "transition" ->
                        transition = switch (val) {
                            case "auto" -> ConfChangeTransition.ConfChangeTransitionAuto;
                            case "implicit" -> ConfChangeTransition.ConfChangeTransitionJointImplicit;
                            case "explicit" -> ConfChangeTransition.ConfChangeTransitionJointExplicit;
                            default -> throw new InteractionException("unknown transition " + val);
                        };
                    default -> throw new InteractionException("unknown command " + arg.key());
                }
            }
        }
        List<ConfChangeSingle> ccs;
        try {
            ccs = ConfChanges.fromString(d.input);
        } catch (IllegalArgumentException e) {
            throw new InteractionException(e.getMessage());
        }
        if (v1) {
            if (ccs.size() > 1 || transition != ConfChangeTransition.ConfChangeTransitionAuto) {
                throw new InteractionException("v1 conf change can only have one operation and no transition");
            }
            env.proposeConfChange(
                    idx,
                    ConfChange.newBuilder()
                            .setType(ccs.get(0).getType())
                            .setNodeId(ccs.get(0).getNodeId())
                            .build());
        } else {
            env.proposeConfChange(
                    idx,
                    ConfChangeV2.newBuilder()
                            .setTransition(transition)
                            .addAllChanges(ccs)
                            .build());
        }
    }

    // ---- argument parsing, as etcd's harness does it

    private static int firstAsInt(TestData d) {
        return parseInt(d.cmdArgs.get(0).key());
    }

    private static int firstAsNodeIdx(TestData d) {
        return firstAsInt(d) - 1;
    }

    /** The node indexes named by the bare (key-only) arguments; key=value arguments are skipped. */
    private static List<Integer> nodeIdxs(TestData d) {
        List<Integer> idxs = new ArrayList<>();
        for (CmdArg arg : d.cmdArgs) {
            if (arg.vals().isEmpty()) {
                idxs.add(parseInt(arg.key()) - 1);
            }
        }
        return idxs;
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an integer: " + s, e);
        }
    }

    private static long parseUnsigned(String s) {
        try {
            return Long.parseUnsignedLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an unsigned integer: " + s, e);
        }
    }

    /** Go's strconv.ParseBool. */
    private static Boolean goParseBool(String s) {
        return switch (s) {
            case "1", "t", "T", "TRUE", "true", "True" -> true;
            case "0", "f", "F", "FALSE", "false", "False" -> false;
            default -> null;
        };
    }

    private static boolean parseBool(String s) {
        Boolean b = goParseBool(s);
        if (b == null) {
            throw new IllegalArgumentException("not a boolean: " + s);
        }
        return b;
    }

    private static boolean parseBoolOrReport(String s) {
        Boolean b = goParseBool(s);
        if (b == null) {
            throw new InteractionException("strconv.ParseBool: parsing " + GoFormat.quote(s) + ": invalid syntax");
        }
        return b;
    }
}
