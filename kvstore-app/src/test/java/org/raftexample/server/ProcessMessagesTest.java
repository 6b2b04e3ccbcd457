package org.raftexample.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/** raft_test.go's TestProcessMessages: an outgoing MsgSnap carries the configuration current at send time. */
class ProcessMessagesTest {

    private static Message snap(ConfState cs) {
        return Message.newBuilder()
                .setType(MessageType.MsgSnap)
                .setTo(8)
                .setSnapshot(Snapshot.newBuilder()
                        .setMetadata(SnapshotMetadata.newBuilder()
                                .setIndex(100)
                                .setTerm(3)
                                .setConfState(cs)))
                .build();
    }

    private static ConfState voters(long... ids) {
        ConfState.Builder b = ConfState.newBuilder();
        for (long id : ids) {
            b.addVoters(id);
        }
        return b.build();
    }

    @Test
    void onlyOneSnapshotMessageGetsTheCurrentConfState() {
        ConfState stale = voters(2, 6, 8).toBuilder().setAutoLeave(true).build();
        List<Message> out = RaftLoop.processMessages(List.of(snap(stale)), voters(2, 6, 8, 10));
        assertEquals(List.of(snap(voters(2, 6, 8, 10))), out);
    }

    @Test
    void otherMessagesPassUnchanged() {
        ConfState stale = voters(2, 6, 8).toBuilder().setAutoLeave(true).build();
        Message app = Message.newBuilder()
                .setType(MessageType.MsgApp)
                .setFrom(6)
                .setTo(8)
                .build();
        List<Message> out = RaftLoop.processMessages(List.of(snap(stale), app), voters(2, 7, 8, 12));
        assertEquals(List.of(snap(voters(2, 7, 8, 12)), app), out);
    }
}
