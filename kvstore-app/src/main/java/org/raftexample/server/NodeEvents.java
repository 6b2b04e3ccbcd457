package org.raftexample.server;

import org.raftexample.raft.SoftState;
import org.raftexample.raftpb.HardState;
import org.raftexample.transport.PeerTrafficListener;

/**
 * What the raft glue tells the operational side as it happens: raft state changes, WAL syncs,
 * snapshots saved, and peer traffic. Every method has a do-nothing default, so the glue runs the
 * same with {@link #NONE}.
 *
 * <p>{@link #stateChanged} and {@link #snapshotSaved} are called on the glue's raft loop thread,
 * {@link #walSynced} on whichever thread saves to the WAL, and the traffic listener on transport
 * threads: implementations must be thread-safe and quick (they sit on the write path).
 */
public interface NodeEvents {

    /** Hears nothing. */
    NodeEvents NONE = new NodeEvents() {};

    /**
     * A Ready carried a new soft state, a new hard state, or both.
     *
     * @param soft the new soft state, or null when unchanged
     * @param hard the new hard state, or null when unchanged
     */
    default void stateChanged(SoftState soft, HardState hard) {}

    /**
     * One WAL data sync took {@code nanos}.
     *
     * @param nanos the sync's duration
     */
    default void walSynced(long nanos) {}

    /**
     * A snapshot was taken and saved (file and WAL marker).
     *
     * @param index the snapshot's index
     * @param nanos how long it took
     */
    default void snapshotSaved(long index, long nanos) {}

    /**
     * Who hears about the peer transport's traffic.
     *
     * @return the listener, {@link PeerTrafficListener#NONE} by default
     */
    default PeerTrafficListener peerTraffic() {
        return PeerTrafficListener.NONE;
    }
}
