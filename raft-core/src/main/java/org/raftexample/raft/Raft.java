package org.raftexample.raft;

import static org.raftexample.raft.tracker.ProgressState.StateProbe;
import static org.raftexample.raft.tracker.ProgressState.StateReplicate;
import static org.raftexample.raft.tracker.ProgressState.StateSnapshot;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import org.raftexample.raft.confchange.Changer;
import org.raftexample.raft.confchange.ConfigAndProgress;
import org.raftexample.raft.confchange.Restore;
import org.raftexample.raft.quorum.VoteResult;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.ProgressMap;
import org.raftexample.raft.tracker.ProgressTracker;
import org.raftexample.raft.tracker.TrackerConfig;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfChanges;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.EntryType;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;

/**
 * The raft consensus state machine of one node (etcd's unexported {@code raft} struct).
 *
 * <p>It is driven from outside and never blocks or does I/O: {@link #step} feeds it a message,
 * {@link #tick} advances its logical clock. Its output accumulates in {@link #msgs} (to send
 * now), {@link #msgsAfterAppend} (to deliver once the unstable state is durable), the unstable
 * part of {@link #raftLog}, and {@link #readStates}; {@link RawNode} packages these into
 * {@link Ready} structs. The role-specific behaviour lives in the {@link #step} and
 * {@link #tick} fields, which each {@code become*} transition swaps. See docs/raft.md.
 *
 * <p>Not thread-safe. Members are package-private so that the tests and {@link RawNode} of this
 * package can inspect them, as etcd's tests do.
 */
final class Raft {
    static final long NONE = RawNode.NONE;
    static final long LOCAL_APPEND_THREAD = RawNode.LOCAL_APPEND_THREAD;
    static final long LOCAL_APPLY_THREAD = RawNode.LOCAL_APPLY_THREAD;

    /** A role's message handler, swapped on each role transition. */
    @FunctionalInterface
    interface StepFunc {
        void step(Raft r, Message m);
    }

    long id;

    long term;
    long vote;

    List<ReadState> readStates = new ArrayList<>();

    RaftLog raftLog;

    final long maxMsgSize;
    final long maxUncommittedSize;

    ProgressTracker trk;

    StateType state = StateType.StateFollower;

    /** Whether this node is a learner in its own configuration. */
    boolean isLearner;

    /** Messages to other nodes that can go out immediately. */
    List<Message> msgs = new ArrayList<>();
    /**
     * Messages (MsgAppResp, MsgVoteResp, MsgPreVoteResp, possibly to this node itself) that may be
     * delivered only once all unstable state accumulated so far is durable: a vote or an append
     * acknowledgement must never be published before it is on disk.
     */
    List<Message> msgsAfterAppend = new ArrayList<>();

    long lead = NONE;
    /** The target of an ongoing leadership transfer (raft thesis 3.10), or NONE. */
    long leadTransferee;
    /**
     * An index at or above that of the newest configuration change still waiting to be applied;
     * proposing another change must wait until the applied index is past it.
     */
    long pendingConfIndex;

    final boolean disableConfChangeValidation;
    /** Estimated payload bytes of the leader's uncommitted log tail; reset on term change. */
    long uncommittedSize;

    ReadOnly readOnly;

    /**
     * Ticks since the last election timeout (leader, candidate) or since the last timeout or
     * valid message from the leader (follower).
     */
    int electionElapsed;
    /** Ticks since the last heartbeat timeout; leaders only. */
    int heartbeatElapsed;

    // Not final: etcd's tests switch these on running nodes (e.g. to simulate a rolling
    // upgrade that enables pre-vote).
    boolean checkQuorum;
    boolean preVote;

    final int heartbeatTimeout;
    final int electionTimeout;
    /** Random in [electionTimeout, 2*electionTimeout), re-drawn when becoming follower or candidate. */
    int randomizedElectionTimeout;

    final boolean disableProposalForwarding;
    final boolean stepDownOnRemoval;

    /** The role's tick handler. */
    Runnable tick;
    /** The role's message handler. */
    StepFunc step;

    final Logger logger;
    private final RandomGenerator random;

    /**
     * MsgReadIndex requests that arrived before this leader committed an entry of its own term;
     * they are answered as soon as it does.
     */
    List<Message> pendingReadIndexMessages = new ArrayList<>();

    /** Creates the state machine from a (validated) configuration and its storage's state. */
    static Raft newRaft(Config c) {
        return new Raft(c);
    }

    Raft(Config c) {
        this.id = c.id();
        this.raftLog = RaftLog.newLogWithSize(c.storage(), c.logger(), c.maxCommittedSizePerReady());
        Storage.InitialState initial = c.storage().initialState();
        HardState hs = initial.hardState();
        ConfState cs = initial.confState();

        this.maxMsgSize = c.maxSizePerMsg();
        this.maxUncommittedSize = c.maxUncommittedEntriesSize();
        this.trk = new ProgressTracker(c.maxInflightMsgs(), c.maxInflightBytes());
        this.electionTimeout = c.electionTick();
        this.heartbeatTimeout = c.heartbeatTick();
        this.logger = c.logger();
        this.checkQuorum = c.checkQuorum();
        this.preVote = c.preVote();
        this.readOnly = new ReadOnly(c.readOnlyOption());
        this.disableProposalForwarding = c.disableProposalForwarding();
        this.disableConfChangeValidation = c.disableConfChangeValidation();
        this.stepDownOnRemoval = c.stepDownOnRemoval();
        this.random = c.random();

        EntryID lastID = raftLog.lastEntryID();
        ConfigAndProgress restored = restoreConfig(new Changer(trk, lastID.index()), cs);
        Util.assertConfStatesEquivalent(logger, cs, switchToConfig(restored.config(), restored.progress()));

        if (!Util.isEmptyHardState(hs)) {
            loadState(hs);
        }
        if (c.applied() > 0) {
            raftLog.appliedTo(c.applied(), 0);
        }
        becomeFollower(term, NONE);

        StringJoiner nodes = new StringJoiner(",");
        for (long n : trk.voterNodes()) {
            nodes.add(Long.toHexString(n));
        }
        logger.info(
                "newRaft %x [peers: [%s], term: %d, commit: %d, applied: %d, lastindex: %d, lastterm: %d]",
                id, nodes, term, raftLog.committed, raftLog.applied, lastID.index(), lastID.term());
    }

    private ConfigAndProgress restoreConfig(Changer changer, ConfState cs) {
        try {
            return Restore.restore(changer, cs);
        } catch (RaftPanicException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new RaftPanicException(
                    "unable to restore config " + Util.describeConfState(cs) + ": " + e.getMessage(), e);
        }
    }

    boolean hasLeader() {
        return lead != NONE;
    }

    SoftState softState() {
        return new SoftState(lead, state);
    }

    HardState hardState() {
        return HardState.newBuilder()
                .setTerm(term)
                .setVote(vote)
                .setCommit(raftLog.committed)
                .build();
    }

    /** Starts a message answering {@code m}: addressed to its sender, as etcd's {@code To: m.From}. */
    private static Message.Builder replyTo(Message m) {
        Message.Builder b = Message.newBuilder();
        if (m.hasFrom()) {
            b.setTo(m.getFrom());
        }
        return b;
    }

