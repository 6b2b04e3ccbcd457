package org.raftexample.raft.confchange;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.raftexample.raft.quorum.MajorityConfig;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.ProgressMap;
import org.raftexample.raft.tracker.ProgressTracker;
import org.raftexample.raft.tracker.TrackerConfig;
import org.raftexample.raftpb.ConfChangeSingle;

/**
 * Computes the configuration (and progress map) that results from a configuration change, and
 * refuses invalid changes before they touch the active configuration.
 *
 * <p>The tracker is never modified: each method works on a copy and returns the result, which
 * the caller installs. A refused change throws IllegalArgumentException; a configuration that
 * breaks the changer's invariants (before or after the change) throws IllegalStateException.
 * Messages are etcd's.
 */
public final class Changer {
    private final ProgressTracker tracker;
    private long lastIndex;

    /**
     * Changes on top of tracker's configuration; new peers start probing at lastIndex.
     *
     * @param tracker the tracker whose configuration is the starting point (not modified)
     * @param lastIndex the leader's last index
     */
    public Changer(ProgressTracker tracker, long lastIndex) {
        this.tracker = tracker;
        this.lastIndex = lastIndex;
    }

    /**
     * The tracker whose configuration the changes start from.
     *
     * @return the tracker
     */
    public ProgressTracker tracker() {
        return tracker;
    }

    /**
     * The index new peers start probing at.
     *
     * @return the last index
     */
    public long lastIndex() {
        return lastIndex;
    }

    /**
     * Moves the index new peers start probing at.
     *
     * @param lastIndex the leader's last index
     */
    public void setLastIndex(long lastIndex) {
        this.lastIndex = lastIndex;
    }

    /**
     * Enters a joint configuration: the outgoing half becomes a copy of the incoming half, then
     * the changes are applied to the incoming half (Raft thesis section 4.3, C_{old,new}).
     *
     * @param autoLeave whether raft leaves the joint configuration by itself once it is committed
     * @param ccs the changes
     * @return the new configuration and progress
     */
    public ConfigAndProgress enterJoint(boolean autoLeave, List<ConfChangeSingle> ccs) {
        ConfigAndProgress cp = checkAndCopy();
        TrackerConfig cfg = cp.config();
        if (joint(cfg)) {
            throw new IllegalArgumentException("config is already joint");
        }
        if (cfg.voters().incoming().isEmpty()) {
            // An empty config may grow by simple changes (bootstrap, tests) but cannot turn joint.
            throw new IllegalArgumentException("can't make a zero-voter config joint");
        }
        cfg.voters().outgoing().clear();
        cfg.voters().outgoing().addAll(cfg.voters().incoming());
        apply(cfg, cp.progress(), ccs);
        cfg.setAutoLeave(autoLeave);
        return checkAndReturn(cfg, cp.progress());
    }

    /**
     * Same as {@link #enterJoint(boolean, List)}.
     *
     * @param autoLeave whether raft leaves the joint configuration by itself
     * @param ccs the changes
     * @return the new configuration and progress
     */
    public ConfigAndProgress enterJoint(boolean autoLeave, ConfChangeSingle... ccs) {
        return enterJoint(autoLeave, Arrays.asList(ccs));
    }

    /**
     * Leaves the joint configuration: the incoming half decides alone (C_new), staged learners
     * become learners, and peers in neither the incoming half nor the learners stop being tracked.
     *
     * @return the new configuration and progress
     */
    public ConfigAndProgress leaveJoint() {
        ConfigAndProgress cp = checkAndCopy();
        TrackerConfig cfg = cp.config();
        ProgressMap trk = cp.progress();
        if (!joint(cfg)) {
            throw new IllegalArgumentException("can't leave a non-joint config");
        }
        for (long id : cfg.learnersNext()) {
            cfg.learners().add(id);
            tracker.setLearner(trk.get(id), true);
        }
        cfg.learnersNext().clear();
        for (long id : cfg.voters().outgoing()) {
            if (!cfg.voters().incoming().contains(id) && !cfg.learners().contains(id)) {
                trk.remove(id);
            }
        }
        cfg.voters().outgoing().clear();
        cfg.setAutoLeave(false);
        return checkAndReturn(cfg, trk);
    }

