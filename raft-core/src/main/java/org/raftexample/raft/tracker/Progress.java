package org.raftexample.raft.tracker;

import org.raftexample.raft.RaftPanicException;

/**
 * A leader's view of one follower's log: how far it is known to match, what to send next, and
 * how fast. Its transitions are driven by the Raft state machine.
 *
 * <p>Invariant: {@code 0 <= match < next}. In StateSnapshot, {@code next == pendingSnapshot + 1}.
 */
public final class Progress {
    long match;
    long next;
    // Highest commit index sent to the follower; may go back when probing or after a rejection.
    long sentCommit;
    ProgressState state = ProgressState.StateProbe;
    // Leader's last index when it decided a snapshot was needed; only meaningful in StateSnapshot.
    long pendingSnapshot;
    // Whether the follower was heard from lately (reset on each election timeout by CheckQuorum).
    boolean recentActive;
    // Set while the MsgApp flow is throttled (probing, or a full window); cleared by a heartbeat response.
    boolean msgAppFlowPaused;
    Inflights inflights;
    boolean isLearner;

    /**
     * A zero progress (StateProbe, all indexes 0, no in-flight window). Only the tracker fills it in:
     * raft and the configuration changer write a progress through {@link ProgressTracker}, and a
     * {@code Progress} handed out (in a {@code Status}, to a progress visitor) is a copy with no setters.
     */
    public Progress() {}

    /**
     * The copy the configuration changer works on: every field copied, the {@link Inflights}
     * window shared (the changer only edits the learner flag), like Go's {@code ppr := *pr}.
     *
     * @return the copy
     */
    public Progress shallowCopy() {
        Progress p = new Progress();
        p.match = match;
        p.next = next;
        p.sentCommit = sentCommit;
        p.state = state;
        p.pendingSnapshot = pendingSnapshot;
        p.recentActive = recentActive;
        p.msgAppFlowPaused = msgAppFlowPaused;
        p.inflights = inflights;
        p.isLearner = isLearner;
        return p;
    }

    /**
     * A copy sharing nothing with this progress, its in-flight window cloned: what a {@code Status} holds.
     *
     * @return the copy
     */
    public Progress deepCopy() {
        Progress p = shallowCopy();
        p.inflights = inflights == null ? null : inflights.clone();
        return p;
    }

    /**
     * A copy without the in-flight window (which stays null), as etcd's {@code WithProgress} hands out.
     *
     * @return the copy
     */
    public Progress copyWithoutInflights() {
        Progress p = shallowCopy();
        p.inflights = null;
        return p;
    }

    /**
     * The highest index known to be in the follower's log.
     *
     * @return the match index
     */
    public long match() {
        return match;
    }

    /**
     * Sets the match index (raft resets it when it becomes leader, the changer for a new peer).
     *
     * @param match the index
     */
    void setMatch(long match) {
        this.match = match;
    }

    /**
     * The index of the next entry to send.
     *
     * @return the next index
     */
    public long next() {
        return next;
    }

    /**
     * Sets the next index (raft resets it when it becomes leader, the changer for a new peer).
     *
     * @param next the index
     */
    void setNext(long next) {
        this.next = next;
    }

    /**
     * How entries are sent to the follower: probing, replicating or waiting for a snapshot.
     *
     * @return the state
     */
    public ProgressState state() {
        return state;
    }

    /**
     * Sets the state without the bookkeeping of {@link #resetState} (raft's reset on a new term).
     *
     * @param state the state
     */
    void setState(ProgressState state) {
        this.state = state;
    }

    /**
     * The index of the snapshot being sent, in StateSnapshot; else 0.
     *
     * @return the pending snapshot's index
     */
    public long pendingSnapshot() {
        return pendingSnapshot;
    }

    /**
     * Sets the pending snapshot's index.
     *
     * @param pendingSnapshot the index, or 0
     */
    void setPendingSnapshot(long pendingSnapshot) {
        this.pendingSnapshot = pendingSnapshot;
    }

    /**
     * Whether the follower was heard from since the last check-quorum round.
     *
     * @return true if recently active
     */
    public boolean recentActive() {
        return recentActive;
    }

    /**
     * Marks the follower as heard from, or clears the mark for the next check-quorum round.
     *
     * @param recentActive the mark
     */
    void setRecentActive(boolean recentActive) {
        this.recentActive = recentActive;
    }

    /**
     * Whether sending MsgApps to the follower is paused until it answers.
     *
     * @return true if paused
     */
    public boolean msgAppFlowPaused() {
        return msgAppFlowPaused;
    }

    /**
     * Pauses or resumes the MsgApp flow.
     *
     * @param msgAppFlowPaused true to pause
     */
    void setMsgAppFlowPaused(boolean msgAppFlowPaused) {
        this.msgAppFlowPaused = msgAppFlowPaused;
    }

    /**
     * The window of append messages in flight to the follower.
     *
     * @return the window
     */
    public Inflights inflights() {
        return inflights;
    }

    /**
     * Replaces the in-flight window.
     *
     * @param inflights the window, or null in a copy that leaves it out
     */
    void setInflights(Inflights inflights) {
        this.inflights = inflights;
    }

    /**
     * Whether the follower is a learner.
     *
     * @return true for a learner
     */
    public boolean isLearner() {
        return isLearner;
    }

    /**
     * Marks the follower as a learner or a voter.
     *
     * @param isLearner true for a learner
     */
    void setIsLearner(boolean isLearner) {
        this.isLearner = isLearner;
    }