    /**
     * Queues a message: responses that vote (MsgAppResp, MsgVoteResp, MsgPreVoteResp) wait in
     * {@link #msgsAfterAppend} until the state they vouch for is durable, all others go to
     * {@link #msgs}. Fills in the sender and, except for proposals and read requests, the term.
     */
    void send(Message.Builder m) {
        if (m.getFrom() == NONE) {
            m.setFrom(id);
        }
        MessageType t = m.getType();
        if (t == MessageType.MsgVote
                || t == MessageType.MsgVoteResp
                || t == MessageType.MsgPreVote
                || t == MessageType.MsgPreVoteResp) {
            // Every (pre-)campaign message carries the term it is about, and none of them is 0.
            if (m.getTerm() == 0) {
                logger.panic("term should be set when sending %s", t);
            }
        } else {
            if (m.getTerm() != 0) {
                logger.panic("term should not be set when sending %s (was %d)", t, m.getTerm());
            }
            // Proposals and read requests are forwarded to the leader like local messages and
            // therefore carry no term.
            if (t != MessageType.MsgProp && t != MessageType.MsgReadIndex) {
                m.setTerm(term);
            }
        }
        Message msg = m.build();
        if (t == MessageType.MsgAppResp || t == MessageType.MsgVoteResp || t == MessageType.MsgPreVoteResp) {
            // Even rejections wait: they may depend on unstable state too, and erring on the
            // side of durability costs little since rejections are rare.
            msgsAfterAppend.add(msg);
        } else {
            if (msg.getTo() == id) {
                logger.panic("message should not be self-addressed when sending %s", t);
            }
            msgs.add(msg);
        }
    }

    /** Sends an append (with the commit index, even if there are no entries) to {@code to}. */
    void sendAppend(long to) {
        maybeSendAppend(to, true);
    }

    /**
     * Sends an append with new entries to {@code to} unless its progress is paused; an append
     * without entries only if {@code sendIfEmpty}. Falls back to a snapshot when the entries are
     * compacted away. Returns whether a message was sent.
     */
    boolean maybeSendAppend(long to, boolean sendIfEmpty) {
        Progress pr = trk.progress().get(to);
        if (pr.isPaused()) {
            return false;
        }
        long prevIndex = pr.next() - 1;
        long prevTerm;
        try {
            prevTerm = raftLog.term(prevIndex);
        } catch (CompactedException | UnavailableException e) {
            // The log was truncated at or after pr.next: only a snapshot can catch it up.
            return maybeSendSnapshot(to, pr);
        }

        List<Entry> ents = List.of();
        CompactedException err = null;
        // A throttled replicating follower still gets empty appends, so that a full window of
        // lost messages cannot stall it forever: the empty append is acked or rejected, and
        // either clears the window.
        if (pr.state() != StateReplicate || !pr.inflights().full()) {
            try {
                ents = raftLog.entries(pr.next(), maxMsgSize);
            } catch (CompactedException e) {
                err = e;
            }
        }
        if (ents.isEmpty() && !sendIfEmpty) {
            return false;
        }
        if (err != null) {
            return maybeSendSnapshot(to, pr);
        }

        send(Message.newBuilder()
                .setTo(to)
                .setType(MessageType.MsgApp)
                .setIndex(prevIndex)
                .setLogTerm(prevTerm)
                .addAllEntries(ents)
                .setCommit(raftLog.committed));
        pr.sentEntries(ents.size(), EntrySizes.payloadsSize(ents));
        pr.sentCommit(raftLog.committed);
        return true;
    }

    /** Sends the storage's snapshot to {@code to}; returns whether a MsgSnap was queued. */
    boolean maybeSendSnapshot(long to, Progress pr) {
        if (!pr.recentActive()) {
            logger.debug("ignore sending snapshot to %x since it is not recently active", to);
            return false;
        }
        Snapshot snapshot;
        try {
            snapshot = raftLog.snapshot();
        } catch (SnapshotTemporarilyUnavailableException e) {
            logger.debug("%x failed to send snapshot to %x because snapshot is temporarily unavailable", id, to);
            return false;
        }
        if (Util.isEmptySnap(snapshot)) {
            throw new RaftPanicException("need non-empty snapshot");
        }
        long sindex = snapshot.getMetadata().getIndex();
        long sterm = snapshot.getMetadata().getTerm();
        logger.debug(
                "%x [firstindex: %d, commit: %d] sent snapshot[index: %d, term: %d] to %x [%s]",
                id, raftLog.firstIndex(), raftLog.committed, sindex, sterm, to, pr);
        pr.becomeSnapshot(sindex);
        logger.debug("%x paused sending replication messages to %x [%s]", id, to, pr);

        send(Message.newBuilder().setTo(to).setType(MessageType.MsgSnap).setSnapshot(snapshot));
        return true;
    }

    /** Sends a heartbeat carrying {@code ctx} (may be null) to {@code to}. */
    void sendHeartbeat(long to, ByteString ctx) {
        Progress pr = trk.progress().get(to);
        // Never tell a follower a commit index beyond what it is known to have: it might not
        // have those entries, or have different ones.
        long commit = Math.min(pr.match(), raftLog.committed);
        Message.Builder m =
                Message.newBuilder().setTo(to).setType(MessageType.MsgHeartbeat).setCommit(commit);
        if (ctx != null) {
            m.setContext(ctx);
        }
        send(m);
        pr.sentCommit(commit);
    }

    /** Sends appends to every peer that is not paused. */
    void bcastAppend() {
        trk.visit((peer, pr) -> {
            if (peer != id) {
                sendAppend(peer);
            }
        });
    }

    /** Sends heartbeats to every peer, with the context confirming pending reads. */
    void bcastHeartbeat() {
        bcastHeartbeatWithCtx(readOnly.heartbeatCtx());
    }

    void bcastHeartbeatWithCtx(ByteString ctx) {
        trk.visit((peer, pr) -> {
            if (peer != id) {
                sendHeartbeat(peer, ctx);
            }
        });
    }

    /** Records that entries up to {@code index} (of total encoded {@code size}) are applied. */
    void appliedTo(long index, long size) {
        long oldApplied = raftLog.applied;
        long newApplied = Math.max(index, oldApplied);
        raftLog.appliedTo(newApplied, size);

        if (trk.config().autoLeave() && newApplied >= pendingConfIndex && state == StateType.StateLeader) {
            // Leave the joint configuration now. The empty ConfChangeV2 has no payload, so the
            // size limit can never refuse it; a leadership transfer can, in which case the next
            // applied entry tries again (or the new leader leaves the joint state).
            Message m = confChangeToMsg((ConfChangeV2) null);
            try {
                step(m);
            } catch (ProposalDroppedException e) {
                logger.debug(
                        "not initiating automatic transition out of joint configuration %s: %s",
                        trk.config(), e.getMessage());
                return;
            }
            logger.info("initiating automatic transition out of joint configuration %s", trk.config());
        }
    }

    void appliedSnap(Snapshot snap) {
        long index = snap.getMetadata().getIndex();
        raftLog.stableSnapTo(index);
        appliedTo(index, 0);
    }

    /** Advances the commit index to what a quorum has; leaders only. Returns whether it moved. */
    boolean maybeCommit() {
        return raftLog.maybeCommit(new EntryID(term, trk.committed()));
    }

