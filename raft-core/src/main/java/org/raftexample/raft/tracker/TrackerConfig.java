package org.raftexample.raft.tracker;

import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import org.raftexample.raft.quorum.JointConfig;
import org.raftexample.raft.quorum.MajorityConfig;

/**
 * The active membership: the (possibly joint) voter configuration and the learners.
 *
 * <p>Learners never overlap the voters of either half. Demoting a voter during a joint change
 * therefore cannot add it to the learners while it is still an outgoing voter; it is staged in
 * {@code learnersNext} and becomes a learner when the joint configuration is left. (A learner
 * that is not an outgoing voter is added to the learners at once, so it starts catching up.)
 *
 * <p>All sets are mutable and never null; Go's nil maps are empty sets here, which print the same
 * since Go keeps its maps nil whenever they are empty.
 */
public final class TrackerConfig {
    private final JointConfig voters;
    // True if the joint configuration should be left automatically once possible.
    private boolean autoLeave;
    private final Set<Long> learners;
    private final Set<Long> learnersNext;

    /** An empty configuration: no voters, no learners. */
    public TrackerConfig() {
        this(new JointConfig(), false, new HashSet<>(), new HashSet<>());
    }

    /**
     * Uses the given sets themselves, not copies.
     *
     * @param voters the voters, possibly joint
     * @param autoLeave whether raft leaves the joint configuration by itself
     * @param learners the learners
     * @param learnersNext the voters that become learners when the joint configuration is left
     */
    public TrackerConfig(JointConfig voters, boolean autoLeave, Set<Long> learners, Set<Long> learnersNext) {
        this.voters = Objects.requireNonNull(voters);
        this.autoLeave = autoLeave;
        this.learners = Objects.requireNonNull(learners);
        this.learnersNext = Objects.requireNonNull(learnersNext);
    }

    /**
     * The voters, in one half or two (joint).
     *
     * @return the voters
     */
    public JointConfig voters() {
        return voters;
    }

    /**
     * Whether raft leaves the joint configuration by itself once it is committed.
     *
     * @return the auto-leave flag
     */
    public boolean autoLeave() {
        return autoLeave;
    }

    /**
     * Sets the auto-leave flag (the changer).
     *
     * @param autoLeave the flag
     */
    public void setAutoLeave(boolean autoLeave) {
        this.autoLeave = autoLeave;
    }

    /**
     * The learners: they receive the log but do not vote.
     *
     * @return the learner ids
     */
    public Set<Long> learners() {
        return learners;
    }

    /**
     * Voters of the outgoing half that become learners when the joint configuration is left.
     *
     * @return the ids
     */
    public Set<Long> learnersNext() {
        return learnersNext;
    }

    /**
     * A copy sharing no memory with this one. As in etcd (Config.Clone), autoLeave is not
     * carried over: the copy has it false.
     */
    @Override
    public TrackerConfig clone() {
        return new TrackerConfig(voters.copy(), false, new HashSet<>(learners), new HashSet<>(learnersNext));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrackerConfig c
                && autoLeave == c.autoLeave
                && voters.equals(c.voters)
                && learners.equals(c.learners)
                && learnersNext.equals(c.learnersNext);
    }

    @Override
    public int hashCode() {
        return Objects.hash(voters, autoLeave, learners, learnersNext);
    }

    /** E.g. {@code voters=(1 2)&&(1) learners=(3) learners_next=(4) autoleave}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("voters=").append(voters);
        if (!learners.isEmpty()) {
            sb.append(" learners=").append(MajorityConfig.format(learners));
        }
        if (!learnersNext.isEmpty()) {
            sb.append(" learners_next=").append(MajorityConfig.format(learnersNext));
        }
        if (autoLeave) {
            sb.append(" autoleave");
        }
        return sb.toString();
    }
}
