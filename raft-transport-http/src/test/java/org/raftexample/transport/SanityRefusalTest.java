package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/** The pipeline and snapshot endpoints answer 400 to what MessageSanity refuses, and raft never sees it. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SanityRefusalTest {
    private static final long LOCAL = 2;
    private static final long REMOTE = 1;

    private RecordingRaft raft;
    private Transport transport;
    private HttpClient client;

    @BeforeEach
    void startNode() throws Exception {
        raft = new RecordingRaft();
        transport = TestSupport.start(LOCAL, raft);
        transport.addPeer(REMOTE, List.of("http://127.0.0.1:" + TestSupport.deadPort()));
        client = new HttpClient();
        client.start();
    }

    @AfterEach
    void stopNode() throws Exception {
        client.stop();
        transport.stop();
    }

    private int post(String path, byte[] body) throws Exception {
        return client.newRequest(transport.listenUri().resolve(path))
                .method("POST")
                .headers(h -> Protocol.addRequestHeaders(h, TestSupport.CLUSTER, REMOTE, LOCAL))
                .body(new BytesRequestContent(body))
                .timeout(10, TimeUnit.SECONDS)
                .send()
                .getStatus();
    }

    private static byte[] snapshotBody(Message m) throws Exception {
        byte[] header = m.toBuilder()
                .setSnapshot(m.getSnapshot().toBuilder().clearData())
                .build()
                .toByteArray();
        byte[] data = m.getSnapshot().getData().toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(header.length);
        d.write(header);
        d.writeLong(data.length);
        d.write(data);
        return out.toByteArray();
    }

    private static Message snap(long snapTerm, long snapIndex) {
        return Message.newBuilder()
                .setType(MessageType.MsgSnap)
                .setFrom(REMOTE)
                .setTo(LOCAL)
                .setTerm(3)
                .setSnapshot(Snapshot.newBuilder()
                        .setData(ByteString.copyFromUtf8("{}"))
                        .setMetadata(
                                SnapshotMetadata.newBuilder().setTerm(snapTerm).setIndex(snapIndex)))
                .build();
    }

    @Test
    void refusedMessagesAreAnswered400AndNeverReachRaft() throws Exception {
        Message hugeTerm = TestSupport.heartbeat(REMOTE, LOCAL, 1).toBuilder()
                .setTerm((1L << 63) + 1)
                .build();
        assertEquals(400, post("/raft", hugeTerm.toByteArray()));
        Message local = TestSupport.heartbeat(REMOTE, LOCAL, 1).toBuilder()
                .setType(MessageType.MsgHup)
                .build();
        assertEquals(400, post("/raft", local.toByteArray()));
        assertEquals(400, post("/raft", snap(2, 100).toByteArray()));
        assertEquals(400, post("/raft/snapshot", snapshotBody(snap((1L << 63) + 1, 10001))));
        assertEquals(400, post("/raft/snapshot", snapshotBody(snap(4, 10001)))); // newer than its message
        assertTrue(raft.received.isEmpty(), "raft saw: " + raft.received);

        // Well-formed ones still get through on both endpoints.
        assertEquals(204, post("/raft", TestSupport.heartbeat(REMOTE, LOCAL, 9).toByteArray()));
        assertEquals(204, post("/raft/snapshot", snapshotBody(snap(2, 100))));
        assertEquals(9, raft.received.poll(5, TimeUnit.SECONDS).getCommit());
        assertEquals(
                100,
                raft.received
                        .poll(5, TimeUnit.SECONDS)
                        .getSnapshot()
                        .getMetadata()
                        .getIndex());
    }
}
