package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.kvstore.proto.KV;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * Without TLS, a stranger (id 99, in no configuration) forges a leader's MsgApp with a term a thousand ahead,
 * carrying a key-value write and a commit index that would apply it, at every log position it can guess. Before
 * senders were checked this wrote {@code /forged} into the store of a one-node cluster; now every request is
 * refused with 404, nothing is applied, and the node keeps its leadership and serves.
 */
class NonMemberIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    @Timeout(120)
    void aNonMembersForgedAppendsAreRefusedAndNeverApplied() throws Exception {
        try (NodeProcesses c = new NodeProcesses(1).named("non-member")) {
            c.startAll();
            c.putUntilAcknowledged(1, "/k", "v", WAIT);
            ByteString forged = KV.newBuilder()
                    .setKey("/forged")
                    .setValue(ByteString.copyFromUtf8("by-a-stranger"))
                    .build()
                    .toByteString();
            URI raft = URI.create(c.addr(1).peerUrl() + "/raft");
            for (long index = 1; index <= 8; index++) {
                for (long logTerm = 1; logTerm <= 3; logTerm++) {
                    Message m = Message.newBuilder()
                            .setType(MessageType.MsgApp)
                            .setFrom(99)
                            .setTo(1)
                            .setTerm(1000)
                            .setLogTerm(logTerm)
                            .setIndex(index)
                            .setCommit(index + 1)
                            .addEntries(Entry.newBuilder()
                                    .setTerm(1000)
                                    .setIndex(index + 1)
                                    .setData(forged))
                            .build();
                    HttpResponse<String> r = c.http.send(
                            HttpRequest.newBuilder(raft)
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(m.toByteArray()))
                                    .header("X-Etcd-Cluster-ID", "1000")
                                    .header("X-Server-From", "63")
                                    .header("X-Raft-To", "1")
                                    .header("X-Server-Version", "1.0.0")
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(404, r.statusCode(), r.body());
                }
            }
            assertTrue(c.get(1, "/forged?serializable=true").startsWith("404 "));
            assertEquals(204, c.put(1, "/after", "still-leader"));
            assertEquals("200 still-leader", c.get(1, "/after"));
            String log = java.nio.file.Files.readString(c.log(1));
            assertTrue(!log.contains("at term 1000"), "the node's term moved to the stranger's");
        }
    }
}
