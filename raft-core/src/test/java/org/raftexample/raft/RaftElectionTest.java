package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.EntryFactory.index;
import static org.raftexample.raft.Network.NOP_STEPPER;
import static org.raftexample.raft.Network.newNetwork;
import static org.raftexample.raft.Network.newNetworkWithConfig;
import static org.raftexample.raft.RaftTestUtil.beat;
import static org.raftexample.raft.RaftTestUtil.confChangeV2;
import static org.raftexample.raft.RaftTestUtil.diffu;
import static org.raftexample.raft.RaftTestUtil.entsWithConfig;
import static org.raftexample.raft.RaftTestUtil.hup;
import static org.raftexample.raft.RaftTestUtil.ltoa;
import static org.raftexample.raft.RaftTestUtil.ltoaOfEntries;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.newTestConfig;
import static org.raftexample.raft.RaftTestUtil.newTestLearnerRaft;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.prop;
import static org.raftexample.raft.RaftTestUtil.readMessages;
import static org.raftexample.raft.RaftTestUtil.setRandomizedElectionTimeout;
import static org.raftexample.raft.RaftTestUtil.stepOrSend;
import static org.raftexample.raft.RaftTestUtil.takeMessagesAfterAppend;
import static org.raftexample.raft.RaftTestUtil.votedWithConfig;
import static org.raftexample.raft.RaftTestUtil.withLearners;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.ConfChangeType;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * Elections: who wins, who steps down, which votes are granted, and the role transitions a
 * single node goes through (etcd's raft_test.go, election part).
 */
@Timeout(60)
class RaftElectionTest {

    private static Raft raft3(long id) {
        return newTestRaft(id, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
    }

    /** Ports TestLeaderElection. */
    @Test
    void leaderElection() {
        leaderElection(false);
    }

    /** Ports TestLeaderElectionPreVote. */
    @Test
    void leaderElectionWithPreVote() {
        leaderElection(true);
    }

    private void leaderElection(boolean preVote) {
        Consumer<Config.Builder> cfg = null;
        StateType candState = StateType.StateCandidate;
        long candTerm = 1;
        if (preVote) {
            cfg = RaftTestUtil::preVoteConfig;
            // An unfinished pre-vote election leaves the node a pre-candidate at the old term.
            candState = StateType.StatePreCandidate;
            candTerm = 0;
        }
        record Case(Network network, StateType state, long expTerm) {}
        List<Case> tests = List.of(
                new Case(newNetworkWithConfig(cfg, null, null, null), StateType.StateLeader, 1),
                new Case(newNetworkWithConfig(cfg, null, null, NOP_STEPPER), StateType.StateLeader, 1),
                new Case(newNetworkWithConfig(cfg, null, NOP_STEPPER, NOP_STEPPER), candState, candTerm),
                new Case(newNetworkWithConfig(cfg, null, NOP_STEPPER, NOP_STEPPER, null), candState, candTerm),
                new Case(
                        newNetworkWithConfig(cfg, null, NOP_STEPPER, NOP_STEPPER, null, null),
                        StateType.StateLeader,
                        1),
                // Three logs further along than 0, but in the same term, so rejections come back
                // instead of the votes being ignored.
                new Case(
                        newNetworkWithConfig(
                                cfg,
                                null,
                                entsWithConfig(cfg, 1),
                                entsWithConfig(cfg, 1),
                                entsWithConfig(cfg, 1, 1),
                                null),
                        StateType.StateFollower,
                        1));

        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            tt.network().send(hup(1));
            Raft sm = tt.network().raft(1);
            assertEquals(tt.state(), sm.state, "#" + i);
            assertEquals(tt.expTerm(), sm.term, "#" + i);
        }
    }

    /** Ports TestLearnerElectionTimeout: a learner does not campaign even when it times out. */
    @Test
    void learnerDoesNotCampaignOnElectionTimeout() {
        Raft n1 = newTestLearnerRaft(1, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        Raft n2 = newTestLearnerRaft(2, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);

        setRandomizedElectionTimeout(n2, n2.electionTimeout);
        for (int i = 0; i < n2.electionTimeout; i++) {
            n2.tick();
        }

        assertEquals(StateType.StateFollower, n2.state);
    }

    /** Ports TestLearnerPromotion: a learner campaigns only once promoted to voter. */
    @Test
    void learnerCampaignsOnlyAfterPromotion() {
        Raft n1 = newTestLearnerRaft(1, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        Raft n2 = newTestLearnerRaft(2, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        n1.becomeFollower(1, Raft.NONE);
        n2.becomeFollower(1, Raft.NONE);

        Network nt = newNetwork(n1, n2);
        assertNotEquals(StateType.StateLeader, n1.state);

        // n1 becomes leader.
        setRandomizedElectionTimeout(n1, n1.electionTimeout);
        for (int i = 0; i < n1.electionTimeout; i++) {
            n1.tick();
        }
        RaftTestUtil.advanceMessagesAfterAppend(n1);
        assertEquals(StateType.StateLeader, n1.state);
        assertEquals(StateType.StateFollower, n2.state);

        nt.send(beat(1));

        n1.applyConfChange(confChangeV2(ConfChangeType.ConfChangeAddNode, 2));
        n2.applyConfChange(confChangeV2(ConfChangeType.ConfChangeAddNode, 2));
        assertFalse(n2.isLearner);

        // n2 starts an election and wins.
        setRandomizedElectionTimeout(n2, n2.electionTimeout);
        for (int i = 0; i < n2.electionTimeout; i++) {
            n2.tick();
        }
        RaftTestUtil.advanceMessagesAfterAppend(n2);

        nt.send(beat(2));

        assertEquals(StateType.StateFollower, n1.state);
        assertEquals(StateType.StateLeader, n2.state);
    }

    /** Ports TestLearnerCanVote: a learner grants a valid vote request. */
    @Test
    void learnerGrantsValidVote() {
        Raft n2 = newTestLearnerRaft(2, 10, 1, newTestMemoryStorage(withPeers(1), withLearners(2)));
        n2.becomeFollower(1, Raft.NONE);

        n2.step(msg(1, 2, MessageType.MsgVote)
                .setTerm(2)
                .setLogTerm(11)
                .setIndex(11)
                .build());

        List<Message> msgs = readMessages(n2);
        assertEquals(1, msgs.size());
        assertEquals(MessageType.MsgVoteResp, msgs.get(0).getType());
        assertFalse(msgs.get(0).getReject(), "expected learner to not reject vote");
    }

    /** Ports TestLeaderCycle. */
    @Test
    void eachNodeCanBeElectedInTurn() {
        leaderCycle(false);
    }

    /** Ports TestLeaderCyclePreVote. */
    @Test
    void eachNodeCanBeElectedInTurnWithPreVote() {
        leaderCycle(true);
    }

    private void leaderCycle(boolean preVote) {
        Network n = newNetworkWithConfig(preVote ? RaftTestUtil::preVoteConfig : null, null, null, null);
        for (long campaignerID = 1; campaignerID <= 3; campaignerID++) {
            n.send(hup(campaignerID));
            for (long id = 1; id <= 3; id++) {
                Raft sm = n.raft(id);
                if (sm.id == campaignerID) {
                    assertEquals(StateType.StateLeader, sm.state, "preVote=" + preVote + ": campaigning node " + sm.id);
                } else {
                    assertEquals(
                            StateType.StateFollower,
                            sm.state,
                            "preVote=" + preVote + ": campaigning node " + campaignerID + ", current node " + sm.id);
                }
            }
        }
    }

    /** Ports TestLeaderElectionOverwriteNewerLogs. */
    @Test
    void newLeaderOverwritesNewerUncommittedEntries() {
        leaderElectionOverwriteNewerLogs(false);
    }

    /** Ports TestLeaderElectionOverwriteNewerLogsPreVote. */
    @Test
    void newLeaderOverwritesNewerUncommittedEntriesWithPreVote() {
        leaderElectionOverwriteNewerLogs(true);
    }

    private void leaderElectionOverwriteNewerLogs(boolean preVote) {
        Consumer<Config.Builder> cfg = preVote ? RaftTestUtil::preVoteConfig : null;
        // Node 1 won term 1 and replicated an entry to node 2 only; node 3 won term 2 and
        // wrote an entry no one else got; nodes 4 and 5 voted for 3 but got no log.
        Network n = newNetworkWithConfig(
                cfg,
                entsWithConfig(cfg, 1),
                entsWithConfig(cfg, 1),
                entsWithConfig(cfg, 2),
                votedWithConfig(cfg, 3, 2),
                votedWithConfig(cfg, 3, 2));

        // A quorum knows of term 2, so node 1 loses but its term is pushed to 2.
        n.send(hup(1));
        Raft sm1 = n.raft(1);
        assertEquals(StateType.StateFollower, sm1.state);
        assertEquals(2, sm1.term);

        // With a higher term node 1 wins.
        n.send(hup(1));
        assertEquals(StateType.StateLeader, sm1.state);
        assertEquals(3, sm1.term);

        // Everyone agrees on term 1 at index 1 and term 3 at index 2.
        for (long id = 1; id <= 5; id++) {
            List<Entry> entries = n.raft(id).raftLog.allEntries();
            assertEquals(2, entries.size(), "node " + id);
            assertEquals(1, entries.get(0).getTerm());
            assertEquals(3, entries.get(1).getTerm());
        }
    }

    /** Ports TestVoteFromAnyState. */
    @Test
    void voteIsGrantedFromAnyState() {
        voteFromAnyState(MessageType.MsgVote);
    }

    /** Ports TestPreVoteFromAnyState. */
    @Test
    void preVoteIsGrantedFromAnyState() {
        voteFromAnyState(MessageType.MsgPreVote);
    }

    private void voteFromAnyState(MessageType vt) {
        for (StateType st : StateType.values()) {
            Raft r = raft3(1);
            r.term = 1;
            switch (st) {
                case StateFollower -> r.becomeFollower(r.term, 3);
                case StatePreCandidate -> r.becomePreCandidate();
                case StateCandidate -> r.becomeCandidate();
                case StateLeader -> {
                    r.becomeCandidate();
                    r.becomeLeader();
                }
                default -> throw new IllegalStateException();
            }
            // Becoming the state above may have advanced the term.
            long origTerm = r.term;
            long newTerm = r.term + 1;
            String ctx = vt + "," + st;

            r.step(msg(2, 1, vt)
                    .setTerm(newTerm)
                    .setLogTerm(newTerm)
                    .setIndex(42)
                    .build());
            List<Message> msgs = readMessages(r);
            assertEquals(1, msgs.size(), ctx);
            Message resp = msgs.get(0);
            assertEquals(Util.voteRespMsgType(vt), resp.getType(), ctx);
            assertFalse(resp.getReject(), ctx);

            if (vt == MessageType.MsgVote) {
                // A real vote resets state and term.
                assertEquals(StateType.StateFollower, r.state, ctx);
                assertEquals(newTerm, r.term, ctx);
                assertEquals(2, r.vote, ctx);
            } else {
                // A pre-vote changes nothing; candidates and leaders voted for themselves.
                assertEquals(st, r.state, ctx);
                assertEquals(origTerm, r.term, ctx);
                assertTrue(r.vote == Raft.NONE || r.vote == 1, ctx + ": vote " + r.vote);
            }
        }
    }

    /** Ports TestDuelingCandidates. */
    @Test
    void duelingCandidatesEndWithLongerLogWinning() {
        Raft a = raft3(1);
        Raft b = raft3(2);
        Raft c = raft3(3);
        Network nt = newNetwork(a, b, c);
        nt.cut(1, 3);

        nt.send(hup(1));
        nt.send(hup(3));

        // 1 wins with votes from 1 and 2.
        assertEquals(StateType.StateLeader, nt.raft(1).state);
        // 3 has its own vote and a rejection from 2.
        Raft sm = nt.raft(3);
        assertEquals(StateType.StateCandidate, sm.state);

        nt.recover();

        // 3 campaigns at a higher term and disrupts 1, but both 1 and 2 reject it: its log is
        // too short.
        nt.send(hup(3));
        assertEquals(StateType.StateFollower, sm.state);

        record Case(Raft sm, StateType state, long term, long lastIndex) {}
        List<Case> tests = List.of(
                new Case(a, StateType.StateFollower, 2, 1),
                new Case(b, StateType.StateFollower, 2, 1),
                new Case(c, StateType.StateFollower, 2, 0));
        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            assertEquals(tt.state(), tt.sm().state, "#" + i);
            assertEquals(tt.term(), tt.sm().term, "#" + i);
            assertEquals(tt.lastIndex(), tt.sm().raftLog.lastIndex(), "#" + i);
        }
    }

    /** Ports TestDuelingPreCandidates. */
    @Test
    void duelingPreCandidatesDoNotDisruptLeader() {
        Config.Builder cfgA = newTestConfig(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Config.Builder cfgB = newTestConfig(2, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Config.Builder cfgC = newTestConfig(3, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        cfgA.preVote(true);
        cfgB.preVote(true);
        cfgC.preVote(true);
        Raft a = Raft.newRaft(cfgA.build());
        Raft b = Raft.newRaft(cfgB.build());
        Raft c = Raft.newRaft(cfgC.build());

        Network nt = newNetwork(a, b, c);
        nt.cut(1, 3);

        nt.send(hup(1));
        nt.send(hup(3));

        // 1 wins with votes from 1 and 2.
        assertEquals(StateType.StateLeader, nt.raft(1).state);
        // 3 campaigns, then reverts to follower when its pre-vote is rejected.
        assertEquals(StateType.StateFollower, nt.raft(3).state);

        nt.recover();

        // With pre-vote, 3 campaigning again does not disrupt the leader.
        nt.send(hup(3));

        record Case(Raft sm, StateType state, long term, long lastIndex) {}
        List<Case> tests = List.of(
                new Case(a, StateType.StateLeader, 1, 1),
                new Case(b, StateType.StateFollower, 1, 1),
                new Case(c, StateType.StateFollower, 1, 0));
        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            assertEquals(tt.state(), tt.sm().state, "#" + i);
            assertEquals(tt.term(), tt.sm().term, "#" + i);
            assertEquals(tt.lastIndex(), tt.sm().raftLog.lastIndex(), "#" + i);
        }
    }

    /** Ports TestCandidateConcede: a candidate concedes to the leader of its term. */
    @Test
    void candidateConcedesToLeaderOfSameTerm() {
        Network tt = newNetwork(null, null, null);
        tt.isolate(1);

        tt.send(hup(1));
        tt.send(hup(3));

        // Heal the partition.
        tt.recover();
        // Send a heartbeat; resets the wait.
        tt.send(beat(3));

        ByteString data = ByteString.copyFromUtf8("force follower");
        // A proposal to 3 flushes out a MsgApp to 1.
        tt.send(prop(3, "force follower"));
        // A heartbeat flushes out the commit.
        tt.send(beat(3));

        Raft a = tt.raft(1);
        assertEquals(StateType.StateFollower, a.state);
        assertEquals(1, a.term);

        String wantLog = ltoaOfEntries(List.of(
                Entry.getDefaultInstance(),
                Entry.newBuilder().setTerm(1).setIndex(1).build(),
                Entry.newBuilder().setTerm(1).setIndex(2).setData(data).build()));
        for (long id = 1; id <= 3; id++) {
            assertEquals("", diffu(wantLog, ltoa(tt.raft(id).raftLog)), "#" + id);
        }
    }

    /** Ports TestSingleNodeCandidate. */
    @Test
    void singleNodeBecomesLeaderOnCampaign() {
        Network tt = newNetwork((Object) null);
        tt.send(hup(1));
        assertEquals(StateType.StateLeader, tt.raft(1).state);
    }

    /** Ports TestSingleNodePreCandidate. */
    @Test
    void singleNodeBecomesLeaderOnCampaignWithPreVote() {
        Network tt = newNetworkWithConfig(RaftTestUtil::preVoteConfig, (Object) null);
        tt.send(hup(1));
        assertEquals(StateType.StateLeader, tt.raft(1).state);
    }

    /** Ports TestPastElectionTimeout: the randomized timeout is uniform in [et, 2et). */
    @Test
    void randomizedElectionTimeoutIsUniform() {
        record Case(int elapse, double wprobability, boolean round) {}
        List<Case> tests = List.of(
                new Case(5, 0, false),
                new Case(10, 0.1, true),
                new Case(13, 0.4, true),
                new Case(15, 0.6, true),
                new Case(18, 0.9, true),
                new Case(20, 1, false));
        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
            sm.electionElapsed = tt.elapse();
            int c = 0;
            for (int j = 0; j < 10000; j++) {
                sm.resetRandomizedElectionTimeout();
                if (sm.pastElectionTimeout()) {
                    c++;
                }
            }
            double got = c / 10000.0;
            if (tt.round()) {
                got = Math.floor(got * 10 + 0.5) / 10.0;
            }
            assertEquals(tt.wprobability(), got, "#" + i);
        }
    }

    /** Ports TestStepIgnoreOldTermMsg: messages of older terms never reach the role handler. */
    @Test
    void stepIgnoresMessagesOfOlderTerms() {
        boolean[] called = {false};
        Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
        sm.step = (r, m) -> called[0] = true;
        sm.term = 2;
        sm.step(Message.newBuilder()
                .setType(MessageType.MsgApp)
                .setTerm(sm.term - 1)
                .build());
        assertFalse(called[0]);
    }

    /** Ports TestRecvMsgVote. */
    @Test
    void voteGrantedOnlyToUpToDateCandidateOnce() {
        recvMsgVote(MessageType.MsgVote);
    }

    /** Ports TestRecvMsgPreVote. */
    @Test
    void preVoteGrantedOnlyToUpToDateCandidate() {
        recvMsgVote(MessageType.MsgPreVote);
    }

    private void recvMsgVote(MessageType msgType) {
        record Case(StateType state, long index, long logTerm, long voteFor, boolean wreject) {}
        long none = Raft.NONE;
        List<Case> tests = List.of(
                new Case(StateType.StateFollower, 0, 0, none, true),
                new Case(StateType.StateFollower, 0, 1, none, true),
                new Case(StateType.StateFollower, 0, 2, none, true),
                new Case(StateType.StateFollower, 0, 3, none, false),
                new Case(StateType.StateFollower, 1, 0, none, true),
                new Case(StateType.StateFollower, 1, 1, none, true),
                new Case(StateType.StateFollower, 1, 2, none, true),
                new Case(StateType.StateFollower, 1, 3, none, false),
                new Case(StateType.StateFollower, 2, 0, none, true),
                new Case(StateType.StateFollower, 2, 1, none, true),
                new Case(StateType.StateFollower, 2, 2, none, false),
                new Case(StateType.StateFollower, 2, 3, none, false),
                new Case(StateType.StateFollower, 3, 0, none, true),
                new Case(StateType.StateFollower, 3, 1, none, true),
                new Case(StateType.StateFollower, 3, 2, none, false),
                new Case(StateType.StateFollower, 3, 3, none, false),
                new Case(StateType.StateFollower, 3, 2, 2, false),
                new Case(StateType.StateFollower, 3, 2, 1, true),
                new Case(StateType.StateLeader, 3, 3, 1, true),
                new Case(StateType.StatePreCandidate, 3, 3, 1, true),
                new Case(StateType.StateCandidate, 3, 3, 1, true));

        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
            sm.state = tt.state();
            sm.step = switch (tt.state()) {
                case StateFollower -> Raft::stepFollower;
                case StateCandidate, StatePreCandidate -> Raft::stepCandidate;
                case StateLeader -> Raft::stepLeader;
            };
            sm.vote = tt.voteFor();
            sm.raftLog = RaftLog.newLog(MemoryStorage.withEntries(index(0).terms(0, 2, 2)), null);

            // Both terms are equal: this checks the log comparison and an already cast vote,
            // not the handling of a different term.
            long term = Math.max(sm.raftLog.lastEntryID().term(), tt.logTerm());
            sm.term = term;
            sm.step(Message.newBuilder()
                    .setType(msgType)
                    .setTerm(term)
                    .setFrom(2)
                    .setIndex(tt.index())
                    .setLogTerm(tt.logTerm())
                    .build());

            List<Message> msgs = readMessages(sm);
            assertEquals(1, msgs.size(), "#" + i);
            assertEquals(Util.voteRespMsgType(msgType), msgs.get(0).getType(), "#" + i);
            assertEquals(tt.wreject(), msgs.get(0).getReject(), "#" + i);
        }
    }

    /** Ports TestStateTransition: the allowed role transitions and their term and leader. */
    @Test
    void roleTransitions() {
        record Case(StateType from, StateType to, boolean wallow, long wterm, long wlead) {}
        long none = Raft.NONE;
        List<Case> tests = List.of(
                new Case(StateType.StateFollower, StateType.StateFollower, true, 1, none),
                new Case(StateType.StateFollower, StateType.StatePreCandidate, true, 0, none),
                new Case(StateType.StateFollower, StateType.StateCandidate, true, 1, none),
                new Case(StateType.StateFollower, StateType.StateLeader, false, 0, none),
                new Case(StateType.StatePreCandidate, StateType.StateFollower, true, 0, none),
                new Case(StateType.StatePreCandidate, StateType.StatePreCandidate, true, 0, none),
                new Case(StateType.StatePreCandidate, StateType.StateCandidate, true, 1, none),
                new Case(StateType.StatePreCandidate, StateType.StateLeader, true, 0, 1),
                new Case(StateType.StateCandidate, StateType.StateFollower, true, 0, none),
                new Case(StateType.StateCandidate, StateType.StatePreCandidate, true, 0, none),
                new Case(StateType.StateCandidate, StateType.StateCandidate, true, 1, none),
                new Case(StateType.StateCandidate, StateType.StateLeader, true, 0, 1),
                new Case(StateType.StateLeader, StateType.StateFollower, true, 1, none),
                new Case(StateType.StateLeader, StateType.StatePreCandidate, false, 0, none),
                new Case(StateType.StateLeader, StateType.StateCandidate, false, 1, none),
                new Case(StateType.StateLeader, StateType.StateLeader, true, 0, 1));

        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            Raft sm = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
            sm.state = tt.from();
            try {
                switch (tt.to()) {
                    case StateFollower -> sm.becomeFollower(tt.wterm(), tt.wlead());
                    case StatePreCandidate -> sm.becomePreCandidate();
                    case StateCandidate -> sm.becomeCandidate();
                    case StateLeader -> sm.becomeLeader();
                }
            } catch (RaftPanicException e) {
                assertFalse(tt.wallow(), "#" + i);
                continue;
            }
            assertEquals(tt.wterm(), sm.term, "#" + i);
            assertEquals(tt.wlead(), sm.lead, "#" + i);
        }
    }

    /** Ports TestAllServerStepdown: every role steps down on a message of a higher term. */
    @Test
    void everyRoleStepsDownOnHigherTerm() {
        record Case(StateType state, StateType wstate, long wterm, long windex) {}
        List<Case> tests = List.of(
                new Case(StateType.StateFollower, StateType.StateFollower, 3, 0),
                new Case(StateType.StatePreCandidate, StateType.StateFollower, 3, 0),
                new Case(StateType.StateCandidate, StateType.StateFollower, 3, 0),
                new Case(StateType.StateLeader, StateType.StateFollower, 3, 1));
        MessageType[] tmsgTypes = {MessageType.MsgVote, MessageType.MsgApp};
        long tterm = 3;

        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            Raft sm = raft3(1);
            switch (tt.state()) {
                case StateFollower -> sm.becomeFollower(1, Raft.NONE);
                case StatePreCandidate -> sm.becomePreCandidate();
                case StateCandidate -> sm.becomeCandidate();
                case StateLeader -> {
                    sm.becomeCandidate();
                    sm.becomeLeader();
                }
            }

            for (int j = 0; j < tmsgTypes.length; j++) {
                MessageType msgType = tmsgTypes[j];
                sm.step(Message.newBuilder()
                        .setFrom(2)
                        .setType(msgType)
                        .setTerm(tterm)
                        .setLogTerm(tterm)
                        .build());

                String ctx = "#" + i + "." + j;
                assertEquals(tt.wstate(), sm.state, ctx);
                assertEquals(tt.wterm(), sm.term, ctx);
                assertEquals(tt.windex(), sm.raftLog.lastIndex(), ctx);
                assertEquals(tt.windex(), sm.raftLog.allEntries().size(), ctx);
                long wlead = msgType == MessageType.MsgVote ? Raft.NONE : 2;
                assertEquals(wlead, sm.lead, ctx);
            }
        }
    }

    /** Ports TestCandidateResetTermMsgHeartbeat. */
    @Test
    void candidateAdoptsLeaderTermOnHeartbeat() {
        candidateResetTerm(MessageType.MsgHeartbeat);
    }

    /** Ports TestCandidateResetTermMsgApp. */
    @Test
    void candidateAdoptsLeaderTermOnAppend() {
        candidateResetTerm(MessageType.MsgApp);
    }

    /** A candidate receiving a heartbeat or append from the leader adopts its term and follows. */
    private void candidateResetTerm(MessageType mt) {
        Raft a = raft3(1);
        Raft b = raft3(2);
        Raft c = raft3(3);
        Network nt = newNetwork(a, b, c);

        nt.send(hup(1));
        assertEquals(StateType.StateLeader, a.state);
        assertEquals(StateType.StateFollower, b.state);
        assertEquals(StateType.StateFollower, c.state);

        // Isolate 3 and increase the term of the others.
        nt.isolate(3);
        nt.send(hup(2));
        nt.send(hup(1));
        assertEquals(StateType.StateLeader, a.state);
        assertEquals(StateType.StateFollower, b.state);

        // The isolated 3 campaigns.
        c.resetRandomizedElectionTimeout();
        for (int i = 0; i < c.randomizedElectionTimeout; i++) {
            c.tick();
        }
        RaftTestUtil.advanceMessagesAfterAppend(c);
        assertEquals(StateType.StateCandidate, c.state);

        nt.recover();

        // The leader reaches the isolated candidate, which reverts to follower.
        nt.send(msg(1, 3, mt).setTerm(a.term).build());

        assertEquals(StateType.StateFollower, c.state);
        assertEquals(a.term, c.term);
    }

    /** Ports TestCandidateSelfVoteAfterLostElection. */
    @Test
    void candidateIgnoresOwnVoteAfterLosingElection() {
        candidateSelfVoteAfterLostElection(false);
    }

    /** Ports TestCandidateSelfVoteAfterLostElectionPreVote. */
    @Test
    void preCandidateIgnoresOwnVoteAfterLosingElection() {
        candidateSelfVoteAfterLostElection(true);
    }

    private void candidateSelfVoteAfterLostElection(boolean preVote) {
        Raft sm = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        sm.preVote = preVote;

        // n1 calls an election.
        sm.step(hup(1));
        List<Message> steps = takeMessagesAfterAppend(sm);

        // n1 hears that n2 already won before its self-vote is durable, and follows.
        sm.step(msg(2, 1, MessageType.MsgHeartbeat).setTerm(sm.term).build());
        assertEquals(StateType.StateFollower, sm.state);

        // It stays follower once its self-vote is delivered...
        stepOrSend(sm, steps);
        assertEquals(StateType.StateFollower, sm.state);

        // ...and the self-vote is not counted.
        assertEquals(0, sm.trk.tallyVotes().granted());
    }

    /** Ports TestCandidateDeliversPreCandidateSelfVoteAfterBecomingCandidate. */
    @Test
    void candidateIgnoresDelayedPreVoteSelfVote() {
        Raft sm = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        sm.preVote = true;

        // n1 calls an election.
        sm.step(hup(1));
        assertEquals(StateType.StatePreCandidate, sm.state);
        List<Message> steps = takeMessagesAfterAppend(sm);

        // Both peers grant the pre-vote before n1 voted for itself: n1 becomes candidate.
        // Pre-vote messages carry the local term + 1.
        sm.step(msg(2, 1, MessageType.MsgPreVoteResp).setTerm(sm.term + 1).build());
        sm.step(msg(3, 1, MessageType.MsgPreVoteResp).setTerm(sm.term + 1).build());
        assertEquals(StateType.StateCandidate, sm.state);

        // The delayed pre-vote self-vote changes nothing.
        stepOrSend(sm, steps);
        assertEquals(StateType.StateCandidate, sm.state);

        steps = takeMessagesAfterAppend(sm);

        // The pre-vote self-vote was not counted.
        assertEquals(0, sm.trk.tallyVotes().granted());

        // One vote from n2 is not enough.
        sm.step(msg(2, 1, MessageType.MsgVoteResp).setTerm(sm.term).build());
        assertEquals(StateType.StateCandidate, sm.state);

        // With its own vote delivered, n1 has a quorum.
        stepOrSend(sm, steps);
        assertEquals(StateType.StateLeader, sm.state);
    }

    /** Ports TestPromotable: only a voter of its own configuration can campaign. */
    @Test
    void onlyVotersArePromotable() {
        record Case(long[] peers, boolean wp) {}
        List<Case> tests = List.of(
                new Case(new long[] {1}, true),
                new Case(new long[] {1, 2, 3}, true),
                new Case(new long[] {}, false),
                new Case(new long[] {2, 3}, false));
        for (int i = 0; i < tests.size(); i++) {
            Case tt = tests.get(i);
            Raft r = newTestRaft(1, 5, 1, newTestMemoryStorage(withPeers(tt.peers())));
            assertEquals(tt.wp(), r.promotable(), "#" + i);
        }
    }

    /** Ports TestCampaignWhileLeader. */
    @Test
    void leaderIgnoresCampaign() {
        campaignWhileLeader(false);
    }

    /** Ports TestPreCampaignWhileLeader. */
    @Test
    void leaderIgnoresCampaignWithPreVote() {
        campaignWhileLeader(true);
    }

    private void campaignWhileLeader(boolean preVote) {
        Config.Builder cfg = newTestConfig(1, 5, 1, newTestMemoryStorage(withPeers(1)));
        cfg.preVote(preVote);
        Raft r = Raft.newRaft(cfg.build());
        assertEquals(StateType.StateFollower, r.state);
        // Through step rather than campaign(): the leader check comes before it.
        r.step(hup(1));
        RaftTestUtil.advanceMessagesAfterAppend(r);
        assertEquals(StateType.StateLeader, r.state);

        long term = r.term;
        r.step(hup(1));
        RaftTestUtil.advanceMessagesAfterAppend(r);
        assertEquals(StateType.StateLeader, r.state);
        assertEquals(term, r.term);
    }

    /** Ports TestLearnerCampaign: a learner campaigns neither on MsgHup nor on MsgTimeoutNow. */
    @Test
    void learnerIgnoresHupAndTimeoutNow() {
        Raft n1 = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1)));
        n1.applyConfChange(confChangeV2(ConfChangeType.ConfChangeAddLearnerNode, 2));
        Raft n2 = newTestRaft(2, 10, 1, newTestMemoryStorage(withPeers(1)));
        n2.applyConfChange(confChangeV2(ConfChangeType.ConfChangeAddLearnerNode, 2));
        Network nt = newNetwork(n1, n2);
        nt.send(hup(2));

        assertTrue(n2.isLearner);
        assertEquals(StateType.StateFollower, n2.state);

        nt.send(hup(1));
        assertTrue(n1.state == StateType.StateLeader && n1.lead == 1);

        // A transfer checks the recipient is no learner, but it may have become one since.
        nt.send(msg(1, 2, MessageType.MsgTimeoutNow).build());
        assertEquals(StateType.StateFollower, n2.state);
    }
}
