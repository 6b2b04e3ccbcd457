package org.raftexample.raft.rafttest;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.raftexample.raft.Config;
import org.raftexample.raft.RawNode;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.Snapshot;

/**
 * One member of a raft group driven by an {@link InteractionEnv}: the RawNode, its storage, and
 * the work queued for its simulated storage threads when it runs with async storage writes.
 */
public final class Node {
    final RawNode rawNode;
    final InteractionStorage storage;
    final Config config;
    /** MsgStorageAppend messages waiting for the append thread, oldest first. */
    final Deque<Message> appendWork = new ArrayDeque<>();
    /** MsgStorageApply messages waiting for the apply thread, oldest first. */
    final Deque<Message> applyWork = new ArrayDeque<>();
    /**
     * The state of the node's "appender" state machine after each applied entry; the last one is
     * what the node hands out as its snapshot.
     */
    final List<Snapshot> history = new ArrayList<>();

    Node(RawNode rawNode, InteractionStorage storage, Config config, Snapshot initial) {
        this.rawNode = rawNode;
        this.storage = storage;
        this.config = config;
        this.history.add(initial);
    }

    public RawNode rawNode() {
        return rawNode;
    }

    public Snapshot lastSnapshot() {
        return history.get(history.size() - 1);
    }
}
