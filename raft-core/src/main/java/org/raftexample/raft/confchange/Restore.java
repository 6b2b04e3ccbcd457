package org.raftexample.raft.confchange;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.raftexample.raft.tracker.ProgressTracker;
import org.raftexample.raftpb.ConfChangeSingle;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.ConfState;

/** Rebuilds a configuration from a ConfState (after a restart or from a snapshot). */
public final class Restore {
    private Restore() {}

    /** The operations that rebuild a ConfState from an empty configuration. */
    record Ops(List<ConfChangeSingle> outgoing, List<ConfChangeSingle> incoming) {}

    /**
     * Splits a ConfState into operations: {@code outgoing} adds the outgoing voters one by one
     * (a plain config), then {@code incoming}, applied while entering the joint state, removes
     * them again and adds the incoming voters, the learners and the staged learners.
     *
     * <p>For voters=(1 2 3) learners=(5) outgoing=(1 2 4 6) learners_next=(4): outgoing is
     * v1 v2 v4 v6 and incoming is r1 r2 r4 r6 v1 v2 v3 l5 l4, giving (1 2 3)&&(1 2 4 6)
     * learners=(5) learners_next=(4). (Whether 5 was a learner before is unknown and irrelevant.)
     */
    static Ops toConfChangeSingle(ConfState cs) {
        List<ConfChangeSingle> out = new ArrayList<>();
        List<ConfChangeSingle> in = new ArrayList<>();
        for (long id : cs.getVotersOutgoingList()) {
            out.add(single(ConfChangeType.ConfChangeAddNode, id));
        }
        for (long id : cs.getVotersOutgoingList()) {
            in.add(single(ConfChangeType.ConfChangeRemoveNode, id));
        }
        for (long id : cs.getVotersList()) {
            in.add(single(ConfChangeType.ConfChangeAddNode, id));
        }
        for (long id : cs.getLearnersList()) {
            in.add(single(ConfChangeType.ConfChangeAddLearnerNode, id));
        }
        // Staged learners are outgoing voters; adding them as learners while joint stages them again.
        for (long id : cs.getLearnersNextList()) {
            in.add(single(ConfChangeType.ConfChangeAddLearnerNode, id));
        }
        return new Ops(out, in);
    }

    private static ConfChangeSingle single(ConfChangeType type, long id) {
        return ConfChangeSingle.newBuilder().setType(type).setNodeId(id).build();
    }

    /**
     * Runs the changes that enact cs on top of chg's configuration, which must be empty, and
     * returns the result. chg's tracker is not modified. Throws like the {@link Changer} methods.
     *
     * @param chg a changer over an empty configuration
     * @param cs the configuration to restore
     * @return the configuration and progress enacting cs
     */
    public static ConfigAndProgress restore(Changer chg, ConfState cs) {
        Ops ops = toConfChangeSingle(cs);
        List<Function<Changer, ConfigAndProgress>> steps = new ArrayList<>();
        if (ops.outgoing().isEmpty()) {
            for (ConfChangeSingle cc : ops.incoming()) {
                steps.add(c -> c.simple(cc));
            }
        } else {
            // Joint: build the outgoing config as the active one, then enter the joint state,
            // which moves it to the outgoing half and applies the incoming operations.
            for (ConfChangeSingle cc : ops.outgoing()) {
                steps.add(c -> c.simple(cc));
            }
            steps.add(c -> c.enterJoint(cs.getAutoLeave(), ops.incoming()));
        }
        return chain(chg, steps);
    }

    /** Applies the steps in turn, each on top of the previous result, on a private tracker. */
    private static ConfigAndProgress chain(Changer chg, List<Function<Changer, ConfigAndProgress>> steps) {
        ProgressTracker orig = chg.tracker();
        ProgressTracker trk = new ProgressTracker(orig.maxInflight(), orig.maxInflightBytes());
        trk.setConfig(orig.config());
        trk.setProgress(orig.progress());
        Changer c = new Changer(trk, chg.lastIndex());
        for (Function<Changer, ConfigAndProgress> step : steps) {
            ConfigAndProgress r = step.apply(c);
            trk.setConfig(r.config());
            trk.setProgress(r.progress());
        }
        return new ConfigAndProgress(trk.config(), trk.progress());
    }
}
