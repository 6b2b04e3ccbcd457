package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.EntryFactory.index;
import static org.raftexample.raft.RaftTestUtil.beat;
import static org.raftexample.raft.RaftTestUtil.data;
import static org.raftexample.raft.RaftTestUtil.expectOneMessage;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.mustAppendEntry;
import static org.raftexample.raft.RaftTestUtil.newTestConfig;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.nextEnts;
import static org.raftexample.raft.RaftTestUtil.prop;
import static org.raftexample.raft.RaftTestUtil.readMessages;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.ProgressFixtures;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * The leader's per-follower flow control: progress states (probe, replicate, snapshot),
 * pausing and resuming, in-flight limits, the uncommitted size limit, and how rejections move
 * the next index (etcd's raft_test.go, progress and append part).
 */
@Timeout(60)
class RaftProgressTest {

    private static Raft leaderOf2() {
        Raft r = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2)));
        r.becomeCandidate();
        r.becomeLeader();
        return r;
    }

    private static Progress pr(Raft r, long id) {
        return r.trk.progress().get(id);
    }

    /** Ports TestProgressLeader: the leader's own progress follows its durable log. */
    @Test
    void leaderProgressTracksDurableEntries() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2));
        Raft r = newTestRaft(1, 5, 1, s);
        r.becomeCandidate();
        r.becomeLeader();
        pr(r, 2).becomeReplicate();

        // The proposals wait in the unstable log.
        Message propMsg = prop(1, "foo");
        for (int i = 0; i < 5; i++) {
            r.step(propMsg);
        }

        assertEquals(0, pr(r, 1).match());

        List<Entry> ents = r.raftLog.nextUnstableEnts();
        assertEquals(6, ents.size());
        assertEquals(0, ents.get(0).getData().size());
        assertEquals("foo", ents.get(5).getData().toStringUtf8());

        RaftTestUtil.advanceMessagesAfterAppend(r);

        assertEquals(6, pr(r, 1).match());
        assertEquals(7, pr(r, 1).next());
    }

    /** Ports TestProgressResumeByHeartbeatResp: a heartbeat response unpauses the follower. */
    @Test
    void heartbeatResponseResumesPausedFollower() {
        Raft r = leaderOf2();

        ProgressFixtures.setMsgAppFlowPaused(pr(r, 2), true);

        r.step(beat(1));
        assertTrue(pr(r, 2).msgAppFlowPaused());

        pr(r, 2).becomeReplicate();
        assertFalse(pr(r, 2).msgAppFlowPaused());
        ProgressFixtures.setMsgAppFlowPaused(pr(r, 2), true);
        r.step(msg(2, 1, MessageType.MsgHeartbeatResp).build());
        assertFalse(pr(r, 2).msgAppFlowPaused());
    }

    /** Ports TestProgressPaused: a probing follower gets one append until it answers. */
    @Test
    void probingFollowerGetsOneAppend() {
        Raft r = leaderOf2();
        r.step(prop(1, "somedata"));
        r.step(prop(1, "somedata"));
        r.step(prop(1, "somedata"));

        assertEquals(1, readMessages(r).size());
    }

    /** Ports TestProgressFlowControl: in-flight message and byte limits shape the appends. */
    @Test
    void inflightLimitsBoundAppends() {
        Config.Builder cfg = newTestConfig(1, 5, 1, newTestMemoryStorage(withPeers(1, 2)));
        cfg.maxInflightMsgs(3);
        cfg.maxSizePerMsg(2048);
        cfg.maxInflightBytes(9000); // a little over maxInflightMsgs * maxSizePerMsg
        Raft r = Raft.newRaft(cfg.build());
        r.becomeCandidate();
        r.becomeLeader();

        // Throw away the messages of the election.
        readMessages(r);

        // While node 2 probes, propose a bunch of entries.
        pr(r, 2).becomeProbe();
        ByteString blob = ByteString.copyFromUtf8("a".repeat(1000));
        ByteString large = ByteString.copyFromUtf8("b".repeat(5000));
        for (int i = 0; i < 22; i++) {
            ByteString b = i >= 10 && i < 16 ? large : blob; // some large messages in between
            r.step(msg(1, 1, MessageType.MsgProp)
                    .addEntries(Entry.newBuilder().setData(b))
                    .build());
        }

        List<Message> ms = readMessages(r);
        // The first append holds the election's empty entry and the first proposal (only one
        // proposal: the follower probes).
        assertEquals(1, ms.size());
        assertEquals(MessageType.MsgApp, ms.get(0).getType());
        assertEquals(2, ms.get(0).getEntriesCount());
        assertEquals(0, ms.get(0).getEntries(0).getData().size());
        assertEquals(1000, ms.get(0).getEntries(1).getData().size());

        // Once acked, the follower replicates and gets several messages at once.
        long index = ackAndVerify(r, ms.get(0).getEntries(1).getIndex(), 2, 2, 2);
        // Acking all three gives three more; the third has a single large entry.
        index = ackAndVerify(r, index, 2, 1, 1);
        // Now one large entry each, capped at 2 messages by maxInflightBytes.
        index = ackAndVerify(r, index, 1, 1);
        index = ackAndVerify(r, index, 1, 1);
        // Small messages again.
        index = ackAndVerify(r, index, 1, 2, 2);
        ackAndVerify(r, index, 2);
    }

    private static long ackAndVerify(Raft r, long index, int... expEntries) {
        r.step(msg(2, 1, MessageType.MsgAppResp).setIndex(index).build());
        List<Message> ms = readMessages(r);
        assertEquals(expEntries.length, ms.size());
        for (int i = 0; i < ms.size(); i++) {
            assertEquals(MessageType.MsgApp, ms.get(i).getType(), "#" + i);
            assertEquals(expEntries[i], ms.get(i).getEntriesCount(), "#" + i);
        }
        List<Entry> last = ms.get(ms.size() - 1).getEntriesList();
        if (last.isEmpty()) {
            return index;
        }
        return last.get(last.size() - 1).getIndex();
    }

    /** Ports TestUncommittedEntryLimit: proposals beyond the uncommitted size limit are dropped. */
    @Test
    void proposalsBeyondUncommittedLimitAreDropped() {
        // Many entries, to catch a size computed before the limit check.
        int maxEntries = 1024;
        Entry testEntry = data("testdata");
        long maxEntrySize = maxEntries * EntrySizes.payloadSize(testEntry);

        assertEquals(0, EntrySizes.payloadSize(Entry.getDefaultInstance()));

        Config.Builder cfg = newTestConfig(1, 5, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        cfg.maxUncommittedEntriesSize(maxEntrySize);
        cfg.maxInflightMsgs(2 * 1024); // avoid interference
        Raft r = Raft.newRaft(cfg.build());
        r.becomeCandidate();
        r.becomeLeader();
        assertEquals(0, r.uncommittedSize);

        // Both followers replicate.
        int numFollowers = 2;
        pr(r, 2).becomeReplicate();
        pr(r, 3).becomeReplicate();
        r.uncommittedSize = 0;

        // The first maxEntries proposals are appended.
        Message propMsg = prop(1, testEntry);
        List<Entry> propEnts = new ArrayList<>();
        for (int i = 0; i < maxEntries; i++) {
            r.step(propMsg);
            propEnts.add(testEntry);
        }

        // One more is dropped.
        assertThrows(ProposalDroppedException.class, () -> r.step(propMsg));

        // Reduce the uncommitted size as if these had committed.
        List<Message> ms = readMessages(r);
        assertEquals(maxEntries * numFollowers, ms.size());
        r.reduceUncommittedSize(EntrySizes.payloadsSize(propEnts));
        assertEquals(0, r.uncommittedSize);

        // A single large proposal is accepted: the tail was under the limit before it.
        propEnts = Collections.nCopies(2 * maxEntries, testEntry);
        Message propMsgLarge =
                msg(1, 1, MessageType.MsgProp).addAllEntries(propEnts).build();
        r.step(propMsgLarge);

        // One more is dropped, again.
        assertThrows(ProposalDroppedException.class, () -> r.step(propMsg));

        // An entry without data is always accepted (a new leader's entry, leaving a joint
        // configuration).
        r.step(prop(1, Entry.getDefaultInstance()));

        // Reduce the uncommitted size as if these had committed.
        ms = readMessages(r);
        assertEquals(2 * numFollowers, ms.size());
        r.reduceUncommittedSize(EntrySizes.payloadsSize(propEnts));
        assertEquals(0, r.uncommittedSize);
    }

    /** Ports TestHandleHeartbeatResp: a heartbeat response from a lagging follower resends. */
    @Test
    void heartbeatResponseResendsToLaggingFollower() {
        MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2));
        storage.append(index(1).terms(1, 2, 3));
        Raft sm = newTestRaft(1, 5, 1, storage);
        sm.becomeCandidate();
        sm.becomeLeader();
        sm.raftLog.commitTo(sm.raftLog.lastIndex());

        // A heartbeat response from a node that is behind: resend MsgApp.
        sm.step(Message.newBuilder()
                .setFrom(2)
                .setType(MessageType.MsgHeartbeatResp)
                .build());
        List<Message> msgs = readMessages(sm);
        assertEquals(1, msgs.size());
        assertEquals(MessageType.MsgApp, msgs.get(0).getType());

        // A second heartbeat response resends again.
        sm.step(Message.newBuilder()
                .setFrom(2)
                .setType(MessageType.MsgHeartbeatResp)
                .build());
        msgs = readMessages(sm);
        assertEquals(1, msgs.size());
        assertEquals(MessageType.MsgApp, msgs.get(0).getType());

        // After an MsgAppResp, heartbeat responses no longer send MsgApp.
        sm.step(Message.newBuilder()
                .setFrom(2)
                .setType(MessageType.MsgAppResp)
                .setIndex(msgs.get(0).getIndex() + msgs.get(0).getEntriesCount())
                .build());
        // Consume the message sent in response to MsgAppResp.
        readMessages(sm);

        sm.step(Message.newBuilder()
                .setFrom(2)
                .setType(MessageType.MsgHeartbeatResp)
                .build());
        assertTrue(readMessages(sm).isEmpty());
    }

    /** Ports TestMsgAppRespWaitReset: an append response resumes a waiting follower. */
    @Test
    void appendResponseEndsProbeWait() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2, 3));
        Raft sm = newTestRaft(1, 5, 1, s);
        sm.becomeCandidate();
        sm.becomeLeader();

        // Sends the appends to 2 and 3 and appends to n1's own log.
        nextEnts(sm, s);

        // Node 2 acks the first entry, committing it.
        sm.step(Message.newBuilder()
                .setFrom(2)
                .setType(MessageType.MsgAppResp)
                .setIndex(1)
                .build());
        assertEquals(1, sm.raftLog.committed);

        // Consume the appends that update the followers' commit index.
        readMessages(sm);

        // A new proposal on node 1.
        sm.step(Message.newBuilder()
                .setFrom(1)
                .setType(MessageType.MsgProp)
                .addEntries(Entry.getDefaultInstance())
                .build());

        // It goes to node 2 only: node 3 still waits.
        List<Message> msgs = readMessages(sm);
        assertEquals(1, msgs.size());
        assertEquals(MessageType.MsgApp, msgs.get(0).getType());
        assertEquals(2, msgs.get(0).getTo());
        assertEquals(1, msgs.get(0).getEntriesCount());
        assertEquals(2, msgs.get(0).getEntries(0).getIndex());

        // Node 3 acks the first entry, which releases the wait: entry 2 goes out.
        sm.step(Message.newBuilder()
                .setFrom(3)
                .setType(MessageType.MsgAppResp)
                .setIndex(1)
                .build());
        msgs = readMessages(sm);
        assertEquals(1, msgs.size());
        assertEquals(MessageType.MsgApp, msgs.get(0).getType());
        assertEquals(3, msgs.get(0).getTo());
        assertEquals(1, msgs.get(0).getEntriesCount());
        assertEquals(2, msgs.get(0).getEntries(0).getIndex());
    }

    /** Ports TestLeaderAppResp: how acks and rejections move match, next and commit. */
    @Test
    void leaderHandlesAppendResponses() {
        // Initial progress: match = 0, next = 3.
        record Case(long index, boolean reject, long wmatch, long wnext, int wmsgNum, long windex, long wcommitted) {}
        List<Case> tests = List.of(
                new Case(3, true, 0, 3, 0, 0, 0), // stale resp; no replies
                new Case(2, true, 0, 2, 1, 1, 0), // denied resp; leader does not commit; decrease next and probe
                new Case(2, false, 2, 4, 2, 2, 2), // accept resp; leader commits; broadcast with commit index
                // A probing follower acks 0 (its match): it moves to replicate and gets
                // everything (1, 2 and 3), so next becomes 4.
                new Case(0, false, 0, 4, 1, 0, 0));

        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            // The leader's term is 1, so the last log term must be 1 to commit.
            Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
            sm.raftLog = RaftLog.newLog(MemoryStorage.withEntries(index(0).terms(0, 1, 1)), null);
            sm.becomeCandidate();
            sm.becomeLeader();
            readMessages(sm);
            sm.step(Message.newBuilder()
                    .setFrom(2)
                    .setType(MessageType.MsgAppResp)
                    .setIndex(tt.index())
                    .setTerm(sm.term)
                    .setReject(tt.reject())
                    .setRejectHint(tt.index())
                    .build());

            Progress p = pr(sm, 2);
            assertEquals(tt.wmatch(), p.match(), "#" + i);
            assertEquals(tt.wnext(), p.next(), "#" + i);

            List<Message> msgs = readMessages(sm);
            assertEquals(tt.wmsgNum(), msgs.size(), "#" + i);
            for (Message m : msgs) {
                assertEquals(tt.windex(), m.getIndex(), Util.describeMessage(m, null));
                assertEquals(tt.wcommitted(), m.getCommit(), Util.describeMessage(m, null));
            }
        }
    }

    /** Ports TestLeaderIncreaseNext: next moves optimistically only when replicating. */
    @Test
    void nextAdvancesOptimisticallyOnlyWhenReplicating() {
        List<Entry> previousEnts = index(1).terms(1, 2, 3);
        record Case(org.raftexample.raft.tracker.ProgressState state, long next, long wnext) {}
        List<Case> tests = List.of(
                // Replicating: previous entries + empty entry + proposal + 1.
                new Case(org.raftexample.raft.tracker.ProgressState.StateReplicate, 2, previousEnts.size() + 1 + 1 + 1),
                // Probing: next stays.
                new Case(org.raftexample.raft.tracker.ProgressState.StateProbe, 2, 2));

        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
            sm.raftLog.append(previousEnts);
            sm.becomeCandidate();
            sm.becomeLeader();
            ProgressFixtures.setState(pr(sm, 2), tt.state());
            ProgressFixtures.setNext(pr(sm, 2), tt.next());
            sm.step(prop(1, "somedata"));

            assertEquals(tt.wnext(), pr(sm, 2).next(), "#" + i);
        }
    }

    /** Ports TestSendAppendForProgressProbe: a probing follower gets one append per heartbeat response. */
    @Test
    void probingFollowerGetsOneAppendPerHeartbeatResponse() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        r.becomeCandidate();
        r.becomeLeader();
        readMessages(r);
        pr(r, 2).becomeProbe();

        // Each round is a heartbeat.
        for (int i = 0; i < 3; i++) {
            if (i == 0) {
                // Only one append goes out in the first round; then the follower is paused
                // until a heartbeat response arrives.
                mustAppendEntry(r, data("somedata"));
                r.sendAppend(2);
                List<Message> msg = readMessages(r);
                assertEquals(1, msg.size());
                assertEquals(0, msg.get(0).getIndex());
            }

            assertTrue(pr(r, 2).msgAppFlowPaused());
            for (int j = 0; j < 10; j++) {
                mustAppendEntry(r, data("somedata"));
                r.sendAppend(2);
                assertTrue(readMessages(r).isEmpty());
            }

            // A heartbeat.
            for (int j = 0; j < r.heartbeatTimeout; j++) {
                r.step(beat(1));
            }
            assertTrue(pr(r, 2).msgAppFlowPaused());

            // Consume the heartbeat.
            List<Message> msg = readMessages(r);
            assertEquals(1, msg.size());
            assertEquals(MessageType.MsgHeartbeat, msg.get(0).getType());
        }

        // A heartbeat response lets one more message out.
        r.step(msg(2, 1, MessageType.MsgHeartbeatResp).build());
        List<Message> msg = readMessages(r);
        assertEquals(1, msg.size());
        assertEquals(0, msg.get(0).getIndex());
        assertTrue(pr(r, 2).msgAppFlowPaused());
    }

    /** Ports TestSendAppendForProgressReplicate: a replicating follower gets every append. */
    @Test
    void replicatingFollowerGetsEveryAppend() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        r.becomeCandidate();
        r.becomeLeader();
        readMessages(r);
        pr(r, 2).becomeReplicate();

        for (int i = 0; i < 10; i++) {
            mustAppendEntry(r, data("somedata"));
            r.sendAppend(2);
            assertEquals(1, readMessages(r).size(), "#" + i);
        }
    }

    /** Ports TestSendAppendForProgressSnapshot: a follower receiving a snapshot gets no appends. */
    @Test
    void followerInSnapshotStateGetsNoAppends() {
        Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        r.becomeCandidate();
        r.becomeLeader();
        readMessages(r);
        pr(r, 2).becomeSnapshot(10);

        for (int i = 0; i < 10; i++) {
            mustAppendEntry(r, data("somedata"));
            r.sendAppend(2);
            assertTrue(readMessages(r).isEmpty(), "#" + i);
        }
    }

    /** Ports TestRecvMsgUnreachable: an unreachable replicating follower goes back to probing. */
    @Test
    void unreachableFollowerGoesBackToProbe() {
        List<Entry> previousEnts = index(1).terms(1, 2, 3);
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2));
        s.append(previousEnts);
        Raft r = newTestRaft(1, 10, 1, s);
        r.becomeCandidate();
        r.becomeLeader();
        readMessages(r);
        // Node 2 replicates.
        ProgressFixtures.setMatch(pr(r, 2), 3);
        pr(r, 2).becomeReplicate();
        ProgressFixtures.setNext(pr(r, 2), 6);

        r.step(msg(2, 1, MessageType.MsgUnreachable).build());

        assertEquals(org.raftexample.raft.tracker.ProgressState.StateProbe, pr(r, 2).state());
        assertEquals(pr(r, 2).match() + 1, pr(r, 2).next());
    }

    /** Ports TestFastLogRejection: rejection hints skip whole terms on both sides. */
    @Test
    void rejectionHintsFindConflictQuickly() {
        record Case(
                List<Entry> leaderLog,
                List<Entry> followerLog,
                long followerCompact,
                long rejectHintTerm,
                long rejectHintIndex,
                long nextAppendTerm,
                long nextAppendIndex) {}
        List<Case> tests = List.of(
                // The leader finds the conflict quickly: it appends (index 7, logTerm 4), then
                // after the rejection (index 3, logTerm 2).
                new Case(
                        index(1).terms(1, 2, 2, 4, 4, 4, 4),
                        index(1).terms(1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3),
                        0,
                        3,
                        7,
                        2,
                        3),
                // (index 8, logTerm 5), then (index 4, logTerm 3).
                new Case(
                        index(1).terms(1, 2, 2, 3, 4, 4, 4, 5),
                        index(1).terms(1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3),
                        0,
                        3,
                        8,
                        3,
                        4),
                // The follower finds the conflict quickly: (index 4, logTerm 1), then
                // (index 1, logTerm 1).
                new Case(index(1).terms(1, 1, 1, 1), index(1).terms(1, 2, 2, 4), 0, 1, 1, 1, 1),
                // As above, with a longer uncommitted tail on the leader.
                new Case(index(1).terms(1, 1, 1, 1, 1, 1), index(1).terms(1, 2, 2, 4), 0, 1, 1, 1, 1),
                // As above, with a longer uncommitted tail on the follower.
                new Case(index(1).terms(1, 1, 1, 1), index(1).terms(1, 2, 2, 4, 4, 4), 0, 1, 1, 1, 1),
                // No conflict: (index 5, logTerm 5), then (index 4, logTerm 4).
                new Case(index(1).terms(1, 1, 1, 4, 5), index(1).terms(1, 1, 1, 4), 0, 4, 4, 4, 4),
                // The example of the leader-side comment in raft.go.
                new Case(index(1).terms(2, 5, 5, 5, 5, 5, 5, 5, 5), index(1).terms(2, 4, 4, 4, 4, 4), 0, 4, 6, 2, 1),
                // The example of the follower-side comment in raft.go.
                new Case(index(1).terms(2, 2, 2, 2, 2), index(1).terms(2, 4, 4, 4, 4, 4, 4, 4), 0, 2, 1, 2, 1),
                // A stale append (index 3, logTerm 3) reaches a follower that compacted past
                // index 3: it rejects with index 3 and logTerm 0, and the leader steps back by
                // one entry (index 2, logTerm 1).
                new Case(index(1).terms(1, 1, 3), index(1).terms(1, 1, 3, 3, 3), 5, 0, 3, 1, 2));

        for (int i = 0; i < tests.size(); i++) {
            Case test = tests.get(i);
            String ctx = "#" + i;
            MemoryStorage s1 = newTestMemoryStorage(withPeers(1, 2, 3));
            s1.append(test.leaderLog());
            Entry last = test.leaderLog().get(test.leaderLog().size() - 1);
            s1.setHardState(HardState.newBuilder()
                    .setTerm(last.getTerm() - 1)
                    .setCommit(last.getIndex())
                    .build());
            Raft n1 = newTestRaft(1, 10, 1, s1);
            n1.becomeCandidate(); // bumps the term to last.getTerm()
            n1.becomeLeader();

            MemoryStorage s2 = newTestMemoryStorage(withPeers(1, 2, 3));
            s2.append(test.followerLog());
            s2.setHardState(HardState.newBuilder()
                    .setTerm(last.getTerm())
                    .setVote(1)
                    .setCommit(0)
                    .build());
            Raft n2 = newTestRaft(2, 10, 1, s2);
            if (test.followerCompact() != 0) {
                // Not a realistic state (the commit index is still 0): exercises an edge case
                // that should not happen, in case it does some other way.
                s2.compact(test.followerCompact());
            }

            n2.step(msg(1, 2, MessageType.MsgHeartbeat).build());
            List<Message> msgs = readMessages(n2);
            assertEquals(1, msgs.size(), ctx + ": can't read 1 message from peer 2");
            assertEquals(MessageType.MsgHeartbeatResp, msgs.get(0).getType(), ctx);

            n1.step(msgs.get(0));
            msgs = readMessages(n1);
            assertEquals(1, msgs.size(), ctx + ": can't read 1 message from peer 1");
            assertEquals(MessageType.MsgApp, msgs.get(0).getType(), ctx);

            n2.step(msgs.get(0));
            msgs = readMessages(n2);
            assertEquals(1, msgs.size(), ctx + ": can't read 1 message from peer 2");
            assertEquals(MessageType.MsgAppResp, msgs.get(0).getType(), ctx);
            assertTrue(msgs.get(0).getReject(), ctx + ": expected rejected append response from peer 2");
            assertEquals(test.rejectHintTerm(), msgs.get(0).getLogTerm(), ctx + ": hint log term mismatch");
            assertEquals(test.rejectHintIndex(), msgs.get(0).getRejectHint(), ctx + ": hint log index mismatch");

            n1.step(msgs.get(0));
            msgs = readMessages(n1);
            assertEquals(test.nextAppendTerm(), msgs.get(0).getLogTerm(), ctx);
            assertEquals(test.nextAppendIndex(), msgs.get(0).getIndex(), ctx);
        }
    }

    /** Ports TestLogReplicationWithReorderedMessage: a late rejection below match resends from match. */
    @Test
    void lateRejectionBelowMatchResendsFromMatch() {
        Raft r1 = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2)));
        r1.becomeCandidate();
        r1.becomeLeader();
        readMessages(r1);
        pr(r1, 2).becomeReplicate();

        Raft r2 = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1, 2)));

        // r1 sends two appends to r2.
        mustAppendEntry(r1, data("somedata"));
        r1.sendAppend(2);
        Message req1 = expectOneMessage(r1);
        mustAppendEntry(r1, data("somedata"));
        r1.sendAppend(2);
        Message req2 = expectOneMessage(r1);

        // r2 receives the second first, and rejects it.
        r2.step(req2);
        Message resp2 = expectOneMessage(r2);
        assertTrue(resp2.getReject());
        assertEquals(0, resp2.getRejectHint());
        assertEquals(2, resp2.getIndex());

        // r2 handles the first; r1 updates the match.
        r2.step(req1);
        Message m = expectOneMessage(r2);
        assertFalse(m.getReject());
        assertEquals(2, m.getIndex());
        r1.step(m);
        expectOneMessage(r1);
        assertEquals(2, pr(r1, 2).match());

        // A transient network issue: r1 probes r2.
        r1.step(msg(2, 1, MessageType.MsgUnreachable).build());
        assertEquals(
                org.raftexample.raft.tracker.ProgressState.StateProbe, pr(r1, 2).state());

        // The delayed rejection arrives: r1 resends from match, although the hint is lower.
        r1.step(resp2);
        m = expectOneMessage(r1);
        assertEquals(pr(r1, 2).match(), m.getIndex());
    }
}
