package org.raftexample.raft.quorum;

import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Two majority configurations that must both agree: the incoming one (Go's {@code Voters[0]})
 * and the outgoing one (Go's {@code Voters[1]}), which is empty unless a joint-consensus
 * configuration change is in progress. Both halves are mutable and never null; Go's nil half is an
 * empty set here.
 */
public final class JointConfig {
    private final MajorityConfig incoming;
    private final MajorityConfig outgoing;

    /** A configuration with two empty halves. */
    public JointConfig() {
        this(new MajorityConfig(), new MajorityConfig());
    }

    /**
     * Uses the given sets themselves (not copies), like Go's {@code JointConfig{c, cj}}.
     *
     * @param incoming the voters of the new configuration
     * @param outgoing the voters of the old one (empty when not joint)
     */
    public JointConfig(MajorityConfig incoming, MajorityConfig outgoing) {
        this.incoming = Objects.requireNonNull(incoming);
        this.outgoing = Objects.requireNonNull(outgoing);
    }

    /**
     * The voters of the new configuration.
     *
     * @return the incoming half
     */
    public MajorityConfig incoming() {
        return incoming;
    }

    /**
     * The voters of the old configuration; empty when the configuration is not joint.
     *
     * @return the outgoing half
     */
    public MajorityConfig outgoing() {
        return outgoing;
    }

    /**
     * A deep copy sharing no set with this one.
     *
     * @return the copy
     */
    public JointConfig copy() {
        return new JointConfig(new MajorityConfig(incoming), new MajorityConfig(outgoing));
    }

    /**
     * A new set of every voter in either half.
     *
     * @return the ids
     */
    public Set<Long> ids() {
        Set<Long> m = new HashSet<>(incoming);
        m.addAll(outgoing);
        return m;
    }

    /**
     * The acknowledgement picture of {@link MajorityConfig#describe} over the voters of both halves.
     *
     * @param l the acknowledged index of each voter
     * @return the picture
     */
    public String describe(AckedIndexer l) {
        return new MajorityConfig(ids()).describe(l);
    }

    /**
     * The highest index committed in both halves.
     *
     * @param l the acknowledged index of each voter
     * @return the committed index
     */
    public long committedIndex(AckedIndexer l) {
        return Math.min(incoming.committedIndex(l), outgoing.committedIndex(l));
    }

    /**
     * Won only if both halves won; lost if either lost; pending otherwise.
     *
     * @param votes the votes received, true for yes
     * @return the outcome
     */
    public VoteResult voteResult(Map<Long, Boolean> votes) {
        VoteResult r1 = incoming.voteResult(votes);
        VoteResult r2 = outgoing.voteResult(votes);
        if (r1 == r2) {
            return r1;
        }
        if (r1 == VoteResult.VoteLost || r2 == VoteResult.VoteLost) {
            return VoteResult.VoteLost;
        }
        return VoteResult.VotePending;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JointConfig j && incoming.equals(j.incoming) && outgoing.equals(j.outgoing);
    }

    @Override
    public int hashCode() {
        return Objects.hash(incoming, outgoing);
    }

    /** {@code (1 2 3)}, or {@code (1 2 3)&&(1 2)} while the outgoing half is non-empty. */
    @Override
    public String toString() {
        if (!outgoing.isEmpty()) {
            return incoming + "&&" + outgoing;
        }
        return incoming.toString();
    }
}
