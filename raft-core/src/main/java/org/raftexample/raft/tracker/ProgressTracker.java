package org.raftexample.raft.tracker;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.raftexample.raft.quorum.AckedIndexer;
import org.raftexample.raft.quorum.MajorityConfig;
import org.raftexample.raft.quorum.VoteResult;
import org.raftexample.raftpb.ConfState;

/**
 * The active configuration together with the progress of every peer in it and the votes of the
 * current election: what a node needs to compute commit indexes and election outcomes.
 */
public final class ProgressTracker {
    private TrackerConfig config;
    private ProgressMap progress;
    private Map<Long, Boolean> votes;
    private final int maxInflight;
    private final long maxInflightBytes;

    /**
     * Tracks nothing yet; new peers get windows of maxInflight messages and maxBytes bytes (0 = unlimited).
     *
     * @param maxInflight the window of each new peer, in messages
     * @param maxBytes the window of each new peer, in bytes (0 = unlimited)
     */
    public ProgressTracker(int maxInflight, long maxBytes) {
        this.maxInflight = maxInflight;
        this.maxInflightBytes = maxBytes;
        this.config = new TrackerConfig();
        this.progress = new ProgressMap();
        this.votes = new HashMap<>();
    }

    /**
     * The active configuration (mutable, shared).
     *
     * @return the configuration
     */
    public TrackerConfig config() {
        return config;
    }

    /**
     * Replaces the active configuration (the changer's result).
     *
     * @param config the configuration
     */
    public void setConfig(TrackerConfig config) {
        this.config = config;
    }

    /**
     * The progress of every tracked peer.
     *
     * @return the progress by id
     */
    public ProgressMap progress() {
        return progress;
    }

    /**
     * Replaces the progress map (the changer's result).
     *
     * @param progress the progress by id
     */
    public void setProgress(ProgressMap progress) {
        this.progress = progress;
    }

    /**
     * Votes received in the current election: true for granted, false for rejected.
     *
     * @return the votes by voter id
     */
    public Map<Long, Boolean> votes() {
        return votes;
    }

    /**
     * The in-flight window of new peers, in messages.
     *
     * @return the window
     */
    public int maxInflight() {
        return maxInflight;
    }

    /**
     * The in-flight window of new peers, in bytes (0 = unlimited).
     *
     * @return the window
     */
    public long maxInflightBytes() {
        return maxInflightBytes;
    }

    /**
     * The active configuration as the ConfState stored in snapshots.
     *
     * @return the configuration
     */
    public ConfState confState() {
        return ConfState.newBuilder()
                .addAllVoters(config.voters().incoming().slice())
                .addAllVotersOutgoing(config.voters().outgoing().slice())
                .addAllLearners(new MajorityConfig(config.learners()).slice())
                .addAllLearnersNext(new MajorityConfig(config.learnersNext()).slice())
                .setAutoLeave(config.autoLeave())
                .build();
    }

    /**
     * Whether the only voter is a single node (necessarily the leader) and no joint change is in progress.
     *
     * @return true if a single voter decides
     */
    public boolean isSingleton() {
        return config.voters().incoming().size() == 1
                && config.voters().outgoing().isEmpty();
    }

    /** Each tracked peer's match index, as the quorum code reads acknowledgements. */
    private AckedIndexer matchAckIndexer() {
        return id -> {
            Progress pr = progress.get(id);
            return pr == null ? AckedIndexer.NOT_FOUND : pr.match;
        };
    }

    /**
     * The largest log index the voters have acknowledged by quorum.
     *
     * @return the committed index
     */
    public long committed() {
        return config.voters().committedIndex(matchAckIndexer());
    }

    /** Receives each tracked peer in {@link #visit}. */
    @FunctionalInterface
    public interface ProgressVisitor {
        /**
         * Called once per tracked peer.
         *
         * @param id the peer
         * @param pr its progress
         */
        void visit(long id, Progress pr);
    }

    /**
     * Calls f for every tracked peer in ascending id order.
     *
     * @param f called once per peer
     */
    public void visit(ProgressVisitor f) {
        long[] ids = new long[progress.size()];
        int n = 0;
        for (long id : progress.keySet()) {
            ids[n++] = id;
        }
        sortUnsigned(ids);
        for (long id : ids) {
            f.visit(id, progress.get(id));
        }
    }

    private static void sortUnsigned(long[] ids) {
        // Flipping the sign bit maps unsigned order onto signed order.
        for (int i = 0; i < ids.length; i++) {
            ids[i] ^= Long.MIN_VALUE;
        }
        Arrays.sort(ids);
        for (int i = 0; i < ids.length; i++) {
            ids[i] ^= Long.MIN_VALUE;
        }
    }

