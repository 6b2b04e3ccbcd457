package org.raftexample.raft.rafttest;

import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.raftexample.raft.Config;
import org.raftexample.raft.RawNode;

/**
 * Options of an {@link InteractionEnv}.
 *
 * @param onConfig called on each node's config before the node is created (may be null); it must
 *     not change the node id nor set a logger
 * @param setRandomizedElectionTimeout how to force a node's randomized election timeout; raft keeps
 *     that field package-private, so the caller in package {@code org.raftexample.raft} supplies it
 */
public record InteractionOpts(
        Consumer<Config.Builder> onConfig, BiConsumer<RawNode, Integer> setRandomizedElectionTimeout) {}