    /** Clears the per-term state when moving to {@code term} (or re-entering a role in it). */
    void reset(long term) {
        if (this.term != term) {
            this.term = term;
            this.vote = NONE;
        }
        lead = NONE;

        electionElapsed = 0;
        heartbeatElapsed = 0;
        resetRandomizedElectionTimeout();

        abortLeaderTransfer();

        trk.resetVotes();
        long lastIndex = raftLog.lastIndex();
        // Every progress starts over (only the learner flag survives), in place as etcd does.
        trk.resetProgress(id, lastIndex);

        pendingConfIndex = 0;
        uncommittedSize = 0;
        readOnly = new ReadOnly(readOnly.option);
    }

    /**
     * Appends entries proposed at this leader's term to its log, stamping term and index.
     * Returns false, appending nothing, when the uncommitted size limit refuses them.
     */
    boolean appendEntry(List<Entry> es) {
        long li = raftLog.lastIndex();
        List<Entry> stamped = new ArrayList<>(es.size());
        for (int i = 0; i < es.size(); i++) {
            stamped.add(es.get(i).toBuilder().setTerm(term).setIndex(li + 1 + i).build());
        }
        if (!increaseUncommittedSize(stamped)) {
            logger.warning(
                    "%x appending new entries to log would exceed uncommitted entry size limit; dropping proposal", id);
            return false;
        }
        li = raftLog.append(stamped);
        // The leader sends no MsgApp to itself; it acks its own entries with this response,
        // delivered once they are durable.
        send(Message.newBuilder().setTo(id).setType(MessageType.MsgAppResp).setIndex(li));
        return true;
    }

    /** Tick handler of followers and candidates: campaign once the election timeout passed. */
    void tickElection() {
        electionElapsed++;
        if (promotable() && pastElectionTimeout()) {
            electionElapsed = 0;
            try {
                step(Message.newBuilder()
                        .setFrom(id)
                        .setType(MessageType.MsgHup)
                        .build());
            } catch (ProposalDroppedException e) {
                logger.debug("error occurred during election: %s", e.getMessage());
            }
        }
    }

    /** Tick handler of leaders: heartbeats, quorum checks, and giving up stale transfers. */
    void tickHeartbeat() {
        heartbeatElapsed++;
        electionElapsed++;

        if (electionElapsed >= electionTimeout) {
            electionElapsed = 0;
            if (checkQuorum) {
                try {
                    step(Message.newBuilder()
                            .setFrom(id)
                            .setType(MessageType.MsgCheckQuorum)
                            .build());
                } catch (ProposalDroppedException e) {
                    logger.debug("error occurred during checking sending heartbeat: %s", e.getMessage());
                }
            }
            // A transfer that did not finish within an election timeout is abandoned.
            if (state == StateType.StateLeader && leadTransferee != NONE) {
                abortLeaderTransfer();
            }
        }

        if (state != StateType.StateLeader) {
            return;
        }

        if (heartbeatElapsed >= heartbeatTimeout) {
            heartbeatElapsed = 0;
            try {
                step(Message.newBuilder()
                        .setFrom(id)
                        .setType(MessageType.MsgBeat)
                        .build());
            } catch (ProposalDroppedException e) {
                logger.debug("error occurred during checking sending heartbeat: %s", e.getMessage());
            }
        }
    }

    /** Advances the logical clock by one tick, in the way of the current role. */
    void tick() {
        tick.run();
    }

    void becomeFollower(long term, long lead) {
        this.step = Raft::stepFollower;
        reset(term);
        this.tick = this::tickElection;
        this.lead = lead;
        this.state = StateType.StateFollower;
        logger.info("%x became follower at term %d", id, this.term);
    }

    void becomeCandidate() {
        if (state == StateType.StateLeader) {
            throw new RaftPanicException("invalid transition [leader -> candidate]");
        }
        this.step = Raft::stepCandidate;
        reset(term + 1);
        this.tick = this::tickElection;
        this.vote = id;
        this.state = StateType.StateCandidate;
        logger.info("%x became candidate at term %d", id, term);
    }

    void becomePreCandidate() {
        if (state == StateType.StateLeader) {
            throw new RaftPanicException("invalid transition [leader -> pre-candidate]");
        }
        // A pre-candidate keeps its term and vote: only role, handlers and votes change.
        this.step = Raft::stepCandidate;
        trk.resetVotes();
        this.tick = this::tickElection;
        this.lead = NONE;
        this.state = StateType.StatePreCandidate;
        logger.info("%x became pre-candidate at term %d", id, term);
    }

    void becomeLeader() {
        if (state == StateType.StateFollower) {
            throw new RaftPanicException("invalid transition [follower -> leader]");
        }
        this.step = Raft::stepLeader;
        reset(term);
        this.tick = this::tickHeartbeat;
        this.lead = id;
        this.state = StateType.StateLeader;
        // The leader is trivially in replicate state with itself, and always recently active
        // (MsgCheckQuorum keeps it that way).
        Progress pr = trk.progress().get(id);
        pr.becomeReplicate();
        trk.heardFrom(pr);

        // Whether the uncommitted tail holds a configuration change is unknown; acting as if it did
        // only delays new changes until the tail is applied, and costs less than scanning it.
        pendingConfIndex = raftLog.lastIndex();

        if (!appendEntry(List.of(Entry.getDefaultInstance()))) {
            // Cannot happen: reset() just cleared the uncommitted size, and an empty entry has
            // a zero payload, so it does not count against the new leader's quota either.
            logger.panic("empty entry was dropped");
        }
        logger.info("%x became leader at term %d", id, term);
    }

    /** Starts an election of kind {@code t} if this node may and should. */
    void hup(CampaignType t) {
        if (state == StateType.StateLeader) {
            logger.debug("%x ignoring MsgHup because already leader", id);
            return;
        }
        if (!promotable()) {
            logger.warning("%x is unpromotable and can not campaign", id);
            return;
        }
        if (hasUnappliedConfChanges()) {
            logger.warning(
                    "%x cannot campaign at term %d since there are still pending configuration changes to apply",
                    id, term);
            return;
        }
        logger.info("%x is starting a new election at term %d", id, term);
        campaign(t);
    }

    /** Whether a committed but unapplied entry is a configuration change (scanned page by page). */
    boolean hasUnappliedConfChanges() {
        if (raftLog.applied >= raftLog.committed) {
            return false;
        }
        boolean[] found = {false};
        long lo = raftLog.applied + 1;
        long hi = raftLog.committed + 1;
        // The scan is paged with the apply size budget, which bounds similar reads of
        // committed entries for Ready.
        long pageSize = raftLog.maxApplyingEntsSize;
        try {
            raftLog.scan(lo, hi, pageSize, ents -> {
                for (Entry e : ents) {
                    if (e.getType() == EntryType.EntryConfChange || e.getType() == EntryType.EntryConfChangeV2) {
                        found[0] = true;
                        return false;
                    }
                }
                return true;
            });
        } catch (StorageException e) {
            logger.panic("error scanning unapplied entries [%d, %d): %s", lo, hi, e.getMessage());
        }
        return found[0];
    }

