package org.raftexample.transport;

import com.google.protobuf.ByteString;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.raftexample.raft.SnapshotStatus;
import org.raftexample.raftpb.Message;

/**
 * The application side of the transport: where received messages go and where delivery outcomes are reported
 * (the role of etcd's {@code rafthttp.Raft} interface, named apart from raft-core's state machine).
 *
 * <p>Every method may be called from several transport threads at once (one per stream, pipeline request and
 * snapshot), so implementations must be thread-safe. They should return promptly: a stream delivers its
 * messages one after the other, so a slow {@link #process} slows that stream down (which is the intended back
 * pressure) and a {@code process} that never returns stalls it until {@link Transport#stop()}.
 */
public interface RaftReceiver {

    /**
     * Hands a message received from a peer to the raft node (raftexample: {@code node.step}).
     * When the node does not take the message ({@code Node.step} returned false), throw
     * {@link MessageDroppedException}: a pipeline or snapshot request is then answered with 503
     * and its sender reports the message undelivered (a MsgSnap as a failed snapshot). Any other
     * exception is logged; on a pipeline or snapshot request it is answered with 500.
     *
     * @param message the message
     * @throws Exception if the node did not take the message; the sender is told it was not delivered
     */
    void process(Message message) throws Exception;

    /**
     * Whether the member with this id has been removed from the cluster; its requests are answered 410.
     *
     * @param id the member
     * @return true if it was removed
     */
    boolean isIdRemoved(long id);

    /**
     * Tells raft that a message to this peer could not be delivered (raftexample: {@code node.reportUnreachable}).
     *
     * @param id the peer
     */
    void reportUnreachable(long id);

    /**
     * Tells raft whether a snapshot reached the peer (raftexample: {@code node.reportSnapshot}).
     *
     * @param id the peer
     * @param status whether the snapshot arrived
     */
    void reportSnapshot(long id, SnapshotStatus status);

    /**
     * Receives a MsgSnap whose snapshot data arrives as a stream, so that an application can write a large
     * snapshot straight to disk instead of holding it in memory.
     *
     * <p>{@code header} is the MsgSnap with {@code snapshot.data} left empty; {@code data} yields exactly
     * {@code size} bytes. The default reads the data into memory, puts it into {@code snapshot.data} and calls
     * {@link #process}, which is what raftexample expects. An override must consume {@code data} before
     * returning (the transport discards what is left) and must not keep it afterwards. It may throw
     * {@link InsufficientStorageException} before reading any data (answered 507, the sender retries later).
     *
     * @param header the MsgSnap, its snapshot data left empty
     * @param data the snapshot's data; read it to the end before returning
     * @param size the number of data bytes
     * @throws Exception if the snapshot was not taken; the sender reports it as failed
     */
    default void processSnapshot(Message header, InputStream data, long size) throws Exception {
        // Read in chunks rather than allocating `size` bytes up front: the size is the sender's claim, and
        // memory should grow only with data that actually arrives. The chunks form one ByteString (a rope),
        // so nothing is copied again.
        ByteString bytes = ByteString.readFrom(data, 64 * 1024, 4 << 20);
        if (bytes.size() != size) {
            throw new EOFException("snapshot data truncated: " + bytes.size() + " of " + size + " bytes");
        }
        process(header.toBuilder()
                .setSnapshot(header.getSnapshot().toBuilder().setData(bytes))
                .build());
    }

    /**
     * The data of an outgoing MsgSnap whose {@code snapshot.data} is empty, streamed from where the
     * application keeps it (a snapshot file), so that a large snapshot is never held in memory to
     * be sent. Called on the snapshot sender's thread; the sender closes the stream. The default,
     * null, sends the message's own (empty) data.
     *
     * @param snapshotMessage the outgoing MsgSnap
     * @return the data and its length, or null to send the message as it is
     * @throws IOException if the data cannot be opened
     */
    default SnapshotBody openSnapshot(Message snapshotMessage) throws IOException {
        return null;
    }

    /** Exactly {@code length} bytes of snapshot data, as a stream its reader closes. */
    record SnapshotBody(long length, InputStream data) {}
}
