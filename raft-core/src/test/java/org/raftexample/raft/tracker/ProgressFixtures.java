package org.raftexample.raft.tracker;

/**
 * Tests of other packages (raft's, the app's fake node) set up a progress field by field, as etcd's
 * tests assign {@code pr.Match} and friends; the setters themselves are package-private.
 */
public final class ProgressFixtures {
    private ProgressFixtures() {}

    public static void setMatch(Progress pr, long match) {
        pr.setMatch(match);
    }

    public static void setNext(Progress pr, long next) {
        pr.setNext(next);
    }

    public static void setState(Progress pr, ProgressState state) {
        pr.setState(state);
    }

    public static void setRecentActive(Progress pr, boolean recentActive) {
        pr.setRecentActive(recentActive);
    }

    public static void setMsgAppFlowPaused(Progress pr, boolean paused) {
        pr.setMsgAppFlowPaused(paused);
    }

    public static void setIsLearner(Progress pr, boolean isLearner) {
        pr.setIsLearner(isLearner);
    }

    public static void setPendingSnapshot(Progress pr, long index) {
        pr.setPendingSnapshot(index);
    }
}
