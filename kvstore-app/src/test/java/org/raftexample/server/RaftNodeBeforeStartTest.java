package org.raftexample.server;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftexample.raft.SnapshotStatus;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;
import org.raftexample.transport.MessageDroppedException;

/**
 * The transport's server listens before the raft loop exists: a message that arrives in between is
 * refused as dropped (the sender does not count it delivered), never a NullPointerException answered
 * with 500, and reports are ignored.
 */
class RaftNodeBeforeStartTest {

    @TempDir
    Path dir;

    @Test
    void messagesBeforeTheRaftLoopExistsAreRefusedAsDropped() {
        RaftNode node = new RaftNode(
                ServerConfig.builder()
                        .id(1)
                        .cluster(List.of(URI.create("http://127.0.0.1:1")))
                        .dataDir(dir)
                        .build(),
                new ChecksummedBytes());
        Message heartbeat = Message.newBuilder()
                .setType(MessageType.MsgHeartbeat)
                .setFrom(2)
                .setTo(1)
                .setTerm(2)
                .build();
        assertThrows(MessageDroppedException.class, () -> node.process(heartbeat));
        Message snap = Message.newBuilder()
                .setType(MessageType.MsgSnap)
                .setFrom(2)
                .setTo(1)
                .setTerm(2)
                .setSnapshot(Snapshot.newBuilder()
                        .setMetadata(SnapshotMetadata.newBuilder().setIndex(9).setTerm(2)))
                .build();
        assertThrows(
                MessageDroppedException.class,
                () -> node.processSnapshot(snap, new java.io.ByteArrayInputStream(new byte[0]), 0));
        node.reportUnreachable(2);
        node.reportSnapshot(2, SnapshotStatus.SnapshotFailure);
    }

    @Test
    void aCommandLargerThanMaxCommandBytesIsRefusedWithoutBeingProposed() {
        RaftNode node = new RaftNode(
                ServerConfig.builder()
                        .id(1)
                        .cluster(List.of(URI.create("http://127.0.0.1:1")))
                        .dataDir(dir)
                        .maxCommandBytes(16)
                        .build(),
                new ChecksummedBytes());
        // Not started: a command that got past the check would fail on the missing raft loop instead.
        java.util.concurrent.ExecutionException e = assertThrows(
                java.util.concurrent.ExecutionException.class,
                () -> node.propose(new byte[17]).get());
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
    }
}