    /**
     * Applies changes that together add or remove at most one voter, outside of a joint
     * configuration.
     *
     * @param ccs the changes
     * @return the new configuration and progress
     */
    public ConfigAndProgress simple(List<ConfChangeSingle> ccs) {
        ConfigAndProgress cp = checkAndCopy();
        TrackerConfig cfg = cp.config();
        if (joint(cfg)) {
            throw new IllegalArgumentException("can't apply simple config change in joint config");
        }
        apply(cfg, cp.progress(), ccs);
        if (symdiff(tracker.config().voters().incoming(), cfg.voters().incoming()) > 1) {
            throw new IllegalArgumentException("more than one voter changed without entering joint config");
        }
        return checkAndReturn(cfg, cp.progress());
    }

    /**
     * Same as {@link #simple(List)}.
     *
     * @param ccs the changes
     * @return the new configuration and progress
     */
    public ConfigAndProgress simple(ConfChangeSingle... ccs) {
        return simple(Arrays.asList(ccs));
    }

    /** Applies each change to the incoming half (the outgoing half only ever keeps the old voters). */
    private void apply(TrackerConfig cfg, ProgressMap trk, List<ConfChangeSingle> ccs) {
        for (ConfChangeSingle cc : ccs) {
            long id = cc.getNodeId();
            if (id == 0) {
                // etcd zeroes the node id of a change it decided not to apply.
                continue;
            }
            switch (cc.getType()) {
                case ConfChangeAddNode -> makeVoter(cfg, trk, id);
                case ConfChangeAddLearnerNode -> makeLearner(cfg, trk, id);
                case ConfChangeRemoveNode -> remove(cfg, trk, id);
                case ConfChangeUpdateNode -> {}
                default ->
                    throw new IllegalArgumentException(
                            "unexpected conf type " + cc.getType().getNumber());
            }
        }
        if (cfg.voters().incoming().isEmpty()) {
            throw new IllegalArgumentException("removed all voters");
        }
    }

    /** Adds id as a voter of the incoming half, promoting it if it was a learner. */
    private void makeVoter(TrackerConfig cfg, ProgressMap trk, long id) {
        Progress pr = trk.get(id);
        if (pr == null) {
            initProgress(cfg, trk, id, false);
            return;
        }
        tracker.setLearner(pr, false);
        cfg.learners().remove(id);
        cfg.learnersNext().remove(id);
        cfg.voters().incoming().add(id);
    }

    /**
     * Makes id a learner: at once if it is not an outgoing voter; otherwise it is staged in
     * learnersNext and becomes a learner on leaveJoint, since a peer may not be a voter and a
     * learner at the same time.
     */
    private void makeLearner(TrackerConfig cfg, ProgressMap trk, long id) {
        Progress pr = trk.get(id);
        if (pr == null) {
            initProgress(cfg, trk, id, true);
            return;
        }
        if (pr.isLearner()) {
            return;
        }
        // Drop it as an incoming voter but keep its progress.
        remove(cfg, trk, id);
        trk.put(id, pr);
        if (cfg.voters().outgoing().contains(id)) {
            cfg.learnersNext().add(id);
        } else {
            tracker.setLearner(pr, true);
            cfg.learners().add(id);
        }
    }

    /** Removes id as an incoming voter or learner; its progress stays while it is an outgoing voter. */
    private void remove(TrackerConfig cfg, ProgressMap trk, long id) {
        if (!trk.containsKey(id)) {
            return;
        }
        cfg.voters().incoming().remove(id);
        cfg.learners().remove(id);
        cfg.learnersNext().remove(id);
        if (!cfg.voters().outgoing().contains(id)) {
            trk.remove(id);
        }
    }

    /** Tracks a new voter or learner. */
    private void initProgress(TrackerConfig cfg, ProgressMap trk, long id, boolean isLearner) {
        if (!isLearner) {
            cfg.voters().incoming().add(id);
        } else {
            cfg.learners().add(id);
        }
        // Probing from the last index is optimistic (a new peer likely needs a snapshot), but it
        // keeps match < next and is what etcd does.
        Progress pr = tracker.newProgress(lastIndex, isLearner);
        trk.put(id, pr);
    }

