package org.raftexample.kvstore;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;
import org.raftexample.raft.StateType;
import org.raftexample.raft.Status;
import org.raftexample.raft.quorum.MajorityConfig;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.server.PublishedStatus;

/**
 * Whether a node is fit to serve (etcd's {@code /health}): its raft loop turns, it knows a leader,
 * that leader is in contact with a quorum, and it has applied close to everything committed.
 *
 * @param healthy whether all four hold
 * @param reason  why not (empty when healthy): one of the texts below, with detail
 */
record Health(boolean healthy, String reason) {

    /**
     * The raft loop has not published raft's status for longer than an election timeout: it is held
     * up, by a WAL fsync on a stalled disk or a wait for the apply loop; it neither sends heartbeats nor
     * commits meanwhile.
     */
    static final String LOOP_STALLED = "RAFT LOOP STALLED";
    /** No leader is known: an election is under way, or this node is cut off from a quorum. */
    static final String NO_LEADER = "RAFT NO LEADER";
    /** This node leads but is in contact with fewer than a quorum of voters (raft's activity or a live connection). */
    static final String NO_QUORUM = "RAFT NO QUORUM";
    /** This node's state machine is behind the commit index by more than the bound. */
    static final String APPLY_BEHIND = "APPLY BEHIND";

    static Health of(NodeView node) {
        PublishedStatus published = node.publishedStatus();
        Duration age = published.age();
        Duration bound = node.maxRaftStatusAge();
        if (age.compareTo(bound) > 0) {
            return new Health(
                    false,
                    LOOP_STALLED + ": raft's status was last published " + age.toMillis() + " ms ago (bound "
                            + bound.toMillis() + " ms)");
        }
        long applied = node.appliedIndex(); // before the commit index, which is never below it
        return of(published.status(), node.committedIndex(), applied, node.maxApplyLag(), node::peerActive);
    }

    /**
     * The health of a node whose raft status is {@code st}, which knows entries up to {@code commit} to
     * be committed and has applied up to {@code applied}.
     * A follower that knows a leader trusts it to have a quorum: with CheckQuorum on, a leader that
     * loses its quorum steps down within two election timeouts (it checks once per election timeout, as
     * etcd's) and stops sending heartbeats, and its
     * followers then forget it within another. {@code peerActive} says whether the transport is in
     * contact with a member: raft's own flag is cleared at every quorum check and set again by the
     * next answer, so alone it would make a healthy leader look cut off for a moment each time.
     */
    static Health of(Status st, long commit, long applied, long maxApplyLag, LongPredicate peerActive) {
        if (st.lead() == 0) {
            return new Health(false, NO_LEADER);
        }
        if (st.raftState() == StateType.StateLeader) {
            String quorum = quorumProblem(st, peerActive);
            if (quorum != null) {
                return new Health(false, NO_QUORUM + ": " + quorum);
            }
        }
        long lag = commit - applied;
        if (lag > maxApplyLag) {
            return new Health(
                    false,
                    APPLY_BEHIND + ": applied index " + applied + " is " + lag + " entries behind commit index "
                            + commit + " (bound " + maxApplyLag + ")");
        }
        return new Health(true, "");
    }

    /** On a leader: null when a quorum of each voter set was recently active, else what is missing. */
    private static String quorumProblem(Status st, LongPredicate peerActive) {
        Set<Long> active = new HashSet<>();
        for (Map.Entry<Long, Progress> e : st.progress().entrySet()) {
            if (e.getKey() == st.id() || e.getValue().recentActive() || peerActive.test(e.getKey())) {
                active.add(e.getKey());
            }
        }
        for (MajorityConfig voters : new MajorityConfig[] {
            st.config().voters().incoming(), st.config().voters().outgoing()
        }) {
            if (voters.isEmpty()) {
                continue;
            }
            long reached = voters.stream().filter(active::contains).count();
            if (reached < voters.size() / 2 + 1) {
                return "in contact with " + reached + " of " + voters.size() + " voters";
            }
        }
        return null;
    }
}
