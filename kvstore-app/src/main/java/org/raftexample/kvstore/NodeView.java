package org.raftexample.kvstore;

import java.time.Duration;
import java.util.Map;
import org.raftexample.raft.Status;
import org.raftexample.server.PublishedStatus;

/**
 * A read-only view of one running node, for the operational endpoints and the metrics: everything an
 * operator asks about (who leads, how far this node has applied, what is on disk, who the members
 * are) without reaching into the glue's internals.
 *
 * <p>Every method may be called from any thread (HTTP threads, the metrics scrape) at any time after
 * the node started; each answer is a consistent value of its own, not a transaction across calls.
 */
interface NodeView {

    /** This node's raft id. */
    long id();

    /** The cluster id the peer transport checks. */
    long clusterId();

    /**
     * Raft's status as the raft loop last published it (at every tick, and at once after a change of
     * role or leader and after a conf change is applied), with when it was taken: state, leader, term,
     * commit; on the leader also every member's progress. Never waits for the raft loop; its age grows
     * while the loop is held up (a WAL fsync on a stalled disk, a wait for the apply loop). Read-only.
     */
    PublishedStatus publishedStatus();

    /** The status of {@link #publishedStatus()} alone. */
    default Status raftStatus() {
        return publishedStatus().status();
    }

    /** The age of {@link #publishedStatus()} past which this node is unhealthy: raft's election timeout. */
    Duration maxRaftStatusAge();

    /**
     * The commit index this node knows, as of its raft loop's last Ready: fresher than the published
     * status's, which may be a tick old, and never below an {@link #appliedIndex()} read before it.
     */
    long committedIndex();

    /** The index of the last entry applied to the state machine on this node. */
    long appliedIndex();

    /** The index of the newest snapshot saved on this node (0 if none). */
    long snapshotIndex();

    /** Bytes the write-ahead log's segment files take on disk. */
    long walBytes();

    /** How many keys the store holds. */
    long keyCount();

    /** How many committed entries the store skipped because they held no key-value record. */
    long entriesSkipped();

    /** How many proposals from peers were dropped before raft because no member could apply them. */
    long proposalsFiltered();

    /** How many ReadIndex rounds this node started for linearizable reads (each serves a batch). */
    long readIndexRounds();

    /** The peer URL of every member this node knows a URL for (itself included), by id. */
    Map<Long, String> peerUrls();

    /** Whether the peer transport is in contact with member {@code id} right now. */
    boolean peerActive(long id);

    /** The largest gap between commit and applied index under which this node is healthy. */
    long maxApplyLag();

    /** What the store's data takes, in bytes ({@link KeyValueStore#sizeBytes()}). */
    long storeBytes();

    /** The store size at which writes are refused ({@code --quota-bytes}); 0 for no quota. */
    long quotaBytes();
}