    /**
     * Whether a quorum of voters has been recently active, as seen by this (leader) node.
     *
     * @return true if a quorum was active
     */
    public boolean quorumActive() {
        Map<Long, Boolean> active = new HashMap<>();
        visit((id, pr) -> {
            if (!pr.isLearner) {
                active.put(id, pr.recentActive);
            }
        });
        return config.voters().voteResult(active) == VoteResult.VoteWon;
    }

    /**
     * The voters of both halves, sorted.
     *
     * @return the voter ids
     */
    public List<Long> voterNodes() {
        return new MajorityConfig(config.voters().ids()).slice();
    }

    /**
     * The learners, sorted.
     *
     * @return the learner ids
     */
    public List<Long> learnerNodes() {
        if (config.learners().isEmpty()) {
            return new ArrayList<>();
        }
        return new MajorityConfig(config.learners()).slice();
    }

    /** Starts counting a new election. */
    public void resetVotes() {
        votes = new HashMap<>();
    }

    /**
     * Records id's vote; only its first vote in an election counts.
     *
     * @param id the voter
     * @param v true for a granted vote
     */
    public void recordVote(long id, boolean v) {
        votes.putIfAbsent(id, v);
    }

    /** Granted and rejected votes among tracked voters, and what they decide. */
    public record TallyResult(int granted, int rejected, VoteResult result) {}

    /**
     * Counts the votes of tracked non-learners (votes from peers no longer in the configuration
     * are left out of the counts, which are informational) and decides the election.
     *
     * @return the counts and the outcome
     */
    public TallyResult tallyVotes() {
        int granted = 0;
        int rejected = 0;
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            if (e.getValue().isLearner) {
                continue;
            }
            Boolean v = votes.get(e.getKey());
            if (v == null) {
                continue;
            }
            if (v) {
                granted++;
            } else {
                rejected++;
            }
        }
        return new TallyResult(granted, rejected, config.voters().voteResult(votes));
    }

    // The writes to a progress that raft and the configuration changer (other packages) make, as field
    // assignments in etcd. They live here so that Progress itself offers no setter to whoever holds one.

    /**
     * Every progress starts over as raft's {@code reset} does on a new term: next after the last index,
     * match 0 (the last index for this node itself), probing, nothing pending, not recently active, an
     * empty window; only the learner flag survives.
     *
     * @param self this node's id
     * @param lastIndex the last index of this node's log
     */
    public void resetProgress(long self, long lastIndex) {
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            Progress pr = e.getValue();
            pr.setMatch(e.getKey() == self ? lastIndex : 0);
            pr.setNext(lastIndex + 1);
            pr.sentCommit(0);
            pr.setState(ProgressState.StateProbe);
            pr.setPendingSnapshot(0);
            pr.setRecentActive(false);
            pr.setMsgAppFlowPaused(false);
            pr.setInflights(new Inflights(maxInflight, maxInflightBytes));
        }
    }

    /**
     * The progress of a peer a configuration change adds: probing from {@code max(lastIndex, 1)},
     * match 0, and counted as recently active so that CheckQuorum does not depose the leader before
     * the new peer is heard from (etcd's {@code initProgress}).
     *
     * @param lastIndex the leader's last index
     * @param isLearner whether the peer joins as a learner
     * @return the new progress
     */
    public Progress newProgress(long lastIndex, boolean isLearner) {
        Progress pr = new Progress();
        pr.setMatch(0);
        pr.setNext(Math.max(lastIndex, 1));
        pr.setInflights(new Inflights(maxInflight, maxInflightBytes));
        pr.setIsLearner(isLearner);
        pr.setRecentActive(true);
        return pr;
    }

    /**
     * Makes a peer a learner or a voter (the configuration changer).
     *
     * @param pr the peer's progress
     * @param isLearner true for a learner
     */
    public void setLearner(Progress pr, boolean isLearner) {
        pr.setIsLearner(isLearner);
    }

    /**
     * Records that the peer was heard from in this check-quorum period.
     *
     * @param pr the peer's progress
     */
    public void heardFrom(Progress pr) {
        pr.setRecentActive(true);
    }

    /**
     * Starts a check-quorum period: every peer but this node counts as not heard from.
     *
     * @param self this node's id
     */
    public void resetRecentActive(long self) {
        for (Map.Entry<Long, Progress> e : progress.entrySet()) {
            if (e.getKey() != self) {
                e.getValue().setRecentActive(false);
            }
        }
    }

    /**
     * Pauses MsgApps to a follower until it answers, or resumes them.
     *
     * @param pr the follower's progress
     * @param paused true to pause
     */
    public void pauseMsgAppFlow(Progress pr, boolean paused) {
        pr.setMsgAppFlowPaused(paused);
    }

    /**
     * Forgets the snapshot a follower was waiting for, before it probes again.
     *
     * @param pr the follower's progress
     */
    public void clearPendingSnapshot(Progress pr) {
        pr.setPendingSnapshot(0);
    }
}
