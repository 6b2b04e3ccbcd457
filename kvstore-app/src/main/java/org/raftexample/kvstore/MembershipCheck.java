package org.raftexample.kvstore;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.raftexample.raft.tracker.TrackerConfig;

/**
 * Notices, once at start, a data directory whose recorded membership does not fit the command line:
 * typically a WAL left by one walk-through (a three-node cluster) reused by another (a single node),
 * which then never elects a leader and answers every request 503 with no hint why.
 */
final class MembershipCheck {

    private MembershipCheck() {}

    /**
     * What is wrong, in words that say what to do, or empty when the membership is reachable.
     *
     * @param cfg       the membership raft recorded (after replaying the log)
     * @param peerUrls  every peer URL this node knows, by id (--cluster and members added later)
     * @param self      this node's id
     * @param join      whether the node was started with --join
     */
    static Optional<String> problem(
            TrackerConfig cfg,
            Map<Long, String> peerUrls,
            int clusterFlagSize,
            long self,
            boolean join,
            String walDir,
            String snapDir) {
        Set<Long> members = new TreeSet<>(Long::compareUnsigned);
        members.addAll(cfg.voters().incoming());
        members.addAll(cfg.voters().outgoing());
        members.addAll(cfg.learners());
        members.addAll(cfg.learnersNext());
        if (members.isEmpty()) {
            // A node started with --join has no configuration until the leader sends it one.
            return Optional.empty();
        }
        Set<Long> unreachable = new TreeSet<>(Long::compareUnsigned);
        for (long id : members) {
            if (id != self && !peerUrls.containsKey(id)) {
                unreachable.add(id);
            }
        }
        String fix = "If it is left over from another cluster, stop this node and delete " + walDir + " and "
                + snapDir + " (or give another --data-dir) to start afresh; to run with that cluster, give "
                + "its full --cluster.";
        if (!unreachable.isEmpty()) {
            return Optional.of("the data in " + walDir + " records members " + ids(members) + ", but --cluster ("
                    + clusterFlagSize + " peer URL(s)) has no URL for " + ids(unreachable)
                    + ": this node cannot reach them"
                    + (quorumUnreachable(cfg, unreachable)
                            ? ", so no leader can ever be elected and every request will answer 503. "
                            : ". ")
                    + fix);
        }
        if (!join && !members.contains(self)) {
            return Optional.of("the data in " + walDir + " records members " + ids(members)
                    + ", which do not include this node (" + Long.toUnsignedString(self) + "). " + fix);
        }
        Set<Long> notMembers = new TreeSet<>(Long::compareUnsigned);
        for (long id = 1; id <= clusterFlagSize; id++) {
            if (!members.contains(id)) {
                notMembers.add(id);
            }
        }
        if (!join && !notMembers.isEmpty()) {
            return Optional.of("--cluster lists " + clusterFlagSize + " peers, but the data in " + walDir
                    + " records members " + ids(members) + " only: " + ids(notMembers)
                    + " will not be part of this cluster (add them with POST /<id>, then start them with --join). "
                    + fix);
        }
        return Optional.empty();
    }

    /** Whether the members without a URL are enough to deny the rest a majority. */
    private static boolean quorumUnreachable(TrackerConfig cfg, Set<Long> unreachable) {
        long voters = cfg.voters().incoming().size();
        long lost =
                cfg.voters().incoming().stream().filter(unreachable::contains).count();
        return voters - lost < voters / 2 + 1;
    }

    private static String ids(Set<Long> ids) {
        return ids.stream().map(Long::toUnsignedString).collect(Collectors.joining(", "));
    }
}
