package org.raftexample.raft.confchange;

import java.util.TreeMap;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.ProgressMap;

/** Every observable field of a progress map, for comparing two maps in tests. */
final class ProgressDump {
    private ProgressDump() {}

    static String of(ProgressMap m) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(m)
                .forEach((id, pr) -> sb.append(id).append(": ").append(of(pr)).append('\n'));
        return sb.toString();
    }

    static String of(Progress pr) {
        return "match=" + pr.match() + " next=" + pr.next() + " sentCommit=" + pr.sentCommit()
                + " state=" + pr.state() + " pendingSnapshot=" + pr.pendingSnapshot()
                + " recentActive=" + pr.recentActive() + " msgAppFlowPaused=" + pr.msgAppFlowPaused()
                + " isLearner=" + pr.isLearner() + " inflight=" + pr.inflights().count()
                + " full=" + pr.inflights().full();
    }
}
