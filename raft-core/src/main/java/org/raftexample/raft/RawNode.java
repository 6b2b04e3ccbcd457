package org.raftexample.raft;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfChanges;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * The synchronous, single-threaded driver of a raft state machine: the application
 * feeds it ticks and messages, collects {@link Ready} batches and acknowledges them with
 * {@link #advance}. {@code Node} runs one of these on its own thread.
 *
 * <p>Not thread-safe.
 */
public final class RawNode {
    /** The id meaning "no node" (no leader, no vote): etcd's {@code raft.None}. */
    public static final long NONE = 0;
    /**
     * The target of MsgStorageAppend messages with async storage writes (etcd's
     * {@code LocalAppendThread}, Go's math.MaxUint64).
     */
    public static final long LOCAL_APPEND_THREAD = -1L;
    /**
     * The target of MsgStorageApply messages with async storage writes (etcd's
     * {@code LocalApplyThread}, Go's math.MaxUint64 - 1).
     */
    public static final long LOCAL_APPLY_THREAD = -2L;

    /** Visits one progress of {@link #withProgress}. */
    @FunctionalInterface
    public interface ProgressVisitor {
        /**
         * Called once per member.
         *
         * @param id the member
         * @param type voter or learner
         * @param pr its progress (inflights left out); valid during the call only
         */
        void visit(long id, ProgressType type, Progress pr);
    }

    final Raft raft;
    final boolean asyncStorageWrites;

    private SoftState prevSoftSt;
    private HardState prevHardSt;
    /** Local responses to step at the next {@link #advance} (synchronous storage only). */
    private List<Message> stepsOnAdvance = new ArrayList<>();

    /**
     * Creates a node from a configuration. A brand-new group is either bootstrapped with
     * {@link #bootstrap} or, preferably, started from a storage whose first index is above 1 and
     * whose initial state holds the desired configuration.
     *
     * @param config the configuration
     * @throws IllegalArgumentException when the configuration is invalid
     */
    public RawNode(Config config) {
        this.raft = Raft.newRaft(config);
        this.asyncStorageWrites = config.asyncStorageWrites();
        this.prevSoftSt = raft.softState();
        this.prevHardSt = raft.hardState();
    }

    /** Advances the logical clock by one tick. */
    public void tick() {
        raft.tick();
    }

    /**
     * Advances the election clock without any other processing, for groups known to be
     * quiescent (no heartbeats, no elections). Subverts the state machine; prefer {@link #tick}.
     *
     * @deprecated kept for parity with etcd, which plans to remove it
     */
    @Deprecated
    public void tickQuiesced() {
        raft.electionElapsed++;
    }

    /** Makes this node campaign to become leader. */
    public void campaign() {
        raft.step(Message.newBuilder().setType(MessageType.MsgHup).build());
    }

    /**
     * Proposes data to be appended to the log; null proposes an entry without data.
     *
     * @param data the entry's payload, or null
     * @throws ProposalDroppedException when the proposal cannot be accepted now
     */
    public void propose(ByteString data) {
        Entry.Builder e = Entry.newBuilder();
        if (data != null) {
            e.setData(data);
        }
        raft.step(Message.newBuilder()
                .setType(MessageType.MsgProp)
                .setFrom(raft.id)
                .addEntries(e)
                .build());
    }

    /**
     * {@link #propose(ByteString)} for a byte array.
     *
     * @param data the entry's payload
     */
    public void propose(byte[] data) {
        propose(data == null ? null : ByteString.copyFrom(data));
    }

    /**
     * Proposes a (legacy) configuration change; null proposes leaving a joint configuration.
     *
     * @param cc the change, or null
     */
    public void proposeConfChange(ConfChange cc) {
        raft.step(Raft.confChangeToMsg(cc));
    }

    /**
     * Proposes a configuration change, possibly a joint one; null proposes leaving a joint
     * configuration, as a nil ConfChangeI does in etcd.
     *
     * @param cc the change, or null
     */
    public void proposeConfChange(ConfChangeV2 cc) {
        raft.step(Raft.confChangeToMsg(cc));
    }

    /**
     * Applies a committed configuration change to this node. The application calls it when it
     * applies the entry, unless it decided to reject the change.
     *
     * @param cc the committed change
     * @return the configuration after the change
     */
    public ConfState applyConfChange(ConfChange cc) {
        return raft.applyConfChange(ConfChanges.asV2(cc));
    }

    /**
     * {@link #applyConfChange(ConfChange)} for a V2 change.
     *
     * @param cc the committed change
     * @return the configuration after the change
     */
    public ConfState applyConfChange(ConfChangeV2 cc) {
        return raft.applyConfChange(cc);
    }

    /**
     * Steps a message received from the network.
     *
     * @param m the message
     * @throws StepLocalMsgException when the type is local-only and the sender is not a local thread
     * @throws StepPeerNotFoundException when a response comes from a node not in the configuration
     */
    public void step(Message m) {
        if (Util.isLocalMsg(m.getType()) && !Util.isLocalMsgTarget(m.getFrom())) {
            throw new StepLocalMsgException();
        }
        if (Util.isResponseMsg(m.getType())
                && !Util.isLocalMsgTarget(m.getFrom())
                && raft.trk.progress().get(m.getFrom()) == null) {
            throw new StepPeerNotFoundException();
        }
        raft.step(m);
    }

    /**
     * Returns the pending work. The application must handle it and then call {@link #advance}
     * (without async storage writes) before asking for the next one.
     *
     * @return the work to do, possibly empty
     */
    public Ready ready() {
        Ready rd = readyWithoutAccept();
        acceptReady(rd);
        return rd;
    }

    /** Builds the pending Ready without committing to handle it (nothing changes). */
    Ready readyWithoutAccept() {
        Raft r = raft;
        List<Entry> entries = r.raftLog.nextUnstableEnts();
        List<Entry> committed = r.raftLog.nextCommittedEnts(applyUnstableEntries());
        List<Message> messages = new ArrayList<>(r.msgs);

        SoftState softSt = r.softState();
        SoftState softState = softSt.equals(prevSoftSt) ? null : softSt;
        HardState hardSt = r.hardState();
        HardState hardState = Util.isHardStateEqual(hardSt, prevHardSt) ? null : hardSt;
        var snapshot = r.raftLog.hasNextUnstableSnapshot() ? r.raftLog.nextUnstableSnapshot() : null;
        List<ReadState> readStates = List.copyOf(r.readStates);
        boolean mustSync = mustSync(hardSt, prevHardSt, entries.size());
        Ready rd = new Ready(softState, hardState, readStates, entries, snapshot, committed, messages, mustSync);

        if (asyncStorageWrites) {
            // Storage work goes to the local threads as messages.
            if (needStorageAppendMsg(r, rd)) {
                messages.add(newStorageAppendMsg(r, rd));
            }
            if (needStorageApplyMsg(rd)) {
                messages.add(newStorageApplyMsg(r, rd));
            }
        } else {
            // The Ready contract already says messages go out only after the entries are
            // durable, so the after-append messages can travel with the others (those to this
            // node itself are stepped in advance()).
            for (Message m : r.msgsAfterAppend) {
                if (m.getTo() != r.id) {
                    messages.add(m);
                }
            }
        }
        return new Ready(
                softState, hardState, readStates, entries, snapshot, committed, List.copyOf(messages), mustSync);
    }

    /**
     * Whether the hard state and the number of new entries call for a durable (synchronous)
     * write: term, vote and log entries must be on stable storage before answering RPCs.
     *
     * @param st the hard state of this Ready
     * @param prevst the hard state last saved
     * @param entsnum the number of entries to append
     * @return true if the write must be synced
     */
    public static boolean mustSync(HardState st, HardState prevst, int entsnum) {
        return entsnum != 0 || st.getVote() != prevst.getVote() || st.getTerm() != prevst.getTerm();
    }

    private static boolean needStorageAppendMsg(Raft r, Ready rd) {
        // Something to persist, or messages waiting for all earlier appends to be durable.
        return !rd.entries().isEmpty()
                || !Util.isEmptyHardState(rd.hardState())
                || !Util.isEmptySnap(rd.snapshot())
                || !r.msgsAfterAppend.isEmpty();
    }

    private static boolean needStorageAppendRespMsg(Raft r, Ready rd) {
        // Any unstable entries (not just this Ready's): see newStorageAppendRespMsg.
        return r.raftLog.hasNextOrInProgressUnstableEnts() || !Util.isEmptySnap(rd.snapshot());
    }

    /**
     * The message asking the local append thread to persist this Ready's entries, hard state
     * and snapshot, carrying the responses to deliver once that is durable.
     */
    private static Message newStorageAppendMsg(Raft r, Ready rd) {
        Message.Builder m = Message.newBuilder()
                .setType(MessageType.MsgStorageAppend)
                .setTo(Raft.LOCAL_APPEND_THREAD)
                .setFrom(r.id)
                .addAllEntries(rd.entries());
        if (!Util.isEmptyHardState(rd.hardState())) {
            // All three fields or none, so that the receiver can rebuild the HardState and see
            // an empty one when nothing changed.
            m.setTerm(rd.hardState().getTerm());
            m.setVote(rd.hardState().getVote());
            m.setCommit(rd.hardState().getCommit());
        }
        if (!Util.isEmptySnap(rd.snapshot())) {
            m.setSnapshot(rd.snapshot());
        }
        // The self-addressed MsgAppResp messages come before MsgStorageAppendResp on purpose:
        // handling them while the entries are still in the unstable log is cheaper.
        m.addAllResponses(r.msgsAfterAppend);
        if (needStorageAppendRespMsg(r, rd)) {
            m.addResponses(newStorageAppendRespMsg(r, rd));
        }
        return m.build();
    }

    /**
     * The response telling raft that everything appended so far (this Ready and all earlier
     * ones) is durable.
     *
     * <p>It carries the current term and the last entry id of the whole unstable log, not just
     * of this Ready. The term guards against an ABA problem: entries of an in-flight append may
     * be overwritten by a newer leader and then by the original entries again, so a response is
     * honoured (and the unstable log truncated) only if the term did not change since it was
     * created. Attaching the last unstable entry to every response (not only to those with new
     * entries) guarantees that, after the last term change, some response eventually truncates
     * the unstable log.
     */
    private static Message newStorageAppendRespMsg(Raft r, Ready rd) {
        Message.Builder m = Message.newBuilder()
                .setType(MessageType.MsgStorageAppendResp)
                .setTo(r.id)
                .setFrom(Raft.LOCAL_APPEND_THREAD)
                .setTerm(r.term);
        if (r.raftLog.hasNextOrInProgressUnstableEnts()) {
            EntryID last = r.raftLog.lastEntryID();
            m.setIndex(last.index());
            m.setLogTerm(last.term());
        }
        if (!Util.isEmptySnap(rd.snapshot())) {
            m.setSnapshot(rd.snapshot());
        }
        return m.build();
    }

    private static boolean needStorageApplyMsg(Ready rd) {
        return !rd.committedEntries().isEmpty();
    }

    private static boolean needStorageApplyRespMsg(Ready rd) {
        return needStorageApplyMsg(rd);
    }

    /** The message asking the local apply thread to apply this Ready's committed entries. */
    private static Message newStorageApplyMsg(Raft r, Ready rd) {
        List<Entry> ents = rd.committedEntries();
        return Message.newBuilder()
                .setType(MessageType.MsgStorageApply)
                .setTo(Raft.LOCAL_APPLY_THREAD)
                .setFrom(r.id)
                .setTerm(0) // committed entries do not apply under a term
                .addAllEntries(ents)
                .addResponses(newStorageApplyRespMsg(r, ents))
                .build();
    }

    private static Message newStorageApplyRespMsg(Raft r, List<Entry> ents) {
        return Message.newBuilder()
                .setType(MessageType.MsgStorageApplyResp)
                .setTo(r.id)
                .setFrom(Raft.LOCAL_APPLY_THREAD)
                .setTerm(0) // committed entries do not apply under a term
                .addAllEntries(ents)
                .build();
    }

    /**
     * Commits to handling {@code rd}: moves the unstable and applying markers and clears what it
     * carries. Nothing may change the node between building the Ready and this call.
     */
    void acceptReady(Ready rd) {
        if (rd.softState() != null) {
            prevSoftSt = rd.softState();
        }
        if (!Util.isEmptyHardState(rd.hardState())) {
            prevHardSt = rd.hardState();
        }
        if (!rd.readStates().isEmpty()) {
            raft.readStates = new ArrayList<>();
        }
        if (!asyncStorageWrites) {
            if (!stepsOnAdvance.isEmpty()) {
                raft.logger.panic("two accepted Ready structs without call to Advance");
            }
            for (Message m : raft.msgsAfterAppend) {
                if (m.getTo() == raft.id) {
                    stepsOnAdvance.add(m);
                }
            }
            if (needStorageAppendRespMsg(raft, rd)) {
                stepsOnAdvance.add(newStorageAppendRespMsg(raft, rd));
            }
            if (needStorageApplyRespMsg(rd)) {
                stepsOnAdvance.add(newStorageApplyRespMsg(raft, rd.committedEntries()));
            }
        }
        raft.msgs = new ArrayList<>();
        raft.msgsAfterAppend = new ArrayList<>();
        raft.raftLog.acceptUnstable();
        if (!rd.committedEntries().isEmpty()) {
            List<Entry> ents = rd.committedEntries();
            long index = ents.get(ents.size() - 1).getIndex();
            raft.raftLog.acceptApplying(index, EntrySizes.entsSize(ents), applyUnstableEntries());
        }
    }

    /**
     * Whether committed entries may be applied before they are durable locally: yes with
     * synchronous storage (the Ready contract persists them first), no with async writes.
     */
    private boolean applyUnstableEntries() {
        return !asyncStorageWrites;
    }

    /**
     * Whether a call to {@link #ready} would return any work.
     *
     * @return true if there is work
     */
    public boolean hasReady() {
        Raft r = raft;
        if (!r.softState().equals(prevSoftSt)) {
            return true;
        }
        HardState hardSt = r.hardState();
        if (!Util.isEmptyHardState(hardSt) && !Util.isHardStateEqual(hardSt, prevHardSt)) {
            return true;
        }
        if (r.raftLog.hasNextUnstableSnapshot()) {
            return true;
        }
        if (!r.msgs.isEmpty() || !r.msgsAfterAppend.isEmpty()) {
            return true;
        }
        if (r.raftLog.hasNextUnstableEnts() || r.raftLog.hasNextCommittedEnts(applyUnstableEntries())) {
            return true;
        }
        return !r.readStates.isEmpty();
    }

    /**
     * Tells the node that the last Ready was handled: persisted, sent and applied. Must not be
     * used with async storage writes, where the local threads' responses take its place.
     */
    public void advance() {
        if (asyncStorageWrites) {
            raft.logger.panic("Advance must not be called when using AsyncStorageWrites");
        }
        List<Message> steps = stepsOnAdvance;
        stepsOnAdvance = new ArrayList<>();
        for (Message m : steps) {
            try {
                raft.step(m);
            } catch (ProposalDroppedException e) {
                // etcd ignores the error of these local steps too
            }
        }
    }

    /**
     * {@link #advance()}; the Ready argument is unused, as in etcd (kept for compatibility).
     *
     * @param rd the Ready handled (ignored)
     */
    public void advance(Ready rd) {
        advance();
    }

    /**
     * A copy of this node's status, including progress when it leads.
     *
     * @return the status
     */
    public Status status() {
        return Status.of(raft);
    }

    /**
     * This node's status without the progress map (cheaper).
     *
     * @return the status
     */
    public BasicStatus basicStatus() {
        return BasicStatus.of(raft);
    }

    /**
     * Visits the progress of each member (inflights left out), voters and learners alike.
     *
     * @param visitor called once per member
     */
    public void withProgress(ProgressVisitor visitor) {
        raft.trk.visit((id, pr) -> {
            ProgressType typ = pr.isLearner() ? ProgressType.ProgressTypeLearner : ProgressType.ProgressTypePeer;
            visitor.visit(id, typ, pr.copyWithoutInflights());
        });
    }

    /**
     * Reports that the last message to {@code id} could not be delivered.
     *
     * @param id the peer
     */
    public void reportUnreachable(long id) {
        stepIgnoringDrop(Message.newBuilder()
                .setType(MessageType.MsgUnreachable)
                .setFrom(id)
                .build());
    }

    /**
     * Reports the outcome of sending a snapshot to {@code id}.
     *
     * @param id the peer
     * @param status whether the snapshot arrived
     */
    public void reportSnapshot(long id, SnapshotStatus status) {
        boolean rej = status == SnapshotStatus.SnapshotFailure;
        stepIgnoringDrop(Message.newBuilder()
                .setType(MessageType.MsgSnapStatus)
                .setFrom(id)
                .setReject(rej)
                .build());
    }

    /**
     * Asks the leader to hand leadership to {@code transferee}.
     *
     * @param transferee the member that should lead
     */
    public void transferLeader(long transferee) {
        stepIgnoringDrop(Message.newBuilder()
                .setType(MessageType.MsgTransferLeader)
                .setFrom(transferee)
                .build());
    }

    /**
     * Makes a follower forget its leader, so that it grants votes without waiting for the
     * leader lease to expire (see etcd's Node.ForgetLeader).
     */
    public void forgetLeader() {
        raft.step(Message.newBuilder().setType(MessageType.MsgForgetLeader).build());
    }

    /**
     * Requests a read index; the answer appears in a later Ready's read states, tagged with
     * {@code rctx} (which should identify the request uniquely).
     *
     * @param rctx the request's context
     */
    public void readIndex(ByteString rctx) {
        Entry.Builder e = Entry.newBuilder();
        if (rctx != null) {
            e.setData(rctx);
        }
        stepIgnoringDrop(Message.newBuilder()
                .setType(MessageType.MsgReadIndex)
                .addEntries(e)
                .build());
    }

    /**
     * {@link #readIndex(ByteString)} for a byte array.
     *
     * @param rctx the request's context
     */
    public void readIndex(byte[] rctx) {
        readIndex(rctx == null ? null : ByteString.copyFrom(rctx));
    }

    private void stepIgnoringDrop(Message m) {
        try {
            raft.step(m);
        } catch (ProposalDroppedException e) {
            // etcd discards the error of these calls
        }
    }

    /**
     * Initializes a brand-new node by appending (and committing) one configuration change per
     * peer. Setting up the storage with the initial configuration is the better way; this exists
     * for parity with etcd.
     *
     * @param peers the initial members
     * @throws IllegalArgumentException when no peer is given
     * @throws IllegalStateException when the storage is not empty
     */
    public void bootstrap(List<Peer> peers) {
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("must provide at least one peer to Bootstrap");
        }
        long lastIndex = raft.raftLog.storage.lastIndex();
        if (lastIndex != 0) {
            throw new IllegalStateException("can't bootstrap a nonempty Storage");
        }

        // Nothing is persisted yet: start from an empty hard state so that the first Ready
        // carries one for the application to persist.
        prevHardSt = HardState.getDefaultInstance();

        raft.becomeFollower(1, Raft.NONE);
        List<Entry> ents = new ArrayList<>(peers.size());
        for (int i = 0; i < peers.size(); i++) {
            Peer peer = peers.get(i);
            ConfChange.Builder cc = ConfChange.newBuilder()
                    .setType(org.raftexample.raftpb.ConfChangeType.ConfChangeAddNode)
                    .setNodeId(peer.id());
            if (peer.context() != null) {
                cc.setContext(peer.context());
            }
            ents.add(Entry.newBuilder()
                    .setType(EntryType.EntryConfChange)
                    .setTerm(1)
                    .setIndex(i + 1)
                    .setData(cc.build().toByteString())
                    .build());
        }
        raft.raftLog.append(ents);

        // Apply the changes right away so that the application (tests, mostly) can campaign
        // immediately; they are applied again when the application's Ready loop sees them as
        // committed entries (raftLog.applied is deliberately left alone). The log append must
        // come first, so that the new progresses start after these entries.
        raft.raftLog.committed = ents.size();
        for (Peer peer : peers) {
            raft.applyConfChange(ConfChanges.asV2(ConfChange.newBuilder()
                    .setNodeId(peer.id())
                    .setType(org.raftexample.raftpb.ConfChangeType.ConfChangeAddNode)
                    .build()));
        }
    }
}
