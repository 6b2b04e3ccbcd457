package org.raftexample.transport;

/**
 * Thrown by {@link RaftReceiver#processSnapshot} before it reads a snapshot's data, when the application has no
 * room to store that much (its disk's free space). The transport answers 507 Insufficient Storage, and
 * the sender reports the snapshot as failed: the leader's raft tries again later, as after any failed
 * snapshot, and the node that refused goes on as it was.
 */
public final class InsufficientStorageException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * A refusal for lack of room.
     *
     * @param message how much was asked and how much is free
     */
    public InsufficientStorageException(String message) {
        super(message);
    }
}
