package org.raftexample.kvstore;

import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.raftexample.raft.BasicStatus;
import org.raftexample.raft.SoftState;
import org.raftexample.raft.StateType;
import org.raftexample.raft.Status;
import org.raftexample.raft.quorum.JointConfig;
import org.raftexample.raft.quorum.MajorityConfig;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.ProgressFixtures;
import org.raftexample.raft.tracker.TrackerConfig;
import org.raftexample.raftpb.HardState;
import org.raftexample.server.PublishedStatus;

/** A {@link NodeView} whose every answer a test sets (volatile fields: read by HTTP threads). */
final class FakeNodeView implements NodeView {
    volatile long id = 1;
    volatile long lead;
    volatile StateType state = StateType.StateFollower;
    volatile long term = 2;
    volatile long commit = 10;
    volatile long applied = 10;
    volatile long snapshotIndex = 4;
    volatile long walBytes = 4096;
    volatile long keys = 3;
    volatile long maxApplyLag = 100;
    volatile long entriesSkipped;
    volatile long storeBytes = 1000;
    volatile long quotaBytes;
    volatile long proposalsFiltered;
    volatile long readIndexRounds;
    volatile Duration statusAge = Duration.ofMillis(20);
    volatile Set<Long> voters = Set.of(1L, 2L, 3L);
    volatile Set<Long> learners = Set.of();
    /** On a leader: each follower's match index and raft's recentActive flag. */
    volatile Map<Long, Long> match = new LinkedHashMap<>();

    volatile Set<Long> raftActive = new HashSet<>();
    volatile Set<Long> connected = new HashSet<>();
    volatile Map<Long, String> urls = new TreeMap<>(
            Map.of(1L, "http://127.0.0.1:12379", 2L, "http://127.0.0.1:22379", 3L, "http://127.0.0.1:32379"));

    /** Makes this node the leader of term {@code t}, every follower caught up and in contact. */
    FakeNodeView leader(long t) {
        state = StateType.StateLeader;
        lead = id;
        term = t;
        Map<Long, Long> m = new LinkedHashMap<>();
        for (long v : voters) {
            m.put(v, commit);
        }
        match = m;
        raftActive = new HashSet<>(voters);
        connected = new HashSet<>(voters);
        return this;
    }

    FakeNodeView follower(long leader) {
        state = StateType.StateFollower;
        lead = leader;
        match = new LinkedHashMap<>();
        return this;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public long clusterId() {
        return 0x1000;
    }

    /**
     * When set, publishedStatus waits for it, as a view's call may wait (the real walBytes lists the WAL
     * directory, which a stalled disk holds up).
     */
    volatile java.util.concurrent.CountDownLatch statusGate;
    /** Counted down by every publishedStatus call that found a gate set. */
    final java.util.concurrent.CountDownLatch statusWaiting = new java.util.concurrent.CountDownLatch(1);

    @Override
    public Duration maxRaftStatusAge() {
        return Duration.ofSeconds(1);
    }

    @Override
    public PublishedStatus publishedStatus() {
        java.util.concurrent.CountDownLatch gate = statusGate;
        if (gate != null) {
            statusWaiting.countDown();
            try {
                gate.await(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        HardState hs = HardState.newBuilder()
                .setTerm(term)
                .setVote(lead)
                .setCommit(commit)
                .build();
        BasicStatus basic = new BasicStatus(id, hs, new SoftState(lead, state), applied, 0);
        TrackerConfig cfg = new TrackerConfig(
                new JointConfig(new MajorityConfig(voters), new MajorityConfig()),
                false,
                new HashSet<>(learners),
                new HashSet<>());
        Map<Long, Progress> progress = new TreeMap<>(Long::compareUnsigned);
        if (state == StateType.StateLeader) {
            for (Map.Entry<Long, Long> e : match.entrySet()) {
                Progress p = new Progress();
                ProgressFixtures.setMatch(p, e.getValue());
                ProgressFixtures.setNext(p, e.getValue() + 1);
                ProgressFixtures.setState(p, org.raftexample.raft.tracker.ProgressState.StateReplicate);
                ProgressFixtures.setRecentActive(p, raftActive.contains(e.getKey()));
                ProgressFixtures.setIsLearner(p, learners.contains(e.getKey()));
                progress.put(e.getKey(), p);
            }
        }
        return new PublishedStatus(new Status(basic, cfg, progress), System.nanoTime() - statusAge.toNanos());
    }

    @Override
    public long committedIndex() {
        return commit;
    }

    @Override
    public long appliedIndex() {
        return applied;
    }

    @Override
    public long snapshotIndex() {
        return snapshotIndex;
    }

    @Override
    public long walBytes() {
        return walBytes;
    }

    @Override
    public long keyCount() {
        return keys;
    }

    @Override
    public long entriesSkipped() {
        return entriesSkipped;
    }

    @Override
    public long proposalsFiltered() {
        return proposalsFiltered;
    }

    @Override
    public long readIndexRounds() {
        return readIndexRounds;
    }

    @Override
    public Map<Long, String> peerUrls() {
        return urls;
    }

    @Override
    public boolean peerActive(long peer) {
        return connected.contains(peer);
    }

    @Override
    public long maxApplyLag() {
        return maxApplyLag;
    }

    @Override
    public long storeBytes() {
        return storeBytes;
    }

    @Override
    public long quotaBytes() {
        return quotaBytes;
    }
}
