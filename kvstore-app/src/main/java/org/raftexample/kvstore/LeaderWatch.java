package org.raftexample.kvstore;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.raftexample.raft.SoftState;
import org.raftexample.raft.StateType;
import org.raftexample.raftpb.HardState;

/**
 * Follows who leads, as the raft loop reports it, so that clients hear at once why a request cannot be
 * served instead of waiting out the request timeout: counts leader changes, knows how long this node
 * has been without a leader and why, and tells {@code onLeaderLost} when requests still waiting
 * should give up: the leader they went to is gone (a proposal forwarded to it, or appended by it
 * and not yet replicated, may be lost, and nobody would ever answer for it), or this node has had
 * no leader for two election timeouts.
 *
 * <p>Written by the raft loop thread ({@link #stateChanged}) and by its own timer; read by HTTP
 * threads. All state is guarded by {@code this}.
 */
final class LeaderWatch {

    static final String NO_LEADER_YET = "no leader known yet (an election is under way)";
    static final String NO_LEADER = "no leader known: no election has succeeded for two election timeouts "
            + "(this node may be cut off from a quorum)";
    static final String LOST_QUORUM = "this node was the leader and lost its quorum (stepped down)";
    static final String LEADER_CHANGED =
            "the leader changed while the request was in flight; it may or may not " + "have taken effect: retry";

    private final long patienceNanos;
    private final ScheduledExecutorService timer;
    private final Runnable leaderChanged;
    private final Consumer<String> onLeaderLost;
    private final LongSupplier clock;

    private long lead;
    private StateType state = StateType.StateFollower;
    private long term;
    private boolean everHadLeader;
    private long leaderlessSince;
    private String reason = NO_LEADER_YET;

    /**
     * @param leaderChanged called (on the raft loop) each time a new leader becomes known
     * @param onLeaderLost  called with the reason when waiting requests should fail now
     */
    LeaderWatch(
            Duration electionTimeout,
            ScheduledExecutorService timer,
            Runnable leaderChanged,
            Consumer<String> onLeaderLost,
            LongSupplier clock) {
        // Raft's randomized election timeout lies in [ET, 2 ET): without a leader for 2 ET, at least
        // one election round has failed, so a leader is not about to appear.
        this.patienceNanos = 2 * electionTimeout.toNanos();
        this.timer = timer;
        this.leaderChanged = leaderChanged;
        this.onLeaderLost = onLeaderLost;
        this.clock = clock;
        this.leaderlessSince = clock.getAsLong();
    }

    /** Called by the raft loop for every Ready that changed the soft or the hard state. */
    void stateChanged(SoftState soft, HardState hard) {
        String failNow = null;
        boolean newLeader = false;
        synchronized (this) {
            long oldTerm = term;
            if (hard != null && hard.getTerm() != 0) {
                term = hard.getTerm();
            }
            if (soft == null) {
                return;
            }
            boolean wasLeader = state == StateType.StateLeader;
            state = soft.raftState();
            if (soft.lead() == lead) {
                return;
            }
            long oldLead = lead;
            lead = soft.lead();
            if (oldLead != 0) {
                failNow = LEADER_CHANGED;
            }
            if (lead != 0) {
                newLeader = true;
                everHadLeader = true;
                leaderlessSince = -1;
            } else {
                long now = clock.getAsLong();
                leaderlessSince = now;
                // A leader that steps down in its own term did so by CheckQuorum (its peers are
                // unreachable); otherwise a higher term was seen: an election or a transfer.
                if (wasLeader && term == oldTerm && state == StateType.StateFollower) {
                    reason = LOST_QUORUM;
                    failNow = reason;
                } else {
                    reason = everHadLeader ? NO_LEADER : NO_LEADER_YET;
                }
                scheduleCheck(now);
            }
        }
        if (newLeader) {
            leaderChanged.run();
        }
        if (failNow != null) {
            onLeaderLost.accept(failNow);
        }
    }

    private void scheduleCheck(long since) {
        timer.schedule(
                () -> {
                    String fail;
                    synchronized (this) {
                        fail = lead == 0 && leaderlessSince == since ? reason : null;
                    }
                    if (fail != null) {
                        onLeaderLost.accept(fail);
                    }
                },
                patienceNanos,
                TimeUnit.NANOSECONDS);
    }

    /**
     * Why a new request should be refused at once, if it should: this node was the leader and stepped
     * down because it lost contact with a quorum (it has just found that it cannot reach a majority, so
     * no request through it can commit until that changes), or it lost its leader two election
     * timeouts ago or more, so a leader is not about to appear. A node that has not seen a leader since
     * it started lets requests wait (up to their deadline) for the first one.
     */
    synchronized Optional<String> refuseNow() {
        if (lead != 0 || !everHadLeader) {
            return Optional.empty();
        }
        if (reason.equals(LOST_QUORUM) || clock.getAsLong() - leaderlessSince >= patienceNanos) {
            return Optional.of(reason);
        }
        return Optional.empty();
    }

    /** Why a request that timed out did: no leader (and why), or a leader that did not commit in time. */
    synchronized String whyTimedOut() {
        return lead == 0
                ? reason
                : "timed out waiting for commit (leader " + Long.toUnsignedString(lead)
                        + " did not commit the request in time; it may still take effect)";
    }

    /** The leader this node knows, 0 if none. */
    synchronized long lead() {
        return lead;
    }
}
