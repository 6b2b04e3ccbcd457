package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.EntryFactory.index;
import static org.raftexample.raft.Network.NOP_STEPPER;
import static org.raftexample.raft.Network.newNetwork;
import static org.raftexample.raft.RaftTestUtil.beat;
import static org.raftexample.raft.RaftTestUtil.confChangeV2;
import static org.raftexample.raft.RaftTestUtil.diffu;
import static org.raftexample.raft.RaftTestUtil.hup;
import static org.raftexample.raft.RaftTestUtil.ltoa;
import static org.raftexample.raft.RaftTestUtil.ltoaOfEntries;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.mustAppendEntry;
import static org.raftexample.raft.RaftTestUtil.newTestConfig;
import static org.raftexample.raft.RaftTestUtil.newTestLearnerRaft;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.nextEnts;
import static org.raftexample.raft.RaftTestUtil.prop;
import static org.raftexample.raft.RaftTestUtil.readMessages;
import static org.raftexample.raft.RaftTestUtil.setRandomizedElectionTimeout;
import static org.raftexample.raft.RaftTestUtil.withLearners;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raft.tracker.Progress;
import org.raftexample.raft.tracker.ProgressFixtures;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * Log replication and commitment: proposals, appends and their handling on followers,
 * heartbeats, and when entries commit (etcd's raft_test.go, replication part).
 */
@Timeout(60)
class RaftReplicationTest {

    private static final ByteString SOMEDATA = ByteString.copyFromUtf8("somedata");

    /** The log every peer should hold after electing 1 at term 1 and proposing {@code data}. */
    private static String logAfterOneProposal(ByteString data) {
        return ltoaOfEntries(List.of(
                Entry.getDefaultInstance(),
                Entry.newBuilder().setTerm(1).setIndex(1).build(),
                Entry.newBuilder().setTerm(1).setIndex(2).setData(data).build()));
    }

    /** Ports TestLogReplication. */
    @Test
    void proposalsReplicateToAllPeers() {
        record Case(Network network, List<Message> msgs, long wcommitted) {}
        List<Case> tests = List.of(
                new Case(newNetwork(null, null, null), List.of(prop(1, "somedata")), 2),
                new Case(
                        newNetwork(null, null, null),
                        List.of(
                                prop(1, "somedata"),
                                msg(1, 2, MessageType.MsgHup).build(),
                                msg(1, 2, MessageType.MsgProp)
                                        .addEntries(RaftTestUtil.data("somedata"))
                                        .build()),
                        4));

        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            tt.network().send(hup(1));
            for (Message m : tt.msgs()) {
                tt.network().send(m);
            }

            for (long j = 1; j <= 3; j++) {
                Raft sm = tt.network().raft(j);
                assertEquals(tt.wcommitted(), sm.raftLog.committed, "#" + i + "." + j);

                List<Entry> ents = new ArrayList<>();
                for (Entry e : nextEnts(sm, tt.network().storage.get(j))) {
                    if (e.hasData()) {
                        ents.add(e);
                    }
                }
                List<Message> props = tt.msgs().stream()
                        .filter(m -> m.getType() == MessageType.MsgProp)
                        .toList();
                for (int k = 0; k < props.size(); k++) {
                    assertEquals(
                            props.get(k).getEntries(0).getData(), ents.get(k).getData(), "#" + i + "." + j);
                }
            }
        }
    }

    /** Ports TestLearnerLogReplication: a learner receives the leader's entries. */
    @Test
    void learnerReceivesEntries() {
        MemoryStorage s1 = newTestMemoryStorage(withPeers(1), withLearners(2));
        Raft n1 = newTestLearnerRaft(1, 10, 1, s1);
        Raft n2 = newTestLearnerRaft(2, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        Network nt = newNetwork(n1, n2);

        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);

        setRandomizedElectionTimeout(n1, n1.electionTimeout);
        for (int i = 0; i < n1.electionTimeout; i++) {
            n1.tick();
        }
        RaftTestUtil.advanceMessagesAfterAppend(n1);

        nt.send(beat(1));

        // n1 is leader and n2 is learner.
        assertEquals(StateType.StateLeader, n1.state);
        assertTrue(n2.isLearner);

        long nextCommitted = 2;
        nt.send(prop(1, "somedata"));

        assertEquals(nextCommitted, n1.raftLog.committed);
        assertEquals(n1.raftLog.committed, n2.raftLog.committed);
        assertEquals(n2.raftLog.committed, n1.trk.progress().get(2L).match());
    }

    /** Ports TestSingleNodeCommit. */
    @Test
    void singleNodeCommitsItsProposals() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1));
        Raft r = Raft.newRaft(newTestConfig(1, 10, 1, s).build());
        Network tt = newNetwork(r);
        tt.send(hup(1));
        tt.send(prop(1, "some data"));
        tt.send(prop(1, "some data"));

        assertEquals(3, tt.raft(1).raftLog.committed);
    }

    /**
     * Ports TestCannotCommitWithoutNewTermEntry: entries of a previous term do not commit when
     * the new leader's own entry cannot be replicated.
     */
    @Test
    void entriesOfPreviousTermNeedNewTermEntryToCommit() {
        Network tt = newNetwork(null, null, null, null, null);
        tt.send(hup(1));

        // 1 cannot reach 3, 4, 5.
        tt.cut(1, 3);
        tt.cut(1, 4);
        tt.cut(1, 5);

        tt.send(prop(1, "some data"));
        tt.send(prop(1, "some data"));

        Raft sm = tt.raft(1);
        assertEquals(1, sm.raftLog.committed);

        // Network recovery, but the new leader's entry does not get out.
        tt.recover();
        tt.ignore(MessageType.MsgApp);

        // Elect 2 at term 2.
        tt.send(hup(2));

        // No entry of the previous term is committed.
        sm = tt.raft(2);
        assertEquals(1, sm.raftLog.committed);

        tt.recover();
        // A heartbeat resets the wait.
        tt.send(beat(2));
        // An entry at the current term commits everything.
        tt.send(prop(2, "some data"));
        assertEquals(5, sm.raftLog.committed);
    }

    /** Ports TestCommitWithoutNewTermEntry: the new leader's empty entry commits the old ones. */
    @Test
    void newLeaderEmptyEntryCommitsPreviousTerm() {
        Network tt = newNetwork(null, null, null, null, null);
        tt.send(hup(1));

        // 1 cannot reach 3, 4, 5.
        tt.cut(1, 3);
        tt.cut(1, 4);
        tt.cut(1, 5);

        tt.send(prop(1, "some data"));
        tt.send(prop(1, "some data"));

        Raft sm = tt.raft(1);
        assertEquals(1, sm.raftLog.committed);

        tt.recover();

        // Electing 2 at term 2 appends its empty entry, which commits everything.
        tt.send(hup(2));

        assertEquals(4, sm.raftLog.committed);
    }

    /** Ports TestOldMessages: an append of an old leader is ignored. */
    @Test
    void appendFromOldTermIsIgnored() {
        Network tt = newNetwork(null, null, null);
        // Make 1 leader at term 3.
        tt.send(hup(1));
        tt.send(hup(2));
        tt.send(hup(1));
        // An old leader trying to make progress; ignored.
        tt.send(msg(2, 1, MessageType.MsgApp)
                .setTerm(2)
                .addAllEntries(index(3).terms(2))
                .build());
        // Commit a new entry.
        tt.send(prop(1, "somedata"));

        List<Entry> ents = new ArrayList<>(index(0).terms(0, 1, 2, 3, 3));
        ents.set(4, ents.get(4).toBuilder().setData(SOMEDATA).build());
        String base = ltoaOfEntries(ents);
        for (long id = 1; id <= 3; id++) {
            assertEquals("", diffu(base, ltoa(tt.raft(id).raftLog)), "#" + id);
        }
    }

    /** Ports TestProposal: a proposal succeeds only with a quorum. */
    @Test
    void proposalCommitsOnlyWithQuorum() {
        record Case(Network network, boolean success) {}
        List<Case> tests = List.of(
                new Case(newNetwork(null, null, null), true),
                new Case(newNetwork(null, null, NOP_STEPPER), true),
                new Case(newNetwork(null, NOP_STEPPER, NOP_STEPPER), false),
                new Case(newNetwork(null, NOP_STEPPER, NOP_STEPPER, null), false),
                new Case(newNetwork(null, NOP_STEPPER, NOP_STEPPER, null, null), true));

        for (int j = 0; j < tests.size(); j++) {
            Case tt = tests.get(j);
            // Promote 1 to leader and propose.
            tt.network().send(hup(1));
            tt.network().send(prop(1, "somedata"));
            Raft r = tt.network().raft(1);

            String base =
                    tt.success() ? logAfterOneProposal(SOMEDATA) : ltoa(RaftLog.newLog(new MemoryStorage(), null));
            for (Map.Entry<Long, Network.StateMachine> p : tt.network().peers.entrySet()) {
                if (p.getValue() instanceof Network.RaftPeer rp) {
                    assertEquals("", diffu(base, ltoa(rp.raft().raftLog)), "#" + j + ", peer " + p.getKey());
                }
            }
            assertEquals(1, r.term, "#" + j);
        }
    }

    /** Ports TestProposalByProxy: a follower forwards proposals to the leader. */
    @Test
    void followerForwardsProposalToLeader() {
        List<Network> tests = List.of(newNetwork(null, null, null), newNetwork(null, null, NOP_STEPPER));

        for (int j = 0; j < tests.size(); j++) {
            Network tt = tests.get(j);
            // Promote 1 to leader.
            tt.send(hup(1));
            // Propose via follower.
            tt.send(prop(2, "somedata"));

            String base = logAfterOneProposal(SOMEDATA);
            for (Map.Entry<Long, Network.StateMachine> p : tt.peers.entrySet()) {
                if (p.getValue() instanceof Network.RaftPeer rp) {
                    assertEquals("", diffu(base, ltoa(rp.raft().raftLog)), "#" + j + "." + p.getKey());
                }
            }
            assertEquals(1, tt.raft(1).term, "#" + j);
        }
    }

    /** Ports TestCommit: a quorum match at the leader's term commits. */
    @Test
    void commitRequiresQuorumAtCurrentTerm() {
        record Case(long[] matches, List<Entry> logs, long smTerm, long w) {}
        List<Case> tests = List.of(
                // single
                new Case(new long[] {1}, index(1).terms(1), 1, 1),
                new Case(new long[] {1}, index(1).terms(1), 2, 0),
                new Case(new long[] {2}, index(1).terms(1, 2), 2, 2),
                new Case(new long[] {1}, index(1).terms(2), 2, 1),

                // odd
                new Case(new long[] {2, 1, 1}, index(1).terms(1, 2), 1, 1),
                new Case(new long[] {2, 1, 1}, index(1).terms(1, 1), 2, 0),
                new Case(new long[] {2, 1, 2}, index(1).terms(1, 2), 2, 2),
                new Case(new long[] {2, 1, 2}, index(1).terms(1, 1), 2, 0),

                // even
                new Case(new long[] {2, 1, 1, 1}, index(1).terms(1, 2), 1, 1),
                new Case(new long[] {2, 1, 1, 1}, index(1).terms(1, 1), 2, 0),
                new Case(new long[] {2, 1, 1, 2}, index(1).terms(1, 2), 1, 1),
                new Case(new long[] {2, 1, 1, 2}, index(1).terms(1, 1), 2, 0),
                new Case(new long[] {2, 1, 2, 2}, index(1).terms(1, 2), 2, 2),
                new Case(new long[] {2, 1, 2, 2}, index(1).terms(1, 1), 2, 0));

        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            MemoryStorage storage = newTestMemoryStorage(withPeers(1));
            storage.append(tt.logs());
            storage.setHardState(HardState.newBuilder().setTerm(tt.smTerm()).build());

            Raft sm = newTestRaft(1, 10, 2, storage);
            for (int j = 0; j < tt.matches().length; j++) {
                long id = j + 1;
                if (id > 1) {
                    sm.applyConfChange(confChangeV2(ConfChangeType.ConfChangeAddNode, id));
                }
                Progress pr = sm.trk.progress().get(id);
                ProgressFixtures.setMatch(pr, tt.matches()[j]);
                ProgressFixtures.setNext(pr, tt.matches()[j] + 1);
            }
            sm.maybeCommit();
            assertEquals(tt.w(), sm.raftLog.committed, "#" + i);
        }
    }

    /**
     * Ports TestHandleMsgApp: a follower rejects an append whose previous entry does not match,
     * replaces conflicting entries, and commits up to min(leader commit, last new entry).
     */
    @Test
    void followerHandlesAppend() {
        record Case(Message m, long wIndex, long wCommit, boolean wReject) {}
        List<Case> tests = List.of(
                // Reply false if the entry at prevLogIndex does not match prevLogTerm.
                new Case(app(2, 3, 2, 3), 2, 0, true), // previous log mismatch
                new Case(app(2, 3, 3, 3), 2, 0, true), // previous log non-exist

                // Conflicting entries are replaced; new ones appended.
                new Case(app(2, 1, 1, 1), 2, 1, false),
                new Case(app(2, 0, 0, 1, index(1).terms(2)), 1, 1, false),
                new Case(app(2, 2, 2, 3, index(3).terms(2, 2)), 4, 3, false),
                new Case(app(2, 2, 2, 4, index(3).terms(2)), 3, 3, false),
                new Case(app(2, 1, 1, 4, index(2).terms(2)), 2, 2, false),

                // Commit up to min(leaderCommit, index of last new entry).
                new Case(app(1, 1, 1, 3), 2, 1, false), // match entry 1, commit up to last new entry 1
                new Case(
                        app(1, 1, 1, 3, index(2).terms(2)),
                        2,
                        2,
                        false), // match entry 1, commit up to last new entry 2
                new Case(app(2, 2, 2, 3), 2, 2, false), // match entry 2, commit up to last new entry 2
                new Case(app(2, 2, 2, 4), 2, 2, false)); // commit up to log.last()

        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            MemoryStorage storage = newTestMemoryStorage(withPeers(1));
            storage.append(index(1).terms(1, 2));
            Raft sm = newTestRaft(1, 10, 1, storage);
            sm.becomeFollower(2, Raft.NONE);

            sm.handleAppendEntries(tt.m());
            assertEquals(tt.wIndex(), sm.raftLog.lastIndex(), "#" + i);
            assertEquals(tt.wCommit(), sm.raftLog.committed, "#" + i);
            List<Message> m = readMessages(sm);
            assertEquals(1, m.size(), "#" + i);
            assertEquals(tt.wReject(), m.get(0).getReject(), "#" + i);
        }
    }

    private static Message app(long term, long logTerm, long index, long commit) {
        return app(term, logTerm, index, commit, List.of());
    }

    private static Message app(long term, long logTerm, long index, long commit, List<Entry> ents) {
        return Message.newBuilder()
                .setType(MessageType.MsgApp)
                .setTerm(term)
                .setLogTerm(logTerm)
                .setIndex(index)
                .setCommit(commit)
                .addAllEntries(ents)
                .build();
    }

    /** Ports TestHandleHeartbeat: a follower commits to the heartbeat's commit, never backwards. */
    @Test
    void followerCommitsToHeartbeatCommit() {
        long commit = 2;
        record Case(Message m, long wCommit) {}
        List<Case> tests = List.of(
                new Case(
                        msg(2, 1, MessageType.MsgHeartbeat)
                                .setTerm(2)
                                .setCommit(commit + 1)
                                .build(),
                        commit + 1),
                // Do not decrease the commit index.
                new Case(
                        msg(2, 1, MessageType.MsgHeartbeat)
                                .setTerm(2)
                                .setCommit(commit - 1)
                                .build(),
                        commit));

        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2));
            storage.append(index(1).terms(1, 2, 3));
            Raft sm = newTestRaft(1, 5, 1, storage);
            sm.becomeFollower(2, 2);
            sm.raftLog.commitTo(commit);
            sm.handleHeartbeat(tt.m());
            assertEquals(tt.wCommit(), sm.raftLog.committed, "#" + i);
            List<Message> m = readMessages(sm);
            assertEquals(1, m.size(), "#" + i);
            assertEquals(MessageType.MsgHeartbeatResp, m.get(0).getType(), "#" + i);
        }
    }

    /** Ports TestLeaderMsgAppSelfAckAfterTermChange: a stale self-ack is ignored. */
    @Test
    void leaderSelfAckOfOldTermIsIgnored() {
        Raft sm = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        sm.becomeCandidate();
        sm.becomeLeader();

        // n1 proposes a write.
        sm.step(prop(1, "somedata"));
        List<Message> steps = RaftTestUtil.takeMessagesAfterAppend(sm);

        // n1 hears n2 is the new leader.
        sm.step(msg(2, 1, MessageType.MsgHeartbeat).setTerm(sm.term + 1).build());
        assertEquals(StateType.StateFollower, sm.state);

        // Its earlier self-ack carries an old term and is ignored.
        RaftTestUtil.stepOrSend(sm, steps);
        assertEquals(StateType.StateFollower, sm.state);
    }

    /** Ports TestBcastBeat: heartbeats carry no entries and a commit bounded by each match. */
    @Test
    void heartbeatCarriesCommitBoundedByMatch() {
        long offset = 1000;
        // A state machine with log offset 1000.
        Snapshot s = Snapshot.newBuilder()
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setIndex(offset)
                        .setTerm(1)
                        .setConfState(
                                ConfState.newBuilder().addVoters(1).addVoters(2).addVoters(3)))
                .build();
        MemoryStorage storage = new MemoryStorage();
        storage.applySnapshot(s);
        Raft sm = newTestRaft(1, 10, 1, storage);
        sm.term = 1;

        sm.becomeCandidate();
        sm.becomeLeader();
        for (int i = 0; i < 10; i++) {
            mustAppendEntry(sm, Entry.newBuilder().setIndex(i + 1).build());
        }
        RaftTestUtil.advanceMessagesAfterAppend(sm);

        // A slow follower...
        ProgressFixtures.setMatch(sm.trk.progress().get(2L), 5);
        ProgressFixtures.setNext(sm.trk.progress().get(2L), 6);
        // ...and an up-to-date one.
        ProgressFixtures.setMatch(sm.trk.progress().get(3L), sm.raftLog.lastIndex());
        ProgressFixtures.setNext(sm.trk.progress().get(3L), sm.raftLog.lastIndex() + 1);

        sm.step(Message.newBuilder().setType(MessageType.MsgBeat).build());
        List<Message> msgs = readMessages(sm);
        assertEquals(2, msgs.size());

        Map<Long, Long> wantCommitMap = new HashMap<>();
        wantCommitMap.put(
                2L, Math.min(sm.raftLog.committed, sm.trk.progress().get(2L).match()));
        wantCommitMap.put(
                3L, Math.min(sm.raftLog.committed, sm.trk.progress().get(3L).match()));
        for (int i = 0; i < msgs.size(); i++) {
            Message m = msgs.get(i);
            assertEquals(MessageType.MsgHeartbeat, m.getType(), "#" + i);
            assertEquals(0, m.getIndex(), "#" + i);
            assertEquals(0, m.getLogTerm(), "#" + i);
            Long commit = wantCommitMap.remove(m.getTo());
            assertTrue(commit != null, "#" + i);
            assertEquals(commit, m.getCommit(), "#" + i);
            assertEquals(0, m.getEntriesCount(), "#" + i);
        }
    }

    /** Ports TestRecvMsgBeat: only a leader answers MsgBeat, with heartbeats. */
    @Test
    void onlyLeaderBroadcastsHeartbeatOnBeat() {
        record Case(StateType state, int wMsg) {}
        List<Case> tests = List.of(
                new Case(StateType.StateLeader, 2),
                // Candidates and followers ignore MsgBeat.
                new Case(StateType.StateCandidate, 0),
                new Case(StateType.StateFollower, 0));

        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
            sm.raftLog = RaftLog.newLog(MemoryStorage.withEntries(index(0).terms(0, 1, 1)), null);
            sm.term = 1;
            sm.state = tt.state();
            sm.step = switch (tt.state()) {
                case StateFollower -> Raft::stepFollower;
                case StateCandidate -> Raft::stepCandidate;
                case StateLeader -> Raft::stepLeader;
                default -> throw new IllegalStateException();
            };
            sm.step(beat(1));

            List<Message> msgs = readMessages(sm);
            assertEquals(tt.wMsg(), msgs.size(), "#" + i);
            for (Message m : msgs) {
                assertEquals(MessageType.MsgHeartbeat, m.getType(), "#" + i);
            }
        }
    }
}
