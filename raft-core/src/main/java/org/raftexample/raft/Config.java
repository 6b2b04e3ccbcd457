package org.raftexample.raft;

import java.util.random.RandomGenerator;

/**
 * The parameters a raft node starts with: an immutable value, made by {@link #builder()}.
 *
 * <p>The fields are etcd's {@code raft.Config} fields, with the same meaning and lowerCamel names
 * ({@code ElectionTick} is {@link #electionTick()}). A builder starts from the values etcd's zero
 * {@code Config} has; {@link Builder#build()} checks them as etcd's {@code validate} does, with
 * the same error texts, and fills in the same defaults. As in etcd, {@code id},
 * {@code electionTick}, {@code heartbeatTick}, {@code storage} and {@code maxInflightMsgs} have
 * no usable default and must be set.
 *
 * <p>The four byte limits ({@code maxSizePerMsg}, {@code maxCommittedSizePerReady},
 * {@code maxUncommittedEntriesSize}, {@code maxInflightBytes}) are unsigned, as the
 * {@code uint64}s they are in Go: {@code -1L}, the bits of {@code math.MaxUint64}, or any other
 * value of 2<sup>63</sup> or more means "no limit" and reads back as {@link #NO_LIMIT}. No byte
 * count reaches 2<sup>63</sup>, so this is exactly Go's behaviour.
 *
 * <p>A {@code Config} may be shared between threads; a {@link Builder} may not.
 */
public final class Config {
    /** No limit, the value etcd's {@code math.MaxUint64} takes here. */
    public static final long NO_LIMIT = Long.MAX_VALUE;

    private final long id;
    private final int electionTick;
    private final int heartbeatTick;
    private final Storage storage;
    private final long applied;
    private final boolean asyncStorageWrites;
    private final long maxSizePerMsg;
    private final long maxCommittedSizePerReady;
    private final long maxUncommittedEntriesSize;
    private final int maxInflightMsgs;
    private final long maxInflightBytes;
    private final boolean checkQuorum;
    private final boolean preVote;
    private final ReadOnlyOption readOnlyOption;
    private final Logger logger;
    private final boolean disableProposalForwarding;
    private final boolean disableConfChangeValidation;
    private final boolean stepDownOnRemoval;
    private final RandomGenerator random;

    private Config(Builder b) {
        id = b.id;
        electionTick = b.electionTick;
        heartbeatTick = b.heartbeatTick;
        storage = b.storage;
        applied = b.applied;
        asyncStorageWrites = b.asyncStorageWrites;
        maxSizePerMsg = b.maxSizePerMsg;
        maxCommittedSizePerReady = b.maxCommittedSizePerReady;
        maxUncommittedEntriesSize = b.maxUncommittedEntriesSize;
        maxInflightMsgs = b.maxInflightMsgs;
        maxInflightBytes = b.maxInflightBytes;
        checkQuorum = b.checkQuorum;
        preVote = b.preVote;
        readOnlyOption = b.readOnlyOption;
        logger = b.logger;
        disableProposalForwarding = b.disableProposalForwarding;
        disableConfChangeValidation = b.disableConfChangeValidation;
        stepDownOnRemoval = b.stepDownOnRemoval;
        random = b.random;
    }