    /**
     * Checks that the configuration and the progress map agree: every member is tracked,
     * learners and voters do not overlap, staged learners are outgoing voters, and a
     * non-joint config has nothing staged and no auto-leave.
     */
    static void checkInvariants(TrackerConfig cfg, ProgressMap trk) {
        // The empty config is allowed on purpose: bootstrap and tests start from it.
        for (Set<Long> ids : List.of(cfg.voters().ids(), cfg.learners(), cfg.learnersNext())) {
            for (long id : sorted(ids)) {
                if (!trk.containsKey(id)) {
                    throw new IllegalStateException("no progress for " + Long.toUnsignedString(id));
                }
            }
        }
        for (long id : sorted(cfg.learnersNext())) {
            if (!cfg.voters().outgoing().contains(id)) {
                throw new IllegalStateException(Long.toUnsignedString(id) + " is in LearnersNext, but not Voters[1]");
            }
            if (trk.get(id).isLearner()) {
                throw new IllegalStateException(
                        Long.toUnsignedString(id) + " is in LearnersNext, but is already marked as learner");
            }
        }
        for (long id : sorted(cfg.learners())) {
            if (cfg.voters().outgoing().contains(id)) {
                throw new IllegalStateException(Long.toUnsignedString(id) + " is in Learners and Voters[1]");
            }
            if (cfg.voters().incoming().contains(id)) {
                throw new IllegalStateException(Long.toUnsignedString(id) + " is in Learners and Voters[0]");
            }
            if (!trk.get(id).isLearner()) {
                throw new IllegalStateException(
                        Long.toUnsignedString(id) + " is in Learners, but is not marked as learner");
            }
        }
        // Go also demands a nil (not just empty) outgoing half here; empty and nil are one state in this port.
        if (!joint(cfg)) {
            if (!cfg.learnersNext().isEmpty()) {
                throw new IllegalStateException("cfg.LearnersNext must be nil when not joint");
            }
            if (cfg.autoLeave()) {
                throw new IllegalStateException("AutoLeave must be false when not joint");
            }
        }
    }

    private static List<Long> sorted(Set<Long> ids) {
        return new MajorityConfig(ids).slice();
    }

    /**
     * Copies the tracker's config and progress, deeply enough for the changer (progress entries
     * are copied, their in-flight windows shared, as only the learner flag is edited), after
     * checking the invariants.
     */
    private ConfigAndProgress checkAndCopy() {
        TrackerConfig cfg = tracker.config().clone();
        ProgressMap trk = new ProgressMap();
        tracker.progress().forEach((id, pr) -> trk.put(id, pr.shallowCopy()));
        return checkAndReturn(cfg, trk);
    }

    private static ConfigAndProgress checkAndReturn(TrackerConfig cfg, ProgressMap trk) {
        checkInvariants(cfg, trk);
        return new ConfigAndProgress(cfg, trk);
    }

    private static boolean joint(TrackerConfig cfg) {
        return !cfg.voters().outgoing().isEmpty();
    }

    /** The number of ids in exactly one of the two sets. */
    private static int symdiff(Set<Long> l, Set<Long> r) {
        int n = 0;
        for (Long id : l) {
            if (!r.contains(id)) {
                n++;
            }
        }
        for (Long id : r) {
            if (!l.contains(id)) {
                n++;
            }
        }
        return n;
    }

    /**
     * The changes as {@code Type(id)} words separated by spaces, e.g. {@code ConfChangeAddNode(2)}.
     *
     * @param ccs the changes
     * @return the text
     */
    public static String describe(List<ConfChangeSingle> ccs) {
        StringBuilder sb = new StringBuilder();
        for (ConfChangeSingle cc : ccs) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(cc.getType())
                    .append('(')
                    .append(Long.toUnsignedString(cc.getNodeId()))
                    .append(')');
        }
        return sb.toString();
    }
}
