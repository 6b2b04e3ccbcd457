package org.raftexample.raft;

import java.util.random.RandomGenerator;

/**
 * The parameters a raft node starts with. Fields mirror etcd's {@code raft.Config} (same
 * meaning, lowerCamel names); zero values mean what they mean in etcd, and {@link #validate()}
 * fills in the defaults and rejects impossible combinations.
 */
public final class Config {
    /** No limit, etcd's {@code math.MaxUint64}. */
    static final long NO_LIMIT = Long.MAX_VALUE;

    /** This node's id; neither 0 nor one of the local storage thread ids. */
    public long id;

    /**
     * Ticks a follower waits without hearing from a leader before it campaigns (randomized to
     * [electionTick, 2*electionTick)); must exceed {@link #heartbeatTick}. About ten heartbeats is
     * a good value.
     */
    public int electionTick;

    /** Ticks between two heartbeats of a leader. */
    public int heartbeatTick;

    /** Where raft reads its persisted log, hard state and snapshot from. */
    public Storage storage;

    /**
     * The last applied index, set only when restarting: entries up to it are not handed out
     * again as committed entries.
     */
    public long applied;

    /**
     * When true, log appends and state machine applies are requested through MsgStorageAppend /
     * MsgStorageApply messages (to {@link Raft#LOCAL_APPEND_THREAD} / {@link Raft#LOCAL_APPLY_THREAD})
     * instead of through the Ready/advance contract; see etcd's documentation of the same option.
     */
    public boolean asyncStorageWrites;

    /**
     * Upper bound on the byte size of the entries in one append message; 0 means at most one
     * entry per message, {@link Long#MAX_VALUE} means no limit.
     */
    public long maxSizePerMsg;

    /**
     * Upper bound on the byte size of committed entries being applied at once (across Ready
     * structs); 0 defaults to {@link #maxSizePerMsg}.
     */
    public long maxCommittedSizePerReady;

    /**
     * Upper bound on the payload bytes of uncommitted entries a leader accepts before it drops
     * proposals; 0 means no limit.
     */
    public long maxUncommittedEntriesSize;

    /** How many append messages may be in flight to one follower in optimistic replication. */
    public int maxInflightMsgs;

    /** How many bytes of append messages may be in flight to one follower; 0 means no limit. */
    public long maxInflightBytes;

    /** The leader steps down when it has not heard from a quorum for an election timeout. */
    public boolean checkQuorum;

    /** Run a pre-vote round before incrementing the term (raft thesis 9.6). */
    public boolean preVote;

    /** How ReadIndex requests are confirmed; lease-based reads require {@link #checkQuorum}. */
    public ReadOnlyOption readOnlyOption = ReadOnlyOption.ReadOnlySafe;

    /** Where raft logs; null means {@link DefaultLogger#get()}. */
    public Logger logger;

    /** Followers drop proposals instead of forwarding them to the leader. */
    public boolean disableProposalForwarding;

    /**
     * Skip the propose-time checks of configuration changes against the active configuration.
     * Only safe when something above raft serializes and verifies configuration changes.
     */
    public boolean disableConfChangeValidation;

    /** A leader removed from the configuration (or demoted) steps down. */
    public boolean stepDownOnRemoval;

    /**
     * The source of randomness for election timeouts; null means a shared thread-safe source.
     * Tests set a seeded generator to make elections deterministic.
     */
    public RandomGenerator random;

    /**
     * Checks this configuration and fills in defaults, as etcd's {@code validate} does.
     *
     * @throws IllegalArgumentException with etcd's error text when a value is not allowed
     */
    public void validate() {
        if (id == Raft.NONE) {
            throw new IllegalArgumentException("cannot use none as id");
        }
        if (Util.isLocalMsgTarget(id)) {
            throw new IllegalArgumentException("cannot use local target as id");
        }
        if (heartbeatTick <= 0) {
            throw new IllegalArgumentException("heartbeat tick must be greater than 0");
        }
        if (electionTick <= heartbeatTick) {
            throw new IllegalArgumentException("election tick must be greater than heartbeat tick");
        }
        if (storage == null) {
            throw new IllegalArgumentException("storage cannot be nil");
        }
        if (maxUncommittedEntriesSize == 0) {
            maxUncommittedEntriesSize = NO_LIMIT;
        }
        // The two limits used to be one parameter, hence this default.
        if (maxCommittedSizePerReady == 0) {
            maxCommittedSizePerReady = maxSizePerMsg;
        }
        if (maxInflightMsgs <= 0) {
            throw new IllegalArgumentException("max inflight messages must be greater than 0");
        }
        if (maxInflightBytes == 0) {
            maxInflightBytes = NO_LIMIT;
        } else if (Long.compareUnsigned(maxInflightBytes, maxSizePerMsg) < 0) {
            throw new IllegalArgumentException("max inflight bytes must be >= max message size");
        }
        if (logger == null) {
            logger = DefaultLogger.get();
        }
        if (readOnlyOption == null) {
            readOnlyOption = ReadOnlyOption.ReadOnlySafe;
        }
        if (readOnlyOption == ReadOnlyOption.ReadOnlyLeaseBased && !checkQuorum) {
            throw new IllegalArgumentException(
                    "CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased");
        }
    }
}
