package org.raftexample.raft.rafttest;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.raftexample.raft.BasicStatus;
import org.raftexample.raft.Config;
import org.raftexample.raft.DefaultLogger;
import org.raftexample.raft.EntryFormatter;
import org.raftexample.raft.GoFormat;
import org.raftexample.raft.MemoryStorage;
import org.raftexample.raft.RawNode;
import org.raftexample.raft.Ready;
import org.raftexample.raft.Status;
import org.raftexample.raft.Util;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.ProgressMap;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * Drives a group of {@link RawNode}s by hand so that tests can script complex interactions step
 * by step: which node ticks, campaigns or proposes, which messages get delivered or dropped, when
 * a Ready is handled and when the (simulated) storage threads do their work.
 *
 * <p>Everything observable (log lines of the nodes, Readys, messages) goes to {@link #output()}, a
 * {@link RedirectLogger}; {@link InteractionCommands} maps script commands onto these operations.
 * Nothing here is concurrent: the "threads" of async storage writes are queues that a command
 * drains explicitly.
 */
public final class InteractionEnv {
    /** Prints entry payloads as Go's %q does, as etcd's harness does. */
    static final EntryFormatter DEFAULT_ENTRY_FORMATTER = GoFormat::quote;

    final InteractionOpts options;
    final List<Node> nodes = new ArrayList<>();
    /** Messages sent but not yet delivered or dropped, in the order they were sent. */
    List<Message> messages = new ArrayList<>();

    final RedirectLogger output = new RedirectLogger();

    public InteractionEnv(InteractionOpts options) {
        this.options = options == null ? new InteractionOpts(null, null) : options;
    }

    public RedirectLogger output() {
        return output;
    }

    public List<Node> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    /** Runs {@code body} with its output indented by two spaces, line by line. */
    void withIndent(Runnable body) {
        StringBuilder original = output.swapBuilder(new StringBuilder());
        try {
            body.run();
        } finally {
            String nested = output.swapBuilder(original).toString();
            // Go's bufio.Scanner drops a trailing newline and keeps the lines between.
            if (!nested.isEmpty()) {
                String trimmed = nested.endsWith("\n") ? nested.substring(0, nested.length() - 1) : nested;
                for (String line : trimmed.split("\n", -1)) {
                    original.append("  ").append(stripCarriageReturn(line)).append('\n');
                }
            }
        }
    }

    private static String stripCarriageReturn(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    /** The template config of every node: small timeouts and no flow-control limits. */
    static Config.Builder raftConfigStub() {
        Config.Builder cfg = Config.builder();
        cfg.electionTick(3);
        cfg.heartbeatTick(1);
        cfg.maxSizePerMsg(Long.MAX_VALUE);
        cfg.maxInflightMsgs(Integer.MAX_VALUE);
        return cfg;
    }

    /** A snapshot whose metadata and conf state are present and zero, like Go's EnsureSnapshot(nil). */
    static Snapshot emptySnapshot() {
        return ensureSnapshot(Snapshot.getDefaultInstance());
    }

    /** Fills in the absent metadata fields of {@code snap}, as Go's EnsureSnapshot does. */
    static Snapshot ensureSnapshot(Snapshot snap) {
        SnapshotMetadata.Builder md = snap.getMetadata().toBuilder();
        // Go's EnsureConfState also gives AutoLeave a value.
        ConfState.Builder cs = md.getConfState().toBuilder();
        if (!cs.hasAutoLeave()) {
            cs.setAutoLeave(false);
        }
        md.setConfState(cs);
        if (!md.hasIndex()) {
            md.setIndex(0);
        }
        if (!md.hasTerm()) {
            md.setTerm(0);
        }
        return snap.toBuilder().setMetadata(md).build();
    }

    // ---- add-nodes

    /**
     * Adds {@code n} nodes with consecutive ids, each created from a fresh config that
     * {@code configure} fills in (on top of {@link #raftConfigStub()}), and bootstrapped from
     * {@code snap} unless it is empty.
     */
    public void addNodes(int n, Consumer<Config.Builder> configure, Snapshot snap) {
        snap = ensureSnapshot(snap == null ? Snapshot.getDefaultInstance() : snap);
        boolean bootstrap = !snap.equals(emptySnapshot());
        for (int i = 0; i < n; i++) {
            long id = 1 + nodes.size();
            int idx = nodes.size();
            // Asking this storage for a snapshot gives the node's latest state-machine state.
            InteractionStorage storage = new InteractionStorage(
                    new MemoryStorage(), () -> nodes.get(idx).lastSnapshot());
            if (bootstrap) {
                // MemoryStorage cannot represent a bootstrap at index 1; this loses no generality.
                if (snap.getMetadata().getIndex() <= 1) {
                    throw new InteractionException("index must be specified as > 1 due to bootstrap");
                }
                snap = snap.toBuilder()
                        .setMetadata(snap.getMetadata().toBuilder().setTerm(1))
                        .build();
                storage.applySnapshot(snap);
                long fi = storage.firstIndex();
                long expected = snap.getMetadata().getIndex() + 1;
                if (fi != expected) {
                    throw new InteractionException(
                            String.format("failed to establish first index %d; got %d", expected, fi));
                }
            }
            Config.Builder cfg = raftConfigStub();
            configure.accept(cfg);
            cfg.id(id);
            cfg.storage(storage);
            if (options.onConfig() != null) {
                options.onConfig().accept(cfg);
                Config edited = cfg.build();
                if (edited.id() != id) {
                    throw new InteractionException("OnConfig must not change the ID");
                }
                if (edited.logger() != DefaultLogger.get()) {
                    throw new InteractionException("OnConfig must not set Logger");
                }
            }
            Config config = cfg.logger(output).build();
            RawNode rn = new RawNode(config);
            nodes.add(new Node(rn, storage, config, snap));
        }
    }

    // ---- simple node operations

    public void campaign(int idx) {
        nodes.get(idx).rawNode.campaign();
    }

    public void propose(int idx, byte[] data) {
        nodes.get(idx).rawNode.propose(data);
    }

    public void proposeConfChange(int idx, ConfChange cc) {
        nodes.get(idx).rawNode.proposeConfChange(cc);
    }

    public void proposeConfChange(int idx, ConfChangeV2 cc) {
        nodes.get(idx).rawNode.proposeConfChange(cc);
    }

    public void tick(int idx, int times) {
        for (int i = 0; i < times; i++) {
            nodes.get(idx).rawNode.tick();
        }
    }

    public void transferLeadership(long from, long to) {
        nodes.get((int) (from - 1)).rawNode.transferLeader(to);
    }

    public void forgetLeader(int idx) {
        nodes.get(idx).rawNode.forgetLeader();
    }

    public void reportUnreachable(int idx, int unreachableIdx) {
        Node n = nodes.get(idx);
        n.rawNode.reportUnreachable(nodes.get(unreachableIdx).config.id());
    }

    /** Truncates the log of a node so that {@code newFirstIndex} becomes its first index, then prints it. */
    public void compact(int idx, long newFirstIndex) {
        nodes.get(idx).storage.compact(newFirstIndex);
        raftLog(idx);
    }

    /** Sets the level below which log lines are dropped; one of {@link RedirectLogger#LEVEL_NAMES}. */
    public void logLevel(String name) {
        for (int i = 0; i < RedirectLogger.LEVEL_NAMES.size(); i++) {
            if (RedirectLogger.LEVEL_NAMES.get(i).equalsIgnoreCase(name)) {
                output.setLevel(i);
                return;
            }
        }
        throw new InteractionException(
                "log levels must be either of [" + String.join(" ", RedirectLogger.LEVEL_NAMES) + "]");
    }

    public void setRandomizedElectionTimeout(int idx, int timeout) {
        options.setRandomizedElectionTimeout().accept(nodes.get(idx).rawNode, timeout);
    }

    // ---- printing

    /** Prints the entries held by a node's storage. */
    public void raftLog(int idx) {
        InteractionStorage s = nodes.get(idx).storage;
        long fi = s.firstIndex();
        long li = s.lastIndex();
        if (li < fi) {
            // What MemoryStorage reports when it holds nothing past its snapshot.
            output.write(String.format("log is empty: first index=%d, last index=%d", fi, li));
            return;
        }
        List<Entry> ents = s.entries(fi, li + 1, Long.MAX_VALUE);
        output.write(Util.describeEntries(ents, DEFAULT_ENTRY_FORMATTER));
    }

    /** Prints each node's own view of its role, term and leader. */
    public void raftState() {
        for (Node n : nodes) {
            Status st = n.rawNode.status();
            boolean voter = st.config().voters().ids().contains(st.id());
            output.write(String.format(
                    "%d: %s %s Term:%d Lead:%d\n",
                    st.id(), st.raftState(), voter ? "(Voter)" : "(Non-Voter)", st.term(), st.lead()));
        }
    }

    /** Prints the progress a node tracks for its peers (empty unless it leads). */
    public void status(int idx) {
        Status st = nodes.get(idx).rawNode.status();
        ProgressMap m = new ProgressMap();
        if (st.progress() != null) {
            for (Map.Entry<Long, Progress> e : st.progress().entrySet()) {
                m.put(e.getKey(), e.getValue());
            }
        }
        output.write(m.toString());
    }

    // ---- messages

    /** Who a batch of in-flight messages goes to, and whether they are dropped instead. */
    public record Recipient(long id, boolean drop) {}

    /**
     * Delivers (or drops) the in-flight messages addressed to each recipient in turn, of the given
     * type only when {@code type} is not null. Returns how many messages were handled.
     */
    public int deliverMsgs(MessageType type, List<Recipient> recipients) {
        int n = 0;
        for (Recipient r : recipients) {
            List<Message> matched = new ArrayList<>();
            List<Message> rest = new ArrayList<>();
            splitMsgs(messages, r.id(), type, r.drop(), matched, rest);
            messages = rest;
            n += matched.size();
            for (Message msg : matched) {
                if (r.drop()) {
                    output.write("dropped: ");
                }
                output.writeLine(Util.describeMessage(msg, DEFAULT_ENTRY_FORMATTER));
                if (r.drop()) {
                    // Dropping is allowed even for nodes that do not exist yet.
                    continue;
                }
                int toIdx = (int) (msg.getTo() - 1);
                try {
                    nodes.get(toIdx).rawNode.step(msg);
                } catch (RuntimeException e) {
                    if (!InteractionCommands.isReportedError(e)) {
                        throw e;
                    }
                    output.writeLine(e.getMessage());
                }
            }
        }
        return n;
    }

    private static void ignoreReportedErrors(Runnable body) {
        try {
            body.run();
        } catch (RuntimeException e) {
            if (!InteractionCommands.isReportedError(e)) {
                throw e;
            }
        }
    }

    /**
     * Splits {@code msgs} into those for {@code to} (of type {@code type} unless null) and the rest,
     * keeping their order. Local messages are never dropped: they need reliable delivery.
     */
    static void splitMsgs(
            List<Message> msgs, long to, MessageType type, boolean drop, List<Message> matched, List<Message> rest) {
        for (Message msg : msgs) {
            if (msg.getTo() == to && !(drop && isLocalMsg(msg)) && (type == null || msg.getType() == type)) {
                matched.add(msg);
            } else {
                rest.add(msg);
            }
        }
    }

    private static boolean isLocalMsg(Message msg) {
        return msg.getFrom() == msg.getTo()
                || Util.isLocalMsgTarget(msg.getFrom())
                || Util.isLocalMsgTarget(msg.getTo());
    }

    private boolean hasMsgsFor(long to) {
        for (Message msg : messages) {
            if (msg.getTo() == to) {
                return true;
            }
        }
        return false;
    }

    /** Queues a MsgSnap carrying the sender's latest snapshot; it is delivered like any message. */
    public void sendSnapshot(int fromIdx, int toIdx) {
        Snapshot snap = nodes.get(fromIdx).storage.snapshot();
        BasicStatus fromStatus = nodes.get(fromIdx).rawNode.basicStatus();
        Message msg = Message.newBuilder()
                .setType(MessageType.MsgSnap)
                .setTerm(fromStatus.term())
                .setFrom(fromIdx + 1)
                .setTo(toIdx + 1)
                .setSnapshot(snap)
                .build();
        messages.add(msg);
        output.write(Util.describeMessage(msg, null));
    }

    // ---- Ready handling and storage threads

    /** Handles one Ready of a node: persists and applies it (unless async), queues its messages. */
    public void processReady(int idx) {
        Node n = nodes.get(idx);
        Ready rd = n.rawNode.ready();
        output.write(Util.describeReady(rd, DEFAULT_ENTRY_FORMATTER));
        boolean async = n.config.asyncStorageWrites();
        if (!async) {
            processAppend(n, rd.hardState(), rd.entries(), rd.snapshot());
            processApply(n, rd.committedEntries());
        }
        for (Message m : rd.messages()) {
            if (Util.isLocalMsgTarget(m.getTo())) {
                if (!async) {
                    throw new IllegalStateException("unexpected local msg target");
                }
                switch (m.getType()) {
                    case MsgStorageAppend -> n.appendWork.add(m);
                    case MsgStorageApply -> n.applyWork.add(m);
                    default -> throw new IllegalStateException("unexpected message type " + m.getType());
                }
            } else {
                messages.add(m);
            }
        }
        if (!async) {
            n.rawNode.advance(rd);
        }
    }

    /** Lets a node's append thread complete its oldest MsgStorageAppend and release its responses. */
    public void processAppendThread(int idx) {
        Node n = nodes.get(idx);
        if (n.appendWork.isEmpty()) {
            output.write("no append work to perform");
            return;
        }
        Message m = n.appendWork.poll();
        List<Message> resps = m.getResponsesList();
        output.write("Processing:\n");
        output.write(Util.describeMessage(m.toBuilder().clearResponses().build(), DEFAULT_ENTRY_FORMATTER) + "\n");
        HardState st = HardState.newBuilder()
                .setTerm(m.getTerm())
                .setVote(m.getVote())
                .setCommit(m.getCommit())
                .build();
        Snapshot snap = ensureSnapshot(m.hasSnapshot() ? m.getSnapshot() : Snapshot.getDefaultInstance());
        processAppend(n, st, m.getEntriesList(), snap);
        output.write("Responses:\n");
        for (Message resp : resps) {
            output.write(Util.describeMessage(resp, DEFAULT_ENTRY_FORMATTER) + "\n");
        }
        messages.addAll(resps);
    }

    /** Lets a node's apply thread complete its oldest MsgStorageApply and release its responses. */
    public void processApplyThread(int idx) {
        Node n = nodes.get(idx);
        if (n.applyWork.isEmpty()) {
            output.write("no apply work to perform");
            return;
        }
        Message m = n.applyWork.poll();
        List<Message> resps = m.getResponsesList();
        output.write("Processing:\n");
        output.write(Util.describeMessage(m.toBuilder().clearResponses().build(), DEFAULT_ENTRY_FORMATTER) + "\n");
        processApply(n, m.getEntriesList());
        output.write("Responses:\n");
        for (Message resp : resps) {
            output.write(Util.describeMessage(resp, DEFAULT_ENTRY_FORMATTER) + "\n");
        }
        messages.addAll(resps);
    }

    private static void processAppend(Node n, HardState st, List<Entry> ents, Snapshot snap) {
        // Like etcd's harness, this order (hard state before the log) is not crash-safe; it need not be.
        InteractionStorage s = n.storage;
        if (!Util.isEmptyHardState(st)) {
            s.setHardState(st);
        }
        if (!Util.isEmptySnap(snap)) {
            if (!ents.isEmpty()) {
                throw new InteractionException("can't apply snapshot and entries at the same time");
            }
            s.applySnapshot(snap);
            return;
        }
        s.append(ents);
    }

    /**
     * Applies committed entries to the node's state machine, which appends each payload (or conf
     * change context) to the data of its previous state, and records every state in its history.
     */
    private static void processApply(Node n, List<Entry> ents) {
        for (Entry ent : ents) {
            ByteString update;
            ConfState cs = null;
            try {
                switch (ent.getType()) {
                    case EntryConfChange -> {
                        ConfChange cc = ConfChange.parseFrom(ent.getData());
                        update = cc.getContext();
                        cs = n.rawNode.applyConfChange(cc);
                    }
                    case EntryConfChangeV2 -> {
                        ConfChangeV2 cc = ConfChangeV2.parseFrom(ent.getData());
                        cs = n.rawNode.applyConfChange(cc);
                        update = cc.getContext();
                    }
                    default -> update = ent.getData();
                }
            } catch (InvalidProtocolBufferException e) {
                throw new InteractionException(e.getMessage());
            }
            Snapshot last = n.lastSnapshot();
            ByteString data = last.getData().concat(update);
            if (cs == null) {
                cs = last.getMetadata().getConfState();
            }
            Snapshot.Builder snap = Snapshot.newBuilder()
                    .setMetadata(SnapshotMetadata.newBuilder()
                            .setConfState(cs)
                            .setIndex(ent.getIndex())
                            .setTerm(ent.getTerm()));
            // Go leaves an empty payload unset; so do we, so that sizes match.
            if (!data.isEmpty()) {
                snap.setData(data);
            }
            n.history.add(snap.build());
        }
    }

    // ---- stabilize

    /**
     * Handles Readys, delivers messages and runs the storage threads of the given nodes (all nodes
     * when none are given) until none of them has anything left to do.
     */
    public void stabilize(List<Integer> idxs) {
        List<Node> group = new ArrayList<>();
        if (idxs.isEmpty()) {
            group.addAll(nodes);
        } else {
            for (int idx : idxs) {
                group.add(nodes.get(idx));
            }
        }
        while (true) {
            boolean done = true;
            for (Node n : group) {
                if (n.rawNode.hasReady()) {
                    int idx = (int) (n.config.id() - 1);
                    output.write(String.format("> %d handling Ready\n", idx + 1));
                    withIndent(() -> processReady(idx));
                    done = false;
                }
            }
            for (Node n : group) {
                long id = n.config.id();
                if (hasMsgsFor(id)) {
                    output.write(String.format("> %d receiving messages\n", id));
                    withIndent(() -> deliverMsgs(null, List.of(new Recipient(id, false))));
                    done = false;
                }
            }
            for (Node n : group) {
                int idx = (int) (n.config.id() - 1);
                if (!n.appendWork.isEmpty()) {
                    output.write(String.format("> %d processing append thread\n", idx + 1));
                    while (!n.appendWork.isEmpty()) {
                        withIndent(() -> processAppendThread(idx));
                    }
                    done = false;
                }
            }
            for (Node n : group) {
                int idx = (int) (n.config.id() - 1);
                if (!n.applyWork.isEmpty()) {
                    output.write(String.format("> %d processing apply thread\n", idx + 1));
                    while (!n.applyWork.isEmpty()) {
                        // etcd's harness drops errors of the apply thread here; so do we.
                        withIndent(() -> ignoreReportedErrors(() -> processApplyThread(idx)));
                    }
                    done = false;
                }
            }
            if (done) {
                return;
            }
        }
    }
}