    /**
     * Becomes (pre-)candidate and asks every voter for its vote. The node's own vote is a
     * response to itself, counted once it is durable.
     */
    void campaign(CampaignType t) {
        if (!promotable()) {
            // Callers check this; better safe than sorry.
            logger.warning("%x is unpromotable; campaign() should have been called", id);
        }
        long voteTerm;
        MessageType voteMsg;
        if (t == CampaignType.CampaignPreElection) {
            becomePreCandidate();
            voteMsg = MessageType.MsgPreVote;
            // Pre-votes are requested for the next term without incrementing ours.
            voteTerm = term + 1;
        } else {
            becomeCandidate();
            voteMsg = MessageType.MsgVote;
            voteTerm = term;
        }
        List<Long> ids = new ArrayList<>(trk.config().voters().ids());
        ids.sort(Long::compareUnsigned);
        for (long voter : ids) {
            if (voter == id) {
                send(Message.newBuilder().setTo(voter).setTerm(voteTerm).setType(Util.voteRespMsgType(voteMsg)));
                continue;
            }
            EntryID last = raftLog.lastEntryID();
            logger.info(
                    "%x [logterm: %d, index: %d] sent %s request to %x at term %d",
                    id, last.term(), last.index(), voteMsg, voter, term);
            Message.Builder m = Message.newBuilder()
                    .setTo(voter)
                    .setTerm(voteTerm)
                    .setType(voteMsg)
                    .setIndex(last.index())
                    .setLogTerm(last.term());
            if (t == CampaignType.CampaignTransfer) {
                m.setContext(t.asContext());
            }
            send(m);
        }
    }

    /** Records a vote from {@code from} and returns the tally. */
    ProgressTracker.TallyResult poll(long from, MessageType t, boolean v) {
        if (v) {
            logger.info("%x received %s from %x at term %d", id, t, from, term);
        } else {
            logger.info("%x received %s rejection from %x at term %d", id, t, from, term);
        }
        trk.recordVote(from, v);
        return trk.tallyVotes();
    }

    /**
     * Advances the state machine with one message.
     *
     * @throws ProposalDroppedException when the message is a proposal that cannot be accepted
     */
    void step(Message m) {
        if (m == null) {
            throw new IllegalArgumentException("nil message");
        }
        MessageType type = m.getType();
        // First the term: a message from a newer term may turn this node into a follower, one
        // from an older term is answered or ignored here.
        if (m.getTerm() == 0) {
            // local message
        } else if (m.getTerm() > term) {
            if (type == MessageType.MsgVote || type == MessageType.MsgPreVote) {
                boolean force = m.getContext().equals(CampaignType.CampaignTransfer.asContext());
                boolean inLease = checkQuorum && lead != NONE && electionElapsed < electionTimeout;
                if (!force && inLease) {
                    // Having heard from a leader within the minimum election timeout, neither
                    // update the term nor grant the vote.
                    EntryID last = raftLog.lastEntryID();
                    logger.info(
                            "%x [logterm: %d, index: %d, vote: %x] ignored %s from %x [logterm: %d, index: %d] at term %d: lease is not expired (remaining ticks: %d)",
                            id,
                            last.term(),
                            last.index(),
                            vote,
                            type,
                            m.getFrom(),
                            m.getLogTerm(),
                            m.getIndex(),
                            term,
                            electionTimeout - electionElapsed);
                    return;
                }
            }
            if (type == MessageType.MsgPreVote) {
                // Never change the term in response to a pre-vote.
            } else if (type == MessageType.MsgPreVoteResp && !m.getReject()) {
                // A granted pre-vote carries the future term we asked about; the term is bumped
                // only once a quorum grants. A rejection carries the rejecter's newer term.
            } else {
                logger.info(
                        "%x [term: %d] received a %s message with higher term from %x [term: %d]",
                        id, term, type, m.getFrom(), m.getTerm());
                if (type == MessageType.MsgApp || type == MessageType.MsgHeartbeat || type == MessageType.MsgSnap) {
                    becomeFollower(m.getTerm(), m.getFrom());
                } else {
                    becomeFollower(m.getTerm(), NONE);
                }
            }
        } else if (m.getTerm() < term) {
            if ((checkQuorum || preVote) && (type == MessageType.MsgHeartbeat || type == MessageType.MsgApp)) {
                // A leader of an older term: maybe a delayed message, maybe a leader that cannot
                // learn about our newer term because we (with check-quorum or pre-vote) ignore
                // its votes. Answering with our term frees it; it steps down on the response.
                send(replyTo(m).setType(MessageType.MsgAppResp));
            } else if (type == MessageType.MsgPreVote) {
                // Answer rather than drop: a cluster that switched pre-vote on may contain a
                // candidate with a higher term but a shorter log, and dropping would deadlock.
                EntryID last = raftLog.lastEntryID();
                logger.info(
                        "%x [logterm: %d, index: %d, vote: %x] rejected %s from %x [logterm: %d, index: %d] at term %d",
                        id, last.term(), last.index(), vote, type, m.getFrom(), m.getLogTerm(), m.getIndex(), term);
                send(replyTo(m)
                        .setTerm(term)
                        .setType(MessageType.MsgPreVoteResp)
                        .setReject(true));
            } else if (type == MessageType.MsgStorageAppendResp) {
                if (m.getIndex() != 0) {
                    // A later term may have replaced those entries in the unstable log since, so
                    // this response proves nothing about what is stable now.
                    logger.info(
                            "%x [term: %d] ignored entry appends from a %s message with lower term [term: %d]",
                            id, term, type, m.getTerm());
                }
                if (m.hasSnapshot()) {
                    // Snapshots hold committed state, valid whatever the term.
                    appliedSnap(m.getSnapshot());
                }
            } else {
                logger.info(
                        "%x [term: %d] ignored a %s message with lower term from %x [term: %d]",
                        id, term, type, m.getFrom(), m.getTerm());
            }
            return;
        }

        switch (type) {
            case MsgHup -> hup(preVote ? CampaignType.CampaignPreElection : CampaignType.CampaignElection);
            case MsgStorageAppendResp -> {
                if (m.getIndex() != 0) {
                    raftLog.stableTo(new EntryID(m.getLogTerm(), m.getIndex()));
                }
                if (m.hasSnapshot()) {
                    appliedSnap(m.getSnapshot());
                }
            }
            case MsgStorageApplyResp -> {
                if (m.getEntriesCount() > 0) {
                    List<Entry> ents = m.getEntriesList();
                    long index = ents.get(ents.size() - 1).getIndex();
                    appliedTo(index, EntrySizes.entsSize(ents));
                    reduceUncommittedSize(EntrySizes.payloadsSize(ents));
                }
            }
            case MsgVote, MsgPreVote -> stepVoteRequest(m);
            default -> step.step(this, m);
        }
    }

    private void stepVoteRequest(Message m) {
        MessageType type = m.getType();
        // We can vote if this repeats a vote we cast, if we have not voted and know of no leader
        // in this term, or if this is a pre-vote for a future term...
        boolean canVote = vote == m.getFrom()
                || (vote == NONE && lead == NONE)
                || (type == MessageType.MsgPreVote && m.getTerm() > term);
        // ...and the candidate's log is at least as up to date as ours.
        EntryID lastID = raftLog.lastEntryID();
        EntryID candLastID = new EntryID(m.getLogTerm(), m.getIndex());
        if (canVote && raftLog.isUpToDate(candLastID)) {
            // Learners vote too: a learner may already have been promoted by a configuration
            // change it has not yet seen, and the cluster may need its vote to make progress.
            logger.info(
                    "%x [logterm: %d, index: %d, vote: %x] cast %s for %x [logterm: %d, index: %d] at term %d",
                    id,
                    lastID.term(),
                    lastID.index(),
                    vote,
                    type,
                    m.getFrom(),
                    candLastID.term(),
                    candLastID.index(),
                    term);
            // Answer with the term of the request, not ours: for pre-votes ours may be older, and
            // the candidate ignores responses from older terms.
            Message.Builder resp = replyTo(m).setType(Util.voteRespMsgType(type));
            if (m.hasTerm()) {
                resp.setTerm(m.getTerm());
            }
            send(resp);
            if (type == MessageType.MsgVote) {
                // Only real votes are recorded.
                electionElapsed = 0;
                vote = m.getFrom();
            }
        } else {
            logger.info(
                    "%x [logterm: %d, index: %d, vote: %x] rejected %s from %x [logterm: %d, index: %d] at term %d",
                    id,
                    lastID.term(),
                    lastID.index(),
                    vote,
                    type,
                    m.getFrom(),
                    candLastID.term(),
                    candLastID.index(),
                    term);
            send(replyTo(m).setTerm(term).setType(Util.voteRespMsgType(type)).setReject(true));
        }
    }