    /**
     * The highest commit index sent to the follower so far.
     *
     * @return the highest commit index sent
     */
    public long sentCommit() {
        return sentCommit;
    }

    /**
     * Records that a message carrying this commit index was sent (Go's SentCommit).
     *
     * @param commit the commit index sent
     */
    public void sentCommit(long commit) {
        this.sentCommit = commit;
    }

    /**
     * Enters the given state with the flow unpaused, no pending snapshot and an empty window.
     *
     * @param state the state to enter
     */
    public void resetState(ProgressState state) {
        msgAppFlowPaused = false;
        pendingSnapshot = 0;
        this.state = state;
        inflights.reset();
    }

    /**
     * Starts probing from match+1, or from just after the pending snapshot if one was being sent
     * (a snapshot that was reported as delivered is a better starting point).
     */
    public void becomeProbe() {
        if (state == ProgressState.StateSnapshot) {
            long pending = pendingSnapshot;
            resetState(ProgressState.StateProbe);
            next = Math.max(match + 1, pending + 1);
        } else {
            resetState(ProgressState.StateProbe);
            next = match + 1;
        }
        sentCommit = Math.min(sentCommit, next - 1);
    }

    /** Starts streaming entries from match+1. */
    public void becomeReplicate() {
        resetState(ProgressState.StateReplicate);
        next = match + 1;
    }

    /**
     * Waits for a snapshot at the given index to reach the follower.
     *
     * @param snapshotIndex the snapshot's index
     */
    public void becomeSnapshot(long snapshotIndex) {
        resetState(ProgressState.StateSnapshot);
        pendingSnapshot = snapshotIndex;
        next = snapshotIndex + 1;
        sentCommit = snapshotIndex;
    }

    /**
     * Accounts for a MsgApp carrying the given number of entries (and payload bytes) from
     * {@code next} on. Only valid in StateProbe and StateReplicate.
     *
     * @param entries how many entries the message carries
     * @param bytes their payload size
     */
    public void sentEntries(int entries, long bytes) {
        switch (state) {
            case StateReplicate -> {
                if (entries > 0) {
                    next += entries;
                    inflights.add(next - 1, bytes);
                }
                // A message that fills the window (or was sent into a full one) counts as a probe.
                msgAppFlowPaused = inflights.full();
            }
            case StateProbe -> {
                // Only non-empty appends pause the flow, as in etcd (which notes it could be unconditional).
                if (entries > 0) {
                    msgAppFlowPaused = true;
                }
            }
            default -> throw new RaftPanicException("sending append in unhandled state " + state);
        }
    }

    /**
     * Whether sending this commit index could still move the follower's commit index forward.
     *
     * @param index the commit index to send
     * @return true if it could
     */
    public boolean canBumpCommit(long index) {
        // The follower's commit can reach at most next-1 from what has been sent; stop once that was sent.
        return Long.compareUnsigned(index, sentCommit) > 0 && Long.compareUnsigned(sentCommit, next - 1) < 0;
    }

    /**
     * Handles the follower acknowledging index n in a MsgAppResp. Returns false if the
     * acknowledgement is stale (n not above match); otherwise moves match (and next if needed)
     * and unpauses the flow.
     *
     * @param n the index acknowledged
     * @return false if the acknowledgement is stale
     */
    public boolean maybeUpdate(long n) {
        if (n <= match) {
            return false;
        }
        match = n;
        next = Math.max(next, n + 1);
        msgAppFlowPaused = false;
        return true;
    }

    /**
     * Handles a MsgApp rejection for index rejected, with the follower's hint matchHint. Returns
     * false, changing nothing, when the rejection is stale (duplicated or reordered); otherwise
     * lowers next and unpauses the flow.
     *
     * @param rejected the index the follower rejected
     * @param matchHint the follower's hint of its last matching index
     * @return false if the rejection is stale
     */
    public boolean maybeDecrTo(long rejected, long matchHint) {
        if (state == ProgressState.StateReplicate) {
            // Rejections at or below match are stale.
            if (rejected <= match) {
                return false;
            }
            next = match + 1;
            sentCommit = Math.min(sentCommit, next - 1);
            return true;
        }
        // A probing leader sends one append at a time, at next-1; a rejection of any other index is stale.
        if (next - 1 != rejected) {
            return false;
        }
        next = Math.max(Math.min(rejected, matchHint + 1), match + 1);
        sentCommit = Math.min(sentCommit, next - 1);
        msgAppFlowPaused = false;
        return true;
    }

    /**
     * Whether appends to this follower are throttled: it is waiting for a snapshot, or the flow
     * is paused (probing, or a full in-flight window).
     *
     * @return true if throttled
     */
    public boolean isPaused() {
        return switch (state) {
            case StateProbe, StateReplicate -> msgAppFlowPaused;
            case StateSnapshot -> true;
        };
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(state)
                .append(" match=")
                .append(Long.toUnsignedString(match))
                .append(" next=")
                .append(Long.toUnsignedString(next));
        if (isLearner) {
            sb.append(" learner");
        }
        if (isPaused()) {
            sb.append(" paused");
        }
        if (pendingSnapshot > 0) {
            sb.append(" pendingSnap=").append(Long.toUnsignedString(pendingSnapshot));
        }
        if (!recentActive) {
            sb.append(" inactive");
        }
        int n = inflights.count();
        if (n > 0) {
            sb.append(" inflight=").append(n);
            if (inflights.full()) {
                sb.append("[full]");
            }
        }
        return sb.toString();
    }
}
