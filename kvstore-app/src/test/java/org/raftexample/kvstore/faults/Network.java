package org.raftexample.kvstore.faults;

import java.util.List;

/**
 * Where the nodes of a fault scenario live and how the links between them are cut: real network
 * namespaces with their own addresses ({@link NetnsNetwork}, needs root) or, without root, one
 * loopback proxy per direction of every pair of nodes ({@link ProxyNetwork}). There are
 * {@link #maxNodes()} hosts; a node id gets one the first time it is named, and gives it back with
 * {@link #release} once it has left the cluster for good, so a membership scenario can add node
 * after node (ids are never reused, as etcd never reuses a removed member's id) on a few hosts.
 * Calls come from the scenario thread only.
 */
interface Network extends AutoCloseable {

    /** What this is, for the log: which kind of network and its addresses. */
    String describe();

    /** How many hosts there are: how many nodes can hold one at the same time. */
    int maxNodes();

    /** The nodes holding a host now, in id order. */
    List<Long> nodes();

    /**
     * Node {@code id} was removed from the cluster and its process has ended: its host may be given
     * to a node added later. Its peer URL, where still listed in a {@code --cluster} flag, then leads
     * nowhere (a connection there is refused).
     */
    void release(long id);

    /**
     * The URL the other nodes reach node {@code id} at (what a membership change announces); gives
     * the node a host if it has none yet.
     */
    String peerUrl(long id);

    /**
     * The {@code --cluster} value node {@code id} starts with, listing nodes 1..{@code size} (the
     * id is a position in that list; released nodes are listed at a URL that leads nowhere).
     */
    String clusterFlag(long id, int size);

    /** The node's key-value HTTP API, as the test's clients reach it. */
    String httpUrl(long id);

    /** The command that starts node {@code id}'s process inside its host. */
    List<String> wrap(long id, List<String> command);

    /** Cuts the link between {@code a} and {@code b}, in both directions. */
    void cut(long a, long b);

    /** Restores the link between {@code a} and {@code b}. */
    void heal(long a, long b);

    /** Takes node {@code id}'s network interface down: it reaches no peer (with netns, no client either). */
    void linkDown(long id);

    void linkUp(long id);

    /** Restores every link cut and every interface taken down. */
    void healAll();

    /** Cuts node {@code id} off from every other node. */
    default void isolate(long id) {
        for (long other : nodes()) {
            if (other != id) {
                cut(id, other);
            }
        }
    }

    @Override
    void close();
}