    static void stepLeader(Raft r, Message m) {
        // These message types do not need a progress for m.from.
        switch (m.getType()) {
            case MsgBeat -> {
                r.bcastHeartbeat();
                return;
            }
            case MsgCheckQuorum -> {
                if (!r.trk.quorumActive()) {
                    r.logger.warning("%x stepped down to follower since quorum is not active", r.id);
                    r.becomeFollower(r.term, NONE);
                }
                // Everyone but us starts the next check-quorum period as inactive.
                r.trk.resetRecentActive(r.id);
                return;
            }
            case MsgProp -> {
                r.leaderPropose(m);
                return;
            }
            case MsgReadIndex -> {
                // The leader is the only voter: nothing to confirm.
                if (r.trk.isSingleton()) {
                    Message.Builder resp = r.responseToReadIndexReq(m, r.raftLog.committed);
                    if (resp != null) {
                        r.send(resp);
                    }
                    return;
                }
                // A new leader does not know the commit index until it committed an entry of
                // its own term; hold the request until then.
                if (!r.committedEntryInCurrentTerm()) {
                    r.pendingReadIndexMessages.add(m);
                    return;
                }
                r.sendMsgReadIndexResponse(m);
                return;
            }
            case MsgForgetLeader -> {
                return; // noop on leader
            }
            default -> {}
        }

        Progress pr = r.trk.progress().get(m.getFrom());
        if (pr == null) {
            r.logger.debug("%x no progress available for %x", r.id, m.getFrom());
            return;
        }
        switch (m.getType()) {
            case MsgAppResp -> r.leaderHandleAppResp(m, pr);
            case MsgHeartbeatResp -> {
                r.trk.heardFrom(pr);
                r.trk.pauseMsgAppFlow(pr, false);
                // Also sends when the follower is paused with a full window (the empty append
                // lets it recover if those messages were lost) or probing while caught up (so it
                // can return to replicate state). In snapshot state the progress is paused and
                // nothing is sent.
                if (pr.match() < r.raftLog.lastIndex() || pr.state() == StateProbe) {
                    r.sendAppend(m.getFrom());
                }
                if (r.readOnly.option != ReadOnlyOption.ReadOnlySafe
                        || m.getContext().isEmpty()) {
                    return;
                }
                r.readOnly.recvAck(m.getFrom(), m.getContext());
                for (ReadOnly.ReadIndexRequest rs :
                        r.readOnly.maybeAdvance(r.trk.config().voters())) {
                    Message.Builder resp = r.responseToReadIndexReq(rs.req(), rs.index());
                    if (resp != null) {
                        r.send(resp);
                    }
                }
            }
            case MsgSnapStatus -> {
                if (pr.state() != StateSnapshot) {
                    return;
                }
                if (!m.getReject()) {
                    pr.becomeProbe();
                    r.logger.debug(
                            "%x snapshot succeeded, resumed sending replication messages to %x [%s]",
                            r.id, m.getFrom(), pr);
                } else {
                    // Clear the pending snapshot first, or probing would start from the index
                    // of a snapshot that never got applied.
                    r.trk.clearPendingSnapshot(pr);
                    pr.becomeProbe();
                    r.logger.debug(
                            "%x snapshot failed, resumed sending replication messages to %x [%s]",
                            r.id, m.getFrom(), pr);
                }
                // After success wait for the follower's MsgAppResp; after failure wait for a
                // heartbeat round before trying again.
                r.trk.pauseMsgAppFlow(pr, true);
            }
            case MsgUnreachable -> {
                // An unreachable follower in optimistic replication has most likely lost appends.
                if (pr.state() == StateReplicate) {
                    pr.becomeProbe();
                }
                r.logger.debug("%x failed to send message to %x because it is unreachable [%s]", r.id, m.getFrom(), pr);
            }
            case MsgTransferLeader -> r.leaderTransfer(m, pr);
            default -> {}
        }
    }

    private void leaderPropose(Message m) {
        if (m.getEntriesCount() == 0) {
            logger.panic("%x stepped empty MsgProp", id);
        }
        if (trk.progress().get(id) == null) {
            // This leader was removed from the configuration: drop new proposals.
            throw new ProposalDroppedException();
        }
        if (leadTransferee != NONE) {
            logger.debug(
                    "%x [term %d] transfer leadership to %x is in progress; dropping proposal",
                    id, term, leadTransferee);
            throw new ProposalDroppedException();
        }

        List<Entry> entries = m.getEntriesList();
        List<Entry> accepted = null; // copy-on-write when a conf change is neutralized
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            ConfChangeV2 cc = parseConfChange(e);
            if (cc == null) {
                continue;
            }
            boolean alreadyPending = pendingConfIndex > raftLog.applied;
            boolean alreadyJoint = !trk.config().voters().outgoing().isEmpty();
            boolean wantsLeaveJoint = cc.getChangesCount() == 0;

            String failedCheck = null;
            if (alreadyPending) {
                failedCheck = String.format(
                        "possible unapplied conf change at index %d (applied to %d)",
                        pendingConfIndex, raftLog.applied);
            } else if (alreadyJoint && !wantsLeaveJoint) {
                failedCheck = "must transition out of joint config first";
            } else if (!alreadyJoint && wantsLeaveJoint) {
                failedCheck = "not in joint state; refusing empty conf change";
            }

            if (failedCheck != null && !disableConfChangeValidation) {
                logger.info(
                        "%x ignoring conf change %s at config %s: %s",
                        id, Util.describeConfChange(cc), trk.config(), failedCheck);
                if (accepted == null) {
                    accepted = new ArrayList<>(entries);
                }
                accepted.set(
                        i, Entry.newBuilder().setType(EntryType.EntryNormal).build());
            } else {
                pendingConfIndex = raftLog.lastIndex() + i + 1;
            }
        }

