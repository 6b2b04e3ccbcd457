package org.raftexample.server;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.raftexample.raftpb.ConfChange;
import org.raftexample.raftpb.ConfChangeV2;
import org.raftexample.raftpb.ConfChanges;
import org.raftexample.raftpb.ConfState;
import org.raftexample.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is in the cluster, as this node has applied it: raft's ConfState, the members removed (whose
 * messages the transport refuses), and the peer URLs learned from conf changes (kept in
 * {@code peers.json} as a hint for restarts, see {@link PeerDirectory}).
 *
 * <p>Threads: conf changes are applied by the apply loop only; {@link #confState()} is read by the raft
 * loop (to patch outgoing snapshots) and {@link #isRemoved} by transport threads, so both are
 * published through a volatile field and a concurrent set. The URL map is the apply loop's alone
 * after {@link #load}, which runs before the node's threads start.
 */
final class Membership {

    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    private final ServerConfig opts;
    private final PeerDirectory peerDirectory;
    private final Map<Long, String> learnedPeers = new TreeMap<>(Long::compareUnsigned);
    // What the operational endpoints read: a copy of learnedPeers, replaced whenever it changes.
    private volatile Map<Long, String> learnedPeersView = Map.of();
    private final Set<Long> removedIds = ConcurrentHashMap.newKeySet();
    private volatile ConfState confState;
    private Transport transport;

    Membership(ServerConfig opts, ConfState initial) {
        this.opts = opts;
        this.peerDirectory = new PeerDirectory(opts.snapDir());
        this.confState = initial;
    }

    /** Reads peers.json; a damaged file is set aside (it is only a hint), never fatal. */
    void load() {
        try {
            learnedPeers.putAll(peerDirectory.load());
            learnedPeersView = Map.copyOf(learnedPeers);
        } catch (IOException e) {
            LOG.warn(
                    "ignoring unreadable {} (moved to {}.broken): {}",
                    PeerDirectory.FILE_NAME,
                    PeerDirectory.FILE_NAME,
                    e.toString());
            peerDirectory.setAside();
        }
    }

    /** Tells the transport about every peer of {@code --cluster} and every member learned since. */
    void connect(Transport t) {
        this.transport = t;
        for (int i = 1; i <= opts.cluster().size(); i++) {
            if (i != opts.id()) {
                t.addPeer(i, List.of(opts.cluster().get(i - 1).toString()));
            }
        }
        // Members added at run time, whose ConfChange may be compacted away by now.
        for (Map.Entry<Long, String> p : learnedPeers.entrySet()) {
            long id = p.getKey();
            if (id != opts.id() && (id < 1 || id > opts.cluster().size())) {
                addPeer(id, p.getValue());
            }
        }
    }

    /** The configuration as last applied here. */
    /** The peer URLs learned from conf changes (and peers.json), by id; any thread. */
    Map<Long, String> learnedPeers() {
        return learnedPeersView;
    }

    ConfState confState() {
        return confState;
    }

    /** Records the configuration of a snapshot that replaced the state. */
    void restored(ConfState cs) {
        confState = cs;
    }

    boolean isRemoved(long id) {
        return removedIds.contains(id);
    }

    /**
     * Applies a committed conf change to raft and to the transport (apply loop only); returns true
     * when it removed this very node.
     */
    boolean apply(ConfApplier raft, ConfChange cc) {
        confState = raft.applyConfChange(ConfChanges.asV2(cc));
        switch (cc.getType()) {
            case ConfChangeAddNode, ConfChangeAddLearnerNode -> {
                removedIds.remove(cc.getNodeId());
                if (!cc.getContext().isEmpty()) {
                    String url = cc.getContext().toStringUtf8();
                    if (cc.getNodeId() != opts.id()) {
                        addPeer(cc.getNodeId(), url);
                    }
                    rememberPeer(cc.getNodeId(), url);
                }
            }
            case ConfChangeRemoveNode -> {
                if (cc.getNodeId() == opts.id()) {
                    return true;
                }
                removedIds.add(cc.getNodeId());
                transport.removePeer(cc.getNodeId());
                rememberPeer(cc.getNodeId(), null);
            }
            default -> {}
        }
        return false;
    }

    /** Applies a committed V2 conf change to raft (the app never proposes one; the transport is left as is). */
    void apply(ConfApplier raft, ConfChangeV2 cc) {
        confState = raft.applyConfChange(cc);
    }

    /** Applies a committed conf change to raft and returns the new configuration (the raft loop's). */
    interface ConfApplier {
        ConfState applyConfChange(ConfChangeV2 cc);
    }

    /**
     * Tells the transport where a member is. A URL it cannot dial (written to the log by another
     * version, or by hand) is logged and skipped: the entry is committed, so failing here would stop
     * every member each time it applies it, for good. Membership is raft's either way.
     */
    private void addPeer(long id, String url) {
        try {
            transport.addPeer(id, List.of(url));
        } catch (IllegalArgumentException e) {
            LOG.error(
                    "member {} has an unusable peer URL, it will not be reachable from here: {}",
                    Long.toUnsignedString(id),
                    e.getMessage());
        }
    }

    /** Records a peer's URL (null: forget it) in peers.json when it changed. */
    private void rememberPeer(long id, String url) {
        boolean changed = url == null ? learnedPeers.remove(id) != null : !url.equals(learnedPeers.put(id, url));
        if (!changed) {
            return;
        }
        learnedPeersView = Map.copyOf(learnedPeers);
        try {
            peerDirectory.save(learnedPeers);
        } catch (IOException e) {
            // Only a hint for restarts (raft holds the membership); the WAL reports real disk trouble.
            LOG.warn("could not save {}: {}", PeerDirectory.FILE_NAME, e.toString());
        }
    }
}
