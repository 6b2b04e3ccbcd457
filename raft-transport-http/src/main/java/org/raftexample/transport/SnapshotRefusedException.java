package org.raftexample.transport;

/**
 * Thrown by {@link RaftReceiver#processSnapshot} when a snapshot's data, as it arrived, is not one the
 * application can install (it fails the application's own format or checksum check). The transport
 * answers 400 Bad Request, and the sender reports the snapshot as failed: the leader's raft sends it
 * again later, and the node that refused it goes on as it was.
 */
public final class SnapshotRefusedException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * A refusal of the snapshot data as it arrived.
     *
     * @param message why the data cannot be installed
     * @param cause the failure of the application's check, or null
     */
    public SnapshotRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