        if (!appendEntry(accepted == null ? entries : accepted)) {
            throw new ProposalDroppedException();
        }
        bcastAppend();
    }

    /** The configuration change an entry carries (as V2), or null for a normal entry. */
    private static ConfChangeV2 parseConfChange(Entry e) {
        try {
            if (e.getType() == EntryType.EntryConfChange) {
                return ConfChanges.asV2(ConfChange.parseFrom(e.getData()));
            } else if (e.getType() == EntryType.EntryConfChangeV2) {
                return ConfChangeV2.parseFrom(e.getData());
            }
            return null;
        } catch (InvalidProtocolBufferException ex) {
            throw new RaftPanicException(ex.getMessage(), ex);
        }
    }

    private void leaderHandleAppResp(Message m, Progress pr) {
        if (!m.getReject() && Long.compareUnsigned(m.getIndex(), raftLog.lastIndex()) > 0) {
            // Deviation from etcd (docs/raft.md): no member acknowledges an entry the leader does
            // not have (followers only ever ack what a leader of this term sent them), so this one
            // is forged or corrupt. Taking it would set a match past the log, make the next append
            // reach for a snapshot of entries that do not exist, and panic.
            logger.warning(
                    "%x ignored MsgAppResp from %x for index %d beyond its last index %d",
                    id, m.getFrom(), m.getIndex(), raftLog.lastIndex());
            return;
        }
        // This also runs for the leader's own acknowledgements, delivered after its appends
        // became durable.
        trk.heardFrom(pr);

        if (m.getReject()) {
            // rejectHint is where the follower suggests probing next, logTerm its term there
            // (zero from old followers or empty logs).
            logger.debug(
                    "%x received MsgAppResp(rejected, hint: (index %d, term %d)) from %x for index %d",
                    id, m.getRejectHint(), m.getLogTerm(), m.getFrom(), m.getIndex());
            long nextProbeIdx = m.getRejectHint();
            if (m.getLogTerm() > 0) {
                // Every index of our log whose term exceeds the follower's term at the hint
                // cannot match (terms only grow along a log), so skip straight to the last index
                // with a term <= that one: at most one probe per term of our log. The follower
                // does the mirror-image search in handleAppendEntries.
                nextProbeIdx = raftLog.findConflictByTerm(m.getRejectHint(), m.getLogTerm())
                        .index();
            }
            if (pr.maybeDecrTo(m.getIndex(), nextProbeIdx)) {
                logger.debug("%x decreased progress of %x to [%s]", id, m.getFrom(), pr);
                if (pr.state() == StateReplicate) {
                    pr.becomeProbe();
                }
                sendAppend(m.getFrom());
            }
            return;
        }

        // Update on a higher match, and also when an ack at the current match can move a
        // probing follower back to replicating (see heartbeat_rep_recovers_from_probing.txt).
        // Snapshot state is left alone here: pendingSnapshot blocks that path anyway.
        if (!(pr.maybeUpdate(m.getIndex()) || (pr.match() == m.getIndex() && pr.state() == StateProbe))) {
            return;
        }
        if (pr.state() == StateProbe) {
            pr.becomeReplicate();
        } else if (pr.state() == StateSnapshot && pr.match() + 1 >= raftLog.firstIndex()) {
            // Whatever snapshot the follower actually applied, it can now be caught up from the
            // log. Going through probe state accounts for the snapshot and makes the status
            // consistent right away.
            logger.debug(
                    "%x recovered from needing snapshot, resumed sending replication messages to %x [%s]",
                    id, m.getFrom(), pr);
            pr.becomeProbe();
            pr.becomeReplicate();
        } else if (pr.state() == StateReplicate) {
            pr.inflights().freeLE(m.getIndex());
        }

        if (maybeCommit()) {
            // The commit index moved in this term, so pending reads can be answered.
            releasePendingReadIndexMessages();
            bcastAppend();
        } else if (id != m.getFrom() && pr.canBumpCommit(raftLog.committed)) {
            // The follower may not know the latest commit index; tell it now rather than at
            // the next heartbeat.
            sendAppend(m.getFrom());
        }
        // The flow control window may have opened: send as many appends with entries as fit.
        if (id != m.getFrom()) {
            while (maybeSendAppend(m.getFrom(), false)) {
                // keep sending
            }
        }
        if (m.getFrom() == leadTransferee && pr.match() == raftLog.lastIndex()) {
            logger.info("%x sent MsgTimeoutNow to %x after received MsgAppResp", id, m.getFrom());
            sendTimeoutNow(m.getFrom());
        }
    }

    private void leaderTransfer(Message m, Progress pr) {
        if (pr.isLearner()) {
            logger.debug("%x is learner. Ignored transferring leadership", id);
            return;
        }
        long transferee = m.getFrom();
        long lastLeadTransferee = leadTransferee;
        if (lastLeadTransferee != NONE) {
            if (lastLeadTransferee == transferee) {
                logger.info(
                        "%x [term %d] transfer leadership to %x is in progress, ignores request to same node %x",
                        id, term, transferee, transferee);
                return;
            }
            abortLeaderTransfer();
            logger.info("%x [term %d] abort previous transferring leadership to %x", id, term, lastLeadTransferee);
        }
        if (transferee == id) {
            logger.debug("%x is already leader. Ignored transferring leadership to self", id);
            return;
        }
        logger.info("%x [term %d] starts to transfer leadership to %x", id, term, transferee);
        // The transfer must finish within one election timeout.
        electionElapsed = 0;
        leadTransferee = transferee;
        if (pr.match() == raftLog.lastIndex()) {
            sendTimeoutNow(transferee);
            logger.info(
                    "%x sends MsgTimeoutNow to %x immediately as %x already has up-to-date log",
                    id, transferee, transferee);
        } else {
            sendAppend(transferee);
        }
    }

    /** Message handler of candidates and pre-candidates. */
    static void stepCandidate(Raft r, Message m) {
        // Only responses of the current candidacy count; a candidate may still receive
        // pre-vote responses from its pre-candidacy in the same term.
        MessageType myVoteRespType =
                r.state == StateType.StatePreCandidate ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
        MessageType type = m.getType();
        switch (type) {
            case MsgProp -> {
                r.logger.info("%x no leader at term %d; dropping proposal", r.id, r.term);
                throw new ProposalDroppedException();
            }
            case MsgApp -> {
                r.becomeFollower(m.getTerm(), m.getFrom()); // always m.term == r.term
                r.handleAppendEntries(m);
            }
            case MsgHeartbeat -> {
                r.becomeFollower(m.getTerm(), m.getFrom()); // always m.term == r.term
                r.handleHeartbeat(m);
            }
            case MsgSnap -> {
                r.becomeFollower(m.getTerm(), m.getFrom()); // always m.term == r.term
                r.handleSnapshot(m);
            }
            case MsgTimeoutNow ->
                r.logger.debug(
                        "%x [term %d state %s] ignored MsgTimeoutNow from %x", r.id, r.term, r.state, m.getFrom());
            default -> {
                if (type != myVoteRespType) {
                    return;
                }
                ProgressTracker.TallyResult tally = r.poll(m.getFrom(), type, !m.getReject());
                r.logger.info(
                        "%x has received %d %s votes and %d vote rejections",
                        r.id, tally.granted(), type, tally.rejected());
                if (tally.result() == VoteResult.VoteWon) {
                    if (r.state == StateType.StatePreCandidate) {
                        r.campaign(CampaignType.CampaignElection);
                    } else {
                        r.becomeLeader();
                        r.bcastAppend();
                    }
                } else if (tally.result() == VoteResult.VoteLost) {
                    // A pre-vote response carries the pre-candidate's future term; keep ours.
                    r.becomeFollower(r.term, NONE);
                }
            }
        }
    }

    /** Message handler of followers. */
    static void stepFollower(Raft r, Message m) {
        switch (m.getType()) {
            case MsgProp -> {
                if (r.lead == NONE) {
                    r.logger.info("%x no leader at term %d; dropping proposal", r.id, r.term);
                    throw new ProposalDroppedException();
                } else if (r.disableProposalForwarding) {
                    r.logger.info("%x not forwarding to leader %x at term %d; dropping proposal", r.id, r.lead, r.term);
                    throw new ProposalDroppedException();
                }
                r.send(m.toBuilder().setTo(r.lead));
            }
            case MsgApp -> {
                r.electionElapsed = 0;
                r.lead = m.getFrom();
                r.handleAppendEntries(m);
            }
            case MsgHeartbeat -> {
                r.electionElapsed = 0;
                r.lead = m.getFrom();
                r.handleHeartbeat(m);
            }
            case MsgSnap -> {
                r.electionElapsed = 0;
                r.lead = m.getFrom();
                r.handleSnapshot(m);
            }
            case MsgTransferLeader -> {
                if (r.lead == NONE) {
                    r.logger.info("%x no leader at term %d; dropping leader transfer msg", r.id, r.term);
                    return;
                }
                // Deviation from etcd (docs/raft.md): one that came over the network carries its
                // sender's term, and send() panics on a message with a term; send() sets ours.
                r.send(m.toBuilder().setTo(r.lead).setTerm(0));
            }
            case MsgForgetLeader -> {
                if (r.readOnly.option == ReadOnlyOption.ReadOnlyLeaseBased) {
                    r.logger.error("ignoring MsgForgetLeader due to ReadOnlyLeaseBased");
                    return;
                }
                if (r.lead != NONE) {
                    r.logger.info("%x forgetting leader %x at term %d", r.id, r.lead, r.term);
                    r.lead = NONE;
                }
            }
            case MsgTimeoutNow -> {
                r.logger.info(
                        "%x [term %d] received MsgTimeoutNow from %x and starts an election to get leadership.",
                        r.id, r.term, m.getFrom());
                // Transfers skip pre-vote even when it is on: this is no recovery from a
                // partition, so the extra round trip buys nothing.
                r.hup(CampaignType.CampaignTransfer);
            }
            case MsgReadIndex -> {
                if (r.lead == NONE) {
                    r.logger.info("%x no leader at term %d; dropping index reading msg", r.id, r.term);
                    return;
                }
                r.send(m.toBuilder().setTo(r.lead));
            }
            case MsgReadIndexResp -> {
                if (m.getEntriesCount() != 1) {
                    r.logger.error(
                            "%x invalid format of MsgReadIndexResp from %x, entries count: %d",
                            r.id, m.getFrom(), m.getEntriesCount());
                    return;
                }
                r.readStates.add(new ReadState(m.getIndex(), m.getEntries(0).getData()));
            }
            default -> {}
        }
    }

    void handleAppendEntries(Message m) {
        LogSlice a = new LogSlice(m.getTerm(), new EntryID(m.getLogTerm(), m.getIndex()), m.getEntriesList());

        if (a.prev().index() < raftLog.committed) {
            send(replyTo(m).setType(MessageType.MsgAppResp).setIndex(raftLog.committed));
            return;
        }
        long mlastIndex = raftLog.maybeAppend(a, m.getCommit());
        if (mlastIndex != Unstable.NONE) {
            send(replyTo(m).setType(MessageType.MsgAppResp).setIndex(mlastIndex));
            return;
        }
        logger.debug(
                "%x [logterm: %d, index: %d] rejected MsgApp [logterm: %d, index: %d] from %x",
                id,
                raftLog.zeroTermOnOutOfBounds(m.getIndex()),
                m.getIndex(),
                m.getLogTerm(),
                m.getIndex(),
                m.getFrom());

        // Hint where the logs may match: the largest (index, term) in our log with index <=
        // m.index and term <= m.logTerm. This skips our whole uncommitted tail of newer terms.
        // The hint index is >= committed (checked above), so the search stays within the log.
        long hintIndex = Math.min(m.getIndex(), raftLog.lastIndex());
        RaftLog.TermGuess hint = raftLog.findConflictByTerm(hintIndex, m.getLogTerm());
        send(replyTo(m)
                .setType(MessageType.MsgAppResp)
                .setIndex(m.getIndex())
                .setReject(true)
                .setRejectHint(hint.index())
                .setLogTerm(hint.term()));
    }

    void handleHeartbeat(Message m) {
        raftLog.commitTo(m.getCommit());
        Message.Builder resp = replyTo(m).setType(MessageType.MsgHeartbeatResp);
        if (m.hasContext()) {
            resp.setContext(m.getContext());
        }
        send(resp);
    }

    void handleSnapshot(Message m) {
        // MsgSnap always carries a snapshot, but a missing one is treated as empty.
        Snapshot s = Util.ensureSnapshot(m.hasSnapshot() ? m.getSnapshot() : null);
        long sindex = s.getMetadata().getIndex();
        long sterm = s.getMetadata().getTerm();
        if (restore(s)) {
            logger.info(
                    "%x [commit: %d] restored snapshot [index: %d, term: %d]", id, raftLog.committed, sindex, sterm);
            send(replyTo(m).setType(MessageType.MsgAppResp).setIndex(raftLog.lastIndex()));
        } else {
            logger.info("%x [commit: %d] ignored snapshot [index: %d, term: %d]", id, raftLog.committed, sindex, sterm);
            send(replyTo(m).setType(MessageType.MsgAppResp).setIndex(raftLog.committed));
        }
    }

    /**
     * Resets the log and the configuration to a snapshot. Returns false when the snapshot was
     * ignored: obsolete, not addressed to a member, or merely fast-forwarding the commit index.
     */
    boolean restore(Snapshot s) {
        if (s.getMetadata().getIndex() <= raftLog.committed) {
            return false;
        }
        if (state != StateType.StateFollower) {
            // Defense in depth: a leader applying a snapshot could move to a new term without
            // becoming follower. Cannot happen today; if it did, bail out loudly.
            logger.warning("%x attempted to restore snapshot as leader; should never happen", id);
            becomeFollower(term + 1, NONE);
            return false;
        }

        // More defense in depth: much code assumes this node is in its own tracker. A node in
        // learnersNext is necessarily in votersOutgoing, so that set need not be checked.
        ConfState cs = Util.ensureConfState(s.getMetadata().getConfState());
        boolean found = cs.getVotersList().contains(id)
                || cs.getLearnersList().contains(id)
                || cs.getVotersOutgoingList().contains(id);
        if (!found) {
            logger.warning(
                    "%x attempted to restore snapshot but it is not in the ConfState %s; should never happen",
                    id, Util.describeConfState(cs));
            return false;
        }

        EntryID snapID = new EntryID(s.getMetadata().getTerm(), s.getMetadata().getIndex());
        if (raftLog.matchTerm(snapID)) {
            // We already have the snapshot's last entry: just commit up to it.
            EntryID last = raftLog.lastEntryID();
            logger.info(
                    "%x [commit: %d, lastindex: %d, lastterm: %d] fast-forwarded commit to snapshot [index: %d, term: %d]",
                    id, raftLog.committed, last.index(), last.term(), snapID.index(), snapID.term());
            raftLog.commitTo(s.getMetadata().getIndex());
            return false;
        }

        raftLog.restore(s);

        // Rebuild the configuration from scratch, with the snapshot's peers.
        trk = new ProgressTracker(trk.maxInflight(), trk.maxInflightBytes());
        ConfigAndProgress restored = restoreConfig(new Changer(trk, raftLog.lastIndex()), cs);
        Util.assertConfStatesEquivalent(logger, cs, switchToConfig(restored.config(), restored.progress()));

        EntryID last = raftLog.lastEntryID();
        logger.info(
                "%x [commit: %d, lastindex: %d, lastterm: %d] restored snapshot [index: %d, term: %d]",
                id, raftLog.committed, last.index(), last.term(), snapID.index(), snapID.term());
        return true;
    }

    /** Whether this node may become leader: a voter, and not waiting for a snapshot. */
    boolean promotable() {
        Progress pr = trk.progress().get(id);
        return pr != null && !pr.isLearner() && !raftLog.hasNextOrInProgressSnapshot();
    }

    /** Applies a configuration change (simple, entering or leaving a joint configuration). */
    ConfState applyConfChange(ConfChangeV2 cc) {
        Changer changer = new Changer(trk, raftLog.lastIndex());
        ConfigAndProgress result;
        try {
            if (ConfChanges.leaveJoint(cc)) {
                result = changer.leaveJoint();
            } else if (ConfChanges.enterJoint(cc)) {
                result = changer.enterJoint(ConfChanges.autoLeave(cc), cc.getChangesList());
            } else {
                result = changer.simple(cc.getChangesList());
            }
        } catch (RaftPanicException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new RaftPanicException(e.getMessage(), e);
        }
        return switchToConfig(result.config(), result.progress());
    }

    /**
     * Installs a configuration (from a snapshot or a configuration change) and reacts to it:
     * a removed leader may step down, and a leader commits or probes under the new quorum.
     */
    ConfState switchToConfig(TrackerConfig cfg, ProgressMap progress) {
        trk.setConfig(cfg);
        trk.setProgress(progress);

        logger.info("%x switched to configuration %s", id, trk.config());
        ConfState cs = trk.confState();
        Progress pr = trk.progress().get(id);

        // Reset to false when this node was removed.
        isLearner = pr != null && pr.isLearner();

        if ((pr == null || isLearner) && state == StateType.StateLeader) {
            // Removed or demoted (demotions are refused today, but would be treated the same).
            if (stepDownOnRemoval) {
                becomeFollower(term, NONE);
            }
            return cs;
        }

        // The rest only matters for a leader with peers.
        if (state != StateType.StateLeader || cs.getVotersCount() == 0) {
            return cs;
        }

        if (maybeCommit()) {
            // The new quorum commits more entries: tell everyone.
            bcastAppend();
        } else {
            // Otherwise still probe new members right away rather than at the next heartbeat
            // or proposal.
            trk.visit((peer, p) -> {
                if (peer != id) {
                    maybeSendAppend(peer, false);
                }
            });
        }
        // A transfer to a node that is no longer a voter cannot finish.
        if (leadTransferee != NONE && !trk.config().voters().ids().contains(leadTransferee)) {
            abortLeaderTransfer();
        }
        return cs;
    }

    void loadState(HardState state) {
        if (state.getCommit() < raftLog.committed || state.getCommit() > raftLog.lastIndex()) {
            logger.panic(
                    "%x state.commit %d is out of range [%d, %d]",
                    id, state.getCommit(), raftLog.committed, raftLog.lastIndex());
        }
        raftLog.committed = state.getCommit();
        term = state.getTerm();
        vote = state.getVote();
    }

    /** Whether the election timeout, randomized in [electionTimeout, 2*electionTimeout), passed. */
    boolean pastElectionTimeout() {
        return electionElapsed >= randomizedElectionTimeout;
    }

    void resetRandomizedElectionTimeout() {
        RandomGenerator rnd = random != null ? random : ThreadLocalRandom.current();
        randomizedElectionTimeout = electionTimeout + rnd.nextInt(electionTimeout);
    }

    void sendTimeoutNow(long to) {
        send(Message.newBuilder().setTo(to).setType(MessageType.MsgTimeoutNow));
    }

    void abortLeaderTransfer() {
        leadTransferee = NONE;
    }

    /** Whether this node has committed an entry of its current term (leaders only ever ask). */
    boolean committedEntryInCurrentTerm() {
        // A leader's term is never 0, so the 0 of an out-of-bounds index never matches.
        return raftLog.zeroTermOnOutOfBounds(raftLog.committed) == term;
    }

    /**
     * The response to a read request confirmed at {@code readIndex}; for this node's own
     * requests the answer goes straight to {@link #readStates} and null is returned.
     */
    Message.Builder responseToReadIndexReq(Message req, long readIndex) {
        if (req.getFrom() == NONE || req.getFrom() == id) {
            readStates.add(new ReadState(readIndex, req.getEntries(0).getData()));
            return null;
        }
        return replyTo(req)
                .setType(MessageType.MsgReadIndexResp)
                .setIndex(readIndex)
                .addAllEntries(req.getEntriesList());
    }

    /**
     * Accounts for proposed entries in the uncommitted size; false (nothing recorded) when they
     * would exceed the limit. An empty tail accepts any size, and an empty payload is always
     * accepted (a new leader's entry, leaving a joint configuration).
     */
    boolean increaseUncommittedSize(List<Entry> ents) {
        long s = EntrySizes.payloadsSize(ents);
        if (uncommittedSize > 0 && s > 0 && uncommittedSize + s > maxUncommittedSize) {
            return false;
        }
        uncommittedSize += s;
        return true;
    }

    /** Releases committed payload bytes from the uncommitted size (saturating at 0). */
    void reduceUncommittedSize(long s) {
        // The estimate may be low but is never high, so saturate rather than underflow.
        if (s > uncommittedSize) {
            uncommittedSize = 0;
        } else {
            uncommittedSize -= s;
        }
    }

    void releasePendingReadIndexMessages() {
        if (pendingReadIndexMessages.isEmpty()) {
            // Fast path: avoids a storage lookup in committedEntryInCurrentTerm.
            return;
        }
        if (!committedEntryInCurrentTerm()) {
            logger.error("pending MsgReadIndex should be released only after first commit in current term");
            return;
        }
        List<Message> pending = pendingReadIndexMessages;
        pendingReadIndexMessages = new ArrayList<>();
        for (Message m : pending) {
            sendMsgReadIndexResponse(m);
        }
    }

    void sendMsgReadIndexResponse(Message m) {
        switch (readOnly.option) {
            case ReadOnlySafe -> {
                // Confirm leadership with a heartbeat round; our own ack is implicit.
                readOnly.addRequest(raftLog.committed, m);
                readOnly.recvAck(id, readOnly.heartbeatCtx());
                bcastHeartbeat();
            }
            case ReadOnlyLeaseBased -> {
                Message.Builder resp = responseToReadIndexReq(m, raftLog.committed);
                if (resp != null) {
                    send(resp);
                }
            }
        }
    }

    /**
     * A proposal carrying a V1 configuration change; null, like Go's nil ConfChangeI, proposes
     * leaving a joint configuration.
     */
    static Message confChangeToMsg(ConfChange cc) {
        if (cc == null) {
            return confChangeToMsg((ConfChangeV2) null);
        }
        Entry e = Entry.newBuilder()
                .setType(EntryType.EntryConfChange)
                .setData(cc.toByteString())
                .build();
        return Message.newBuilder().setType(MessageType.MsgProp).addEntries(e).build();
    }

    /**
     * A proposal carrying a V2 configuration change; null gives the empty change that leaves a
     * joint configuration, with no data at all so its payload size is zero.
     */
    static Message confChangeToMsg(ConfChangeV2 cc) {
        Entry.Builder e = Entry.newBuilder().setType(EntryType.EntryConfChangeV2);
        if (cc != null) {
            e.setData(cc.toByteString());
        }
        return Message.newBuilder().setType(MessageType.MsgProp).addEntries(e).build();
    }
}
