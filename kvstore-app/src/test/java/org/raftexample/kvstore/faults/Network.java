package org.raftexample.kvstore.faults;

import java.util.List;

/**
 * Where the nodes of a fault scenario live and how the links between them are cut: real network
 * namespaces with their own addresses ({@link NetnsNetwork}, needs root) or, without root, one
 * loopback proxy per direction of every pair of nodes ({@link ProxyNetwork}). Nodes are numbered
 * 1..{@link #maxNodes()}. Calls come from the scenario thread only.
 */
interface Network extends AutoCloseable {

    /** What this is, for the log: which kind of network and its addresses. */
    String describe();

    int maxNodes();

    /** The URL the other nodes reach node {@code id} at (what a membership change announces). */
    String peerUrl(long id);

    /** The {@code --cluster} value node {@code id} starts with, listing nodes 1..{@code size}. */
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
        for (long other = 1; other <= maxNodes(); other++) {
            if (other != id) {
                cut(id, other);
            }
        }
    }

    @Override
    void close();
}