    /**
     * A builder holding etcd's zero values (see the class comment for what must be set).
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding this configuration's values, to derive a changed copy.
     *
     * @return a new builder
     */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.id = id;
        b.electionTick = electionTick;
        b.heartbeatTick = heartbeatTick;
        b.storage = storage;
        b.applied = applied;
        b.asyncStorageWrites = asyncStorageWrites;
        b.maxSizePerMsg = maxSizePerMsg;
        b.maxCommittedSizePerReady = maxCommittedSizePerReady;
        b.maxUncommittedEntriesSize = maxUncommittedEntriesSize;
        b.maxInflightMsgs = maxInflightMsgs;
        b.maxInflightBytes = maxInflightBytes;
        b.checkQuorum = checkQuorum;
        b.preVote = preVote;
        b.readOnlyOption = readOnlyOption;
        b.logger = logger;
        b.disableProposalForwarding = disableProposalForwarding;
        b.disableConfChangeValidation = disableConfChangeValidation;
        b.stepDownOnRemoval = stepDownOnRemoval;
        b.random = random;
        return b;
    }

    /**
     * This node's id; neither 0 nor one of the local storage thread ids.
     *
     * @return the id
     */
    public long id() {
        return id;
    }

    /**
     * Ticks a follower waits without hearing from a leader before it campaigns (randomized to
     * [electionTick, 2*electionTick)); greater than {@link #heartbeatTick()}. About ten heartbeats
     * is a good value.
     *
     * @return the election timeout, in ticks
     */
    public int electionTick() {
        return electionTick;
    }

    /**
     * Ticks between two heartbeats of a leader.
     *
     * @return the heartbeat interval, in ticks
     */
    public int heartbeatTick() {
        return heartbeatTick;
    }

    /**
     * Where raft reads its persisted log, hard state and snapshot from.
     *
     * @return the storage
     */
    public Storage storage() {
        return storage;
    }

    /**
     * The last applied index, set only when restarting: entries up to it are not handed out
     * again as committed entries.
     *
     * @return the applied index
     */
    public long applied() {
        return applied;
    }

    /**
     * When true, log appends and state machine applies are requested through MsgStorageAppend /
     * MsgStorageApply messages (to {@link RawNode#LOCAL_APPEND_THREAD} /
     * {@link RawNode#LOCAL_APPLY_THREAD}) instead of through the Ready/advance contract; see
     * etcd's documentation of the same option.
     *
     * @return true for asynchronous storage writes
     */
    public boolean asyncStorageWrites() {
        return asyncStorageWrites;
    }

    /**
     * Upper bound on the byte size of the entries in one append message; 0 means at most one
     * entry per message, {@link #NO_LIMIT} means no limit.
     *
     * @return the limit, unsigned
     */
    public long maxSizePerMsg() {
        return maxSizePerMsg;
    }

    /**
     * Upper bound on the byte size of committed entries being applied at once (across Ready
     * structs); 0 when building means {@link #maxSizePerMsg()}.
     *
     * @return the limit, unsigned
     */
    public long maxCommittedSizePerReady() {
        return maxCommittedSizePerReady;
    }

    /**
     * Upper bound on the payload bytes of uncommitted entries a leader accepts before it drops
     * proposals; 0 when building means {@link #NO_LIMIT}.
     *
     * @return the limit, unsigned
     */
    public long maxUncommittedEntriesSize() {
        return maxUncommittedEntriesSize;
    }

    /**
     * How many append messages may be in flight to one follower in optimistic replication.
     *
     * @return the number of messages
     */
    public int maxInflightMsgs() {
        return maxInflightMsgs;
    }

    /**
     * How many bytes of append messages may be in flight to one follower; 0 when building means
     * {@link #NO_LIMIT}.
     *
     * @return the limit, unsigned
     */
    public long maxInflightBytes() {
        return maxInflightBytes;
    }

    /**
     * The leader steps down when it has not heard from a quorum for an election timeout.
     *
     * @return true if check-quorum is on
     */
    public boolean checkQuorum() {
        return checkQuorum;
    }

    /**
     * Run a pre-vote round before incrementing the term (raft thesis 9.6).
     *
     * @return true if pre-vote is on
     */
    public boolean preVote() {
        return preVote;
    }

    /**
     * How ReadIndex requests are confirmed; lease-based reads require {@link #checkQuorum()}.
     *
     * @return the read-only option
     */
    public ReadOnlyOption readOnlyOption() {
        return readOnlyOption;
    }

    /**
     * Where raft logs; {@link DefaultLogger#get()} unless one was set.
     *
     * @return the logger
     */
    public Logger logger() {
        return logger;
    }

    /**
     * Followers drop proposals instead of forwarding them to the leader.
     *
     * @return true if proposals are not forwarded
     */
    public boolean disableProposalForwarding() {
        return disableProposalForwarding;
    }

    /**
     * Skip the propose-time checks of configuration changes against the active configuration.
     * Only safe when something above raft serializes and verifies configuration changes.
     *
     * @return true if the checks are skipped
     */
    public boolean disableConfChangeValidation() {
        return disableConfChangeValidation;
    }

    /**
     * A leader removed from the configuration (or demoted) steps down.
     *
     * @return true if a removed leader steps down
     */
    public boolean stepDownOnRemoval() {
        return stepDownOnRemoval;
    }

    /**
     * The source of randomness for election timeouts; null means a shared thread-safe source.
     * Tests set a seeded generator to make elections deterministic.
     *
     * @return the random source, or null
     */
    public RandomGenerator random() {
        return random;
    }

    /**
     * Collects the values of a {@link Config}; {@link #build()} validates them. The setters are
     * named after etcd's fields and documented on the accessors of {@link Config}. Not
     * thread-safe.
     */
    public static final class Builder {
        private long id;
        private int electionTick;
        private int heartbeatTick;
        private Storage storage;
        private long applied;
        private boolean asyncStorageWrites;
        private long maxSizePerMsg;
        private long maxCommittedSizePerReady;
        private long maxUncommittedEntriesSize;
        private int maxInflightMsgs;
        private long maxInflightBytes;
        private boolean checkQuorum;
        private boolean preVote;
        private ReadOnlyOption readOnlyOption = ReadOnlyOption.ReadOnlySafe;
        private Logger logger;
        private boolean disableProposalForwarding;
        private boolean disableConfChangeValidation;
        private boolean stepDownOnRemoval;
        private RandomGenerator random;

        private Builder() {}

        /**
         * Sets {@link Config#id()}.
         *
         * @param id the value
         * @return this builder
         */
        public Builder id(long id) {
            this.id = id;
            return this;
        }

        /**
         * Sets {@link Config#electionTick()}.
         *
         * @param electionTick the value
         * @return this builder
         */
        public Builder electionTick(int electionTick) {
            this.electionTick = electionTick;
            return this;
        }

        /**
         * Sets {@link Config#heartbeatTick()}.
         *
         * @param heartbeatTick the value
         * @return this builder
         */
        public Builder heartbeatTick(int heartbeatTick) {
            this.heartbeatTick = heartbeatTick;
            return this;
        }

        /**
         * Sets {@link Config#storage()}.
         *
         * @param storage the value
         * @return this builder
         */
        public Builder storage(Storage storage) {
            this.storage = storage;
            return this;
        }

        /**
         * Sets {@link Config#applied()}.
         *
         * @param applied the value
         * @return this builder
         */
        public Builder applied(long applied) {
            this.applied = applied;
            return this;
        }

        /**
         * Sets {@link Config#asyncStorageWrites()}.
         *
         * @param asyncStorageWrites the value
         * @return this builder
         */
        public Builder asyncStorageWrites(boolean asyncStorageWrites) {
            this.asyncStorageWrites = asyncStorageWrites;
            return this;
        }

        /**
         * Sets {@link Config#maxSizePerMsg()}, an unsigned value.
         *
         * @param maxSizePerMsg the value
         * @return this builder
         */
        public Builder maxSizePerMsg(long maxSizePerMsg) {
            this.maxSizePerMsg = maxSizePerMsg;
            return this;
        }

        /**
         * Sets {@link Config#maxCommittedSizePerReady()}, an unsigned value.
         *
         * @param maxCommittedSizePerReady the value
         * @return this builder
         */
        public Builder maxCommittedSizePerReady(long maxCommittedSizePerReady) {
            this.maxCommittedSizePerReady = maxCommittedSizePerReady;
            return this;
        }

        /**
         * Sets {@link Config#maxUncommittedEntriesSize()}, an unsigned value.
         *
         * @param maxUncommittedEntriesSize the value
         * @return this builder
         */
        public Builder maxUncommittedEntriesSize(long maxUncommittedEntriesSize) {
            this.maxUncommittedEntriesSize = maxUncommittedEntriesSize;
            return this;
        }

        /**
         * Sets {@link Config#maxInflightMsgs()}.
         *
         * @param maxInflightMsgs the value
         * @return this builder
         */
        public Builder maxInflightMsgs(int maxInflightMsgs) {
            this.maxInflightMsgs = maxInflightMsgs;
            return this;
        }

        /**
         * Sets {@link Config#maxInflightBytes()}, an unsigned value.
         *
         * @param maxInflightBytes the value
         * @return this builder
         */
        public Builder maxInflightBytes(long maxInflightBytes) {
            this.maxInflightBytes = maxInflightBytes;
            return this;
        }

        /**
         * Sets {@link Config#checkQuorum()}.
         *
         * @param checkQuorum the value
         * @return this builder
         */
        public Builder checkQuorum(boolean checkQuorum) {
            this.checkQuorum = checkQuorum;
            return this;
        }

        /**
         * Sets {@link Config#preVote()}.
         *
         * @param preVote the value
         * @return this builder
         */
        public Builder preVote(boolean preVote) {
            this.preVote = preVote;
            return this;
        }

        /**
         * Sets {@link Config#readOnlyOption()}.
         *
         * @param readOnlyOption the value
         * @return this builder
         */
        public Builder readOnlyOption(ReadOnlyOption readOnlyOption) {
            this.readOnlyOption = readOnlyOption;
            return this;
        }

        /**
         * Sets {@link Config#logger()}.
         *
         * @param logger the value
         * @return this builder
         */
        public Builder logger(Logger logger) {
            this.logger = logger;
            return this;
        }

        /**
         * Sets {@link Config#disableProposalForwarding()}.
         *
         * @param disableProposalForwarding the value
         * @return this builder
         */
        public Builder disableProposalForwarding(boolean disableProposalForwarding) {
            this.disableProposalForwarding = disableProposalForwarding;
            return this;
        }

        /**
         * Sets {@link Config#disableConfChangeValidation()}.
         *
         * @param disableConfChangeValidation the value
         * @return this builder
         */
        public Builder disableConfChangeValidation(boolean disableConfChangeValidation) {
            this.disableConfChangeValidation = disableConfChangeValidation;
            return this;
        }

        /**
         * Sets {@link Config#stepDownOnRemoval()}.
         *
         * @param stepDownOnRemoval the value
         * @return this builder
         */
        public Builder stepDownOnRemoval(boolean stepDownOnRemoval) {
            this.stepDownOnRemoval = stepDownOnRemoval;
            return this;
        }

        /**
         * Sets {@link Config#random()}.
         *
         * @param random the value
         * @return this builder
         */
        public Builder random(RandomGenerator random) {
            this.random = random;
            return this;
        }

        /**
         * Checks the values as etcd's {@code validate} does and returns the configuration with
         * etcd's defaults filled in. The builder is left as it was.
         *
         * @return the configuration
         * @throws IllegalArgumentException with etcd's error text when a value is not allowed
         */
        public Config build() {
            Builder b = copy();
            if (b.id == Raft.NONE) {
                throw new IllegalArgumentException("cannot use none as id");
            }
            if (Util.isLocalMsgTarget(b.id)) {
                throw new IllegalArgumentException("cannot use local target as id");
            }
            if (b.heartbeatTick <= 0) {
                throw new IllegalArgumentException("heartbeat tick must be greater than 0");
            }
            if (b.electionTick <= b.heartbeatTick) {
                throw new IllegalArgumentException("election tick must be greater than heartbeat tick");
            }
            if (b.storage == null) {
                throw new IllegalArgumentException("storage cannot be nil");
            }
            b.maxSizePerMsg = unsigned(b.maxSizePerMsg);
            b.maxCommittedSizePerReady = unsigned(b.maxCommittedSizePerReady);
            b.maxUncommittedEntriesSize = unsigned(b.maxUncommittedEntriesSize);
            b.maxInflightBytes = unsigned(b.maxInflightBytes);
            if (b.maxUncommittedEntriesSize == 0) {
                b.maxUncommittedEntriesSize = NO_LIMIT;
            }
            // The two limits used to be one parameter, hence this default.
            if (b.maxCommittedSizePerReady == 0) {
                b.maxCommittedSizePerReady = b.maxSizePerMsg;
            }
            if (b.maxInflightMsgs <= 0) {
                throw new IllegalArgumentException("max inflight messages must be greater than 0");
            }
            if (b.maxInflightBytes == 0) {
                b.maxInflightBytes = NO_LIMIT;
            } else if (b.maxInflightBytes < b.maxSizePerMsg) {
                throw new IllegalArgumentException("max inflight bytes must be >= max message size");
            }
            if (b.logger == null) {
                b.logger = DefaultLogger.get();
            }
            if (b.readOnlyOption == null) {
                b.readOnlyOption = ReadOnlyOption.ReadOnlySafe;
            }
            if (b.readOnlyOption == ReadOnlyOption.ReadOnlyLeaseBased && !b.checkQuorum) {
                throw new IllegalArgumentException(
                        "CheckQuorum must be enabled when ReadOnlyOption is ReadOnlyLeaseBased");
            }
            return new Config(b);
        }

        private Builder copy() {
            return new Config(this).toBuilder();
        }

        /** A Go uint64 of 2^63 or more has its sign bit set here; no size can reach it. */
        private static long unsigned(long limit) {
            return limit < 0 ? NO_LIMIT : limit;
        }
    }
}
