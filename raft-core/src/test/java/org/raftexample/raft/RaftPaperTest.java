package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.raftexample.raft.RaftTestUtil.acceptAndReply;
import static org.raftexample.raft.RaftTestUtil.advanceMessagesAfterAppend;
import static org.raftexample.raft.RaftTestUtil.commitNoopEntry;
import static org.raftexample.raft.RaftTestUtil.data;
import static org.raftexample.raft.RaftTestUtil.diffu;
import static org.raftexample.raft.RaftTestUtil.entry;
import static org.raftexample.raft.RaftTestUtil.entsAt;
import static org.raftexample.raft.RaftTestUtil.idsBySize;
import static org.raftexample.raft.RaftTestUtil.ltoa;
import static org.raftexample.raft.RaftTestUtil.msg;
import static org.raftexample.raft.RaftTestUtil.mustAppendEntry;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.newTestRaft;
import static org.raftexample.raft.RaftTestUtil.readMessages;
import static org.raftexample.raft.RaftTestUtil.sorted;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * The scenarios of the Raft paper (https://raft.github.io/raft.pdf), sections 5.1 to 5.4, each
 * checked against the state machine: set up a state, step messages or ticks, check the state
 * and the outgoing messages (etcd's raft_paper_test.go).
 */
@Timeout(60)
class RaftPaperTest {

    @AfterEach
    void restoreLogger() {
        DefaultLogger.set(null);
    }

    private static Raft raft3() {
        return newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
    }

    private static Message appMsg(long term) {
        return Message.newBuilder().setType(MessageType.MsgApp).setTerm(term).build();
    }

    // §5.1: a server with a smaller term updates its term; a candidate or leader with an
    // out-of-date term reverts to follower.

    @Test
    void followerUpdatesTermFromMessage() {
        updateTermFromMessage(StateType.StateFollower);
    }

    @Test
    void candidateUpdatesTermFromMessage() {
        updateTermFromMessage(StateType.StateCandidate);
    }

    @Test
    void leaderUpdatesTermFromMessage() {
        updateTermFromMessage(StateType.StateLeader);
    }

    private void updateTermFromMessage(StateType state) {
        Raft r = raft3();
        switch (state) {
            case StateFollower -> r.becomeFollower(1, 2);
            case StateCandidate -> r.becomeCandidate();
            case StateLeader -> {
                r.becomeCandidate();
                r.becomeLeader();
            }
            default -> throw new IllegalArgumentException();
        }

        r.step(appMsg(2));

        assertEquals(2, r.term);
        assertEquals(StateType.StateFollower, r.state);
    }

    /** §5.1: a request with a stale term is rejected (this implementation ignores it). */
    @Test
    void staleTermMessageIsIgnored() {
        boolean[] called = {false};
        Raft r = raft3();
        r.step = (rr, m) -> called[0] = true;
        r.loadState(HardState.newBuilder().setTerm(2).build());

        r.step(appMsg(r.term - 1));

        assertFalse(called[0]);
    }

    /** §5.2: servers start up as followers. */
    @Test
    void startsAsFollower() {
        Raft r = raft3();
        assertEquals(StateType.StateFollower, r.state);
    }

    /**
     * §5.2: on a heartbeat tick the leader sends MsgHeartbeat (index 0, log term 0, no entries)
     * to every follower.
     */
    @Test
    void leaderBroadcastsHeartbeat() {
        int hi = 1;
        Raft r = newTestRaft(1, 10, hi, newTestMemoryStorage(withPeers(1, 2, 3)));
        r.becomeCandidate();
        r.becomeLeader();
        for (int i = 0; i < 10; i++) {
            mustAppendEntry(r, Entry.newBuilder().setIndex(i + 1).build());
        }

        for (int i = 0; i < hi; i++) {
            r.tick();
        }

        assertEquals(
                List.of(
                        msg(1, 2, MessageType.MsgHeartbeat)
                                .setTerm(1)
                                .setCommit(0)
                                .build(),
                        msg(1, 3, MessageType.MsgHeartbeat)
                                .setTerm(1)
                                .setCommit(0)
                                .build()),
                sorted(readMessages(r)));
    }

    @Test
    void followerStartsElection() {
        nonleaderStartsElection(StateType.StateFollower);
    }

    @Test
    void candidateStartsNewElection() {
        nonleaderStartsElection(StateType.StateCandidate);
    }

    /**
     * §5.2: without communication over an election timeout, a follower (or a candidate that
     * failed to win) increments its term, becomes candidate, votes for itself and requests
     * votes from every other server in parallel.
     */
    private void nonleaderStartsElection(StateType state) {
        int et = 10;
        Raft r = newTestRaft(1, et, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        if (state == StateType.StateFollower) {
            r.becomeFollower(1, 2);
        } else {
            r.becomeCandidate();
        }

        for (int i = 1; i < 2 * et; i++) {
            r.tick();
        }
        advanceMessagesAfterAppend(r);

        assertEquals(2, r.term);
        assertEquals(StateType.StateCandidate, r.state);
        assertEquals(Boolean.TRUE, r.trk.votes().get(r.id));
        assertEquals(
                List.of(
                        msg(1, 2, MessageType.MsgVote)
                                .setTerm(2)
                                .setIndex(0)
                                .setLogTerm(0)
                                .build(),
                        msg(1, 3, MessageType.MsgVote)
                                .setTerm(2)
                                .setIndex(0)
                                .setLogTerm(0)
                                .build()),
                sorted(readMessages(r)));
    }

    private record ElectionCase(int size, Map<Long, Boolean> votes, StateType state) {}

    /**
     * §5.2: within one round of RequestVote a candidate wins (majority of grants), loses
     * (majority of denials) or stays candidate (neither).
     */
    @Test
    void leaderElectionInOneRoundOfRequests() {
        List<ElectionCase> tests = List.of(
                new ElectionCase(1, Map.of(), StateType.StateLeader),
                new ElectionCase(3, Map.of(2L, true, 3L, true), StateType.StateLeader),
                new ElectionCase(3, Map.of(2L, true), StateType.StateLeader),
                new ElectionCase(5, Map.of(2L, true, 3L, true, 4L, true, 5L, true), StateType.StateLeader),
                new ElectionCase(5, Map.of(2L, true, 3L, true, 4L, true), StateType.StateLeader),
                new ElectionCase(5, Map.of(2L, true, 3L, true), StateType.StateLeader),
                new ElectionCase(3, Map.of(2L, false, 3L, false), StateType.StateFollower),
                new ElectionCase(5, Map.of(2L, false, 3L, false, 4L, false, 5L, false), StateType.StateFollower),
                new ElectionCase(5, Map.of(2L, true, 3L, false, 4L, false, 5L, false), StateType.StateFollower),
                new ElectionCase(3, Map.of(), StateType.StateCandidate),
                new ElectionCase(5, Map.of(2L, true), StateType.StateCandidate),
                new ElectionCase(5, Map.of(2L, false, 3L, false), StateType.StateCandidate),
                new ElectionCase(5, Map.of(), StateType.StateCandidate));
        for (int i = 0; i < tests.size(); i++) {
            ElectionCase tt = tests.get(i);
            Raft r = newTestRaft(1, 10, 1, newTestMemoryStorage(withPeers(idsBySize(tt.size()))));

            r.step(msg(1, 1, MessageType.MsgHup).build());
            advanceMessagesAfterAppend(r);
            for (Map.Entry<Long, Boolean> v : tt.votes().entrySet()) {
                r.step(msg(v.getKey(), 1, MessageType.MsgVoteResp)
                        .setTerm(r.term)
                        .setReject(!v.getValue())
                        .build());
            }

            assertEquals(tt.state(), r.state, "#" + i);
            assertEquals(1, r.term, "#" + i);
        }
    }

    /** §5.2: a follower votes for at most one candidate per term, first come first served. */
    @Test
    void followerVotesAtMostOncePerTerm() {
        long[][] tests = {
            // vote, nvote, wreject (0/1)
            {Raft.NONE, 2, 0},
            {Raft.NONE, 3, 0},
            {2, 2, 0},
            {3, 3, 0},
            {2, 3, 1},
            {3, 2, 1},
        };
        for (int i = 0; i < tests.length; i++) {
            long vote = tests[i][0];
            long nvote = tests[i][1];
            boolean wreject = tests[i][2] == 1;
            Raft r = raft3();
            r.loadState(HardState.newBuilder().setTerm(1).setVote(vote).build());

            r.step(msg(nvote, 1, MessageType.MsgVote).setTerm(1).build());

            Message.Builder expected = msg(1, nvote, MessageType.MsgVoteResp).setTerm(1);
            if (wreject) {
                expected.setReject(true);
            }
            assertEquals(List.of(expected.build()), r.msgsAfterAppend, "#" + i);
        }
    }

    /**
     * §5.2: a candidate that receives an append from a leader with a term at least its own
     * recognizes that leader and returns to follower.
     */
    @Test
    void candidateFallsBackOnAppendFromLegitimateLeader() {
        List<Message> tests = List.of(
                msg(2, 1, MessageType.MsgApp).setTerm(1).build(),
                msg(2, 1, MessageType.MsgApp).setTerm(2).build());
        for (int i = 0; i < tests.size(); i++) {
            Message tt = tests.get(i);
            Raft r = raft3();
            r.step(msg(1, 1, MessageType.MsgHup).build());
            assertEquals(StateType.StateCandidate, r.state, "#" + i);

            r.step(tt);

            assertEquals(StateType.StateFollower, r.state, "#" + i);
            assertEquals(tt.getTerm(), r.term, "#" + i);
        }
    }

    @Test
    void followerElectionTimeoutIsRandomized() {
        DefaultLogger.set(RaftTestUtil.DISCARD_LOGGER);
        nonleaderElectionTimeoutRandomized(StateType.StateFollower);
    }

    @Test
    void candidateElectionTimeoutIsRandomized() {
        DefaultLogger.set(RaftTestUtil.DISCARD_LOGGER);
        nonleaderElectionTimeoutRandomized(StateType.StateCandidate);
    }

    /** §5.2: election timeouts of followers and candidates are random in [et, 2*et). */
    private void nonleaderElectionTimeoutRandomized(StateType state) {
        int et = 10;
        Raft r = newTestRaft(1, et, 1, newTestMemoryStorage(withPeers(1, 2, 3)));
        Set<Integer> timeouts = new HashSet<>();
        for (int round = 0; round < 50 * et; round++) {
            if (state == StateType.StateFollower) {
                r.becomeFollower(r.term + 1, 2);
            } else {
                r.becomeCandidate();
            }
            int time = 0;
            while (readMessages(r).isEmpty()) {
                r.tick();
                time++;
            }
            timeouts.add(time);
        }
        for (int d = et; d < 2 * et; d++) {
            assertTrue(timeouts.contains(d), "timeout in " + d + " ticks should happen");
        }
        assertTrue(timeouts.stream().allMatch(t -> t >= et && t < 2 * et), "timeouts " + timeouts);
    }

    @Test
    void followersElectionTimeoutsRarelyConflict() {
        DefaultLogger.set(RaftTestUtil.DISCARD_LOGGER);
        nonleadersElectionTimeoutNonconflict(StateType.StateFollower);
    }

    @Test
    void candidatesElectionTimeoutsRarelyConflict() {
        DefaultLogger.set(RaftTestUtil.DISCARD_LOGGER);
        nonleadersElectionTimeoutNonconflict(StateType.StateCandidate);
    }

    /**
     * §5.2: in most cases only one server times out first, which makes split votes unlikely.
     */
    private void nonleadersElectionTimeoutNonconflict(StateType state) {
        int et = 10;
        int size = 5;
        long[] ids = idsBySize(size);
        List<Raft> rs = new ArrayList<>();
        for (long id : ids) {
            rs.add(newTestRaft(id, et, 1, newTestMemoryStorage(withPeers(ids))));
        }
        int conflicts = 0;
        for (int round = 0; round < 1000; round++) {
            for (Raft r : rs) {
                if (state == StateType.StateFollower) {
                    r.becomeFollower(r.term + 1, Raft.NONE);
                } else {
                    r.becomeCandidate();
                }
            }
            int timeoutNum = 0;
            while (timeoutNum == 0) {
                for (Raft r : rs) {
                    r.tick();
                    if (!readMessages(r).isEmpty()) {
                        timeoutNum++;
                    }
                }
            }
            // Several rafts timed out at the same tick.
            if (timeoutNum > 1) {
                conflicts++;
            }
        }
        assertTrue(conflicts / 1000.0 <= 0.3, "conflict ratio " + conflicts / 1000.0);
    }

    /**
     * §5.3: the leader appends a proposal to its log (unstable, to be persisted), then sends
     * appends carrying the preceding entry's index and term to every follower.
     */
    @Test
    void leaderStartsReplication() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2, 3));
        Raft r = newTestRaft(1, 10, 1, s);
        r.becomeCandidate();
        r.becomeLeader();
        commitNoopEntry(r, s);
        long li = r.raftLog.lastIndex();

        r.step(msg(1, 1, MessageType.MsgProp).addEntries(data("some data")).build());

        assertEquals(li + 1, r.raftLog.lastIndex());
        assertEquals(li, r.raftLog.committed);
        Entry went = entry(1, li + 1, "some data");
        assertEquals(
                List.of(
                        msg(1, 2, MessageType.MsgApp)
                                .setTerm(1)
                                .setIndex(li)
                                .setLogTerm(1)
                                .addEntries(went)
                                .setCommit(li)
                                .build(),
                        msg(1, 3, MessageType.MsgApp)
                                .setTerm(1)
                                .setIndex(li)
                                .setLogTerm(1)
                                .addEntries(went)
                                .setCommit(li)
                                .build()),
                sorted(readMessages(r)));
        assertEquals(List.of(went), List.copyOf(r.raftLog.nextUnstableEnts()));
    }

    /**
     * §5.3: once an entry is safely replicated the leader hands it out for applying, and tells
     * the followers the new commit index in later appends.
     */
    @Test
    void leaderCommitsReplicatedEntry() {
        MemoryStorage s = newTestMemoryStorage(withPeers(1, 2, 3));
        Raft r = newTestRaft(1, 10, 1, s);
        r.becomeCandidate();
        r.becomeLeader();
        commitNoopEntry(r, s);
        long li = r.raftLog.lastIndex();
        r.step(msg(1, 1, MessageType.MsgProp).addEntries(data("some data")).build());

        for (Message m : readMessages(r)) {
            r.step(acceptAndReply(m));
        }

        assertEquals(li + 1, r.raftLog.committed);
        assertEquals(List.of(entry(1, li + 1, "some data")), List.copyOf(r.raftLog.nextCommittedEnts(true)));
        List<Message> msgs = sorted(readMessages(r));
        assertEquals(2, msgs.size());
        for (int i = 0; i < msgs.size(); i++) {
            Message m = msgs.get(i);
            assertEquals(i + 2, m.getTo());
            assertEquals(MessageType.MsgApp, m.getType());
            assertEquals(li + 1, m.getCommit());
        }
    }

    private record AckCase(int size, Set<Long> nonLeaderAcceptors, boolean wack) {}

    /** §5.3: an entry is committed once its leader replicated it on a majority. */
    @Test
    void leaderCommitsOnceMajorityAcknowledges() {
        List<AckCase> tests = List.of(
                new AckCase(1, Set.of(), true),
                new AckCase(3, Set.of(), false),
                new AckCase(3, Set.of(2L), true),
                new AckCase(3, Set.of(2L, 3L), true),
                new AckCase(5, Set.of(), false),
                new AckCase(5, Set.of(2L), false),
                new AckCase(5, Set.of(2L, 3L), true),
                new AckCase(5, Set.of(2L, 3L, 4L), true),
                new AckCase(5, Set.of(2L, 3L, 4L, 5L), true));
        for (int i = 0; i < tests.size(); i++) {
            AckCase tt = tests.get(i);
            MemoryStorage s = newTestMemoryStorage(withPeers(idsBySize(tt.size())));
            Raft r = newTestRaft(1, 10, 1, s);
            r.becomeCandidate();
            r.becomeLeader();
            commitNoopEntry(r, s);
            long li = r.raftLog.lastIndex();
            r.step(msg(1, 1, MessageType.MsgProp).addEntries(data("some data")).build());
            advanceMessagesAfterAppend(r);
            for (Message m : List.copyOf(r.msgs)) {
                if (tt.nonLeaderAcceptors().contains(m.getTo())) {
                    r.step(acceptAndReply(m));
                }
            }

            assertEquals(tt.wack(), r.raftLog.committed > li, "#" + i);
        }
    }

    /**
     * §5.3: committing an entry commits every preceding entry, including those of earlier
     * leaders, and they are handed out for applying in log order.
     */
    @Test
    void leaderCommitsPrecedingEntries() {
        List<List<Entry>> tests =
                List.of(List.of(), List.of(entry(2, 1)), List.of(entry(1, 1), entry(2, 2)), List.of(entry(1, 1)));
        for (int i = 0; i < tests.size(); i++) {
            List<Entry> tt = tests.get(i);
            MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2, 3));
            storage.append(tt);
            Raft r = newTestRaft(1, 10, 1, storage);
            r.loadState(HardState.newBuilder().setTerm(2).build());
            r.becomeCandidate();
            r.becomeLeader();
            r.step(msg(1, 1, MessageType.MsgProp).addEntries(data("some data")).build());

            for (Message m : readMessages(r)) {
                r.step(acceptAndReply(m));
            }

            long li = tt.size();
            List<Entry> want = new ArrayList<>(tt);
            want.add(entry(3, li + 1));
            want.add(entry(3, li + 2, "some data"));
            assertEquals(want, List.copyOf(r.raftLog.nextCommittedEnts(true)), "#" + i);
        }
    }

    private record FollowerCommitCase(List<Entry> ents, long commit) {}

    /** §5.3: a follower that learns an entry is committed applies it (in log order). */
    @Test
    void followerAppliesCommittedEntries() {
        List<FollowerCommitCase> tests = List.of(
                new FollowerCommitCase(List.of(entry(1, 1, "some data")), 1),
                new FollowerCommitCase(List.of(entry(1, 1, "some data"), entry(1, 2, "some data2")), 2),
                new FollowerCommitCase(List.of(entry(1, 1, "some data2"), entry(1, 2, "some data")), 2),
                new FollowerCommitCase(List.of(entry(1, 1, "some data"), entry(1, 2, "some data2")), 1));
        for (int i = 0; i < tests.size(); i++) {
            FollowerCommitCase tt = tests.get(i);
            Raft r = raft3();
            r.becomeFollower(1, 2);

            r.step(msg(2, 1, MessageType.MsgApp)
                    .setTerm(1)
                    .addAllEntries(tt.ents())
                    .setCommit(tt.commit())
                    .build());

            assertEquals(tt.commit(), r.raftLog.committed, "#" + i);
            assertEquals(
                    tt.ents().subList(0, (int) tt.commit()), List.copyOf(r.raftLog.nextCommittedEnts(true)), "#" + i);
        }
    }

    /**
     * §5.3: a follower refuses an append whose preceding (index, term) is not in its log, and
     * accepts it otherwise.
     */
    @Test
    void followerChecksAppendConsistency() {
        List<Entry> ents = List.of(entry(1, 1), entry(2, 2));
        long[][] tests = {
            // term, index, windex, wreject (0/1), wrejectHint, wlogterm
            // match with committed entries
            {0, 0, 1, 0, 0, 0},
            {1, 1, 1, 0, 0, 0},
            // match with uncommitted entries
            {2, 2, 2, 0, 0, 0},
            // mismatch with an existing entry
            {1, 2, 2, 1, 1, 1},
            // entry that does not exist
            {3, 3, 3, 1, 2, 2},
        };
        for (int i = 0; i < tests.length; i++) {
            long[] tt = tests[i];
            MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2, 3));
            storage.append(ents);
            Raft r = newTestRaft(1, 10, 1, storage);
            r.loadState(HardState.newBuilder().setCommit(1).build());
            r.becomeFollower(2, 2);

            r.step(msg(2, 1, MessageType.MsgApp)
                    .setTerm(2)
                    .setLogTerm(tt[0])
                    .setIndex(tt[1])
                    .build());

            Message.Builder expected =
                    msg(1, 2, MessageType.MsgAppResp).setTerm(2).setIndex(tt[2]);
            if (tt[3] == 1) {
                expected.setReject(true).setRejectHint(tt[4]).setLogTerm(tt[5]);
            }
            assertEquals(List.of(expected.build()), readMessages(r), "#" + i);
        }
    }

    private record AppendCase(long index, long term, List<Entry> ents, List<Entry> wents, List<Entry> wunstable) {}

    /**
     * §5.3: on a valid append a follower deletes the first conflicting entry and all that
     * follow, appends the new entries, and keeps them unstable until persisted.
     */
    @Test
    void followerAppendsEntriesAndTruncatesConflicts() {
        List<AppendCase> tests = List.of(
                new AppendCase(2, 2, entsAt(3, 3), entsAt(1, 1, 2, 3), entsAt(3, 3)),
                new AppendCase(1, 1, entsAt(2, 3, 4), entsAt(1, 1, 3, 4), entsAt(2, 3, 4)),
                new AppendCase(0, 0, entsAt(1, 1), entsAt(1, 1, 2), List.of()),
                new AppendCase(0, 0, entsAt(1, 3), entsAt(1, 3), entsAt(1, 3)));
        for (int i = 0; i < tests.size(); i++) {
            AppendCase tt = tests.get(i);
            MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2, 3));
            storage.append(List.of(entry(1, 1), entry(2, 2)));
            Raft r = newTestRaft(1, 10, 1, storage);
            r.becomeFollower(2, 2);

            r.step(msg(2, 1, MessageType.MsgApp)
                    .setTerm(2)
                    .setLogTerm(tt.term())
                    .setIndex(tt.index())
                    .addAllEntries(tt.ents())
                    .build());

            assertEquals(tt.wents(), List.copyOf(r.raftLog.allEntries()), "#" + i);
            assertEquals(tt.wunstable(), List.copyOf(r.raftLog.nextUnstableEnts()), "#" + i);
        }
    }

    /** §5.3, figure 7: the leader brings each follower's log into consistency with its own. */
    @Test
    void leaderSyncsFollowerLog() {
        List<Entry> ents = entsAt(0, 0, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6);
        long term = 8;
        List<List<Entry>> tests = List.of(
                entsAt(0, 0, 1, 1, 1, 4, 4, 5, 5, 6, 6),
                entsAt(0, 0, 1, 1, 1, 4, 4),
                entsAt(0, 0, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6),
                entsAt(0, 0, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7),
                entsAt(0, 0, 1, 1, 1, 4, 4, 4, 4),
                entsAt(0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3));
        for (int i = 0; i < tests.size(); i++) {
            MemoryStorage leadStorage = newTestMemoryStorage(withPeers(1, 2, 3));
            leadStorage.append(ents);
            Raft lead = newTestRaft(1, 10, 1, leadStorage);
            lead.loadState(HardState.newBuilder()
                    .setCommit(lead.raftLog.lastIndex())
                    .setTerm(term)
                    .build());
            MemoryStorage followerStorage = newTestMemoryStorage(withPeers(1, 2, 3));
            followerStorage.append(tests.get(i));
            Raft follower = newTestRaft(2, 10, 1, followerStorage);
            follower.loadState(HardState.newBuilder().setTerm(term - 1).build());
            // Three nodes are needed: the follower may have the longer log, so the leader
            // needs the third node's vote.
            Network n = Network.newNetwork(lead, follower, Network.NOP_STEPPER);
            n.send(msg(1, 1, MessageType.MsgHup).build());
            // The election happens in the term after the one loaded above.
            n.send(msg(3, 1, MessageType.MsgVoteResp).setTerm(term + 1).build());

            n.send(msg(1, 1, MessageType.MsgProp)
                    .addEntries(Entry.getDefaultInstance())
                    .build());

            assertEquals("", diffu(ltoa(lead.raftLog), ltoa(follower.raftLog)), "#" + i);
        }
    }

    /** §5.4.1: a vote request carries the candidate's last log entry and goes to every other node. */
    @Test
    void voteRequestCarriesCandidateLog() {
        record VoteCase(List<Entry> ents, long wterm) {}
        List<VoteCase> tests = List.of(new VoteCase(entsAt(1, 1), 2), new VoteCase(entsAt(1, 1, 2), 3));
        for (int j = 0; j < tests.size(); j++) {
            VoteCase tt = tests.get(j);
            Raft r = raft3();
            r.step(msg(2, 1, MessageType.MsgApp)
                    .setTerm(tt.wterm() - 1)
                    .setLogTerm(0)
                    .setIndex(0)
                    .addAllEntries(tt.ents())
                    .build());
            readMessages(r);

            for (int i = 1; i < r.electionTimeout * 2; i++) {
                r.tickElection();
            }

            List<Message> msgs = sorted(readMessages(r));
            assertEquals(2, msgs.size(), "#" + j);
            Entry last = tt.ents().get(tt.ents().size() - 1);
            for (int i = 0; i < msgs.size(); i++) {
                Message m = msgs.get(i);
                assertEquals(MessageType.MsgVote, m.getType(), "#" + j + "." + i);
                assertEquals(i + 2, m.getTo(), "#" + j + "." + i);
                assertEquals(tt.wterm(), m.getTerm(), "#" + j + "." + i);
                assertEquals(last.getIndex(), m.getIndex(), "#" + j + "." + i);
                assertEquals(last.getTerm(), m.getLogTerm(), "#" + j + "." + i);
            }
        }
    }

    /** §5.4.1: a voter denies its vote when its own log is more up to date than the candidate's. */
    @Test
    void voterDeniesCandidateWithStalerLog() {
        record VoterCase(List<Entry> ents, long logterm, long index, boolean wreject) {}
        List<VoterCase> tests = List.of(
                // same log term
                new VoterCase(entsAt(1, 1), 1, 1, false),
                new VoterCase(entsAt(1, 1), 1, 2, false),
                new VoterCase(entsAt(1, 1, 1), 1, 1, true),
                // candidate has the higher log term
                new VoterCase(entsAt(1, 1), 2, 1, false),
                new VoterCase(entsAt(1, 1), 2, 2, false),
                new VoterCase(List.of(entry(1, 1), entry(1, 2)), 2, 1, false),
                // voter has the higher log term
                new VoterCase(entsAt(1, 2), 1, 1, true),
                new VoterCase(entsAt(1, 2), 1, 2, true),
                new VoterCase(entsAt(1, 2, 2), 1, 1, true),
                new VoterCase(entsAt(1, 1, 1), 1, 1, true));
        for (int i = 0; i < tests.size(); i++) {
            VoterCase tt = tests.get(i);
            MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2));
            storage.append(tt.ents());
            Raft r = newTestRaft(1, 10, 1, storage);

            r.step(msg(2, 1, MessageType.MsgVote)
                    .setTerm(3)
                    .setLogTerm(tt.logterm())
                    .setIndex(tt.index())
                    .build());

            List<Message> msgs = readMessages(r);
            assertEquals(1, msgs.size(), "#" + i);
            Message m = msgs.get(0);
            assertEquals(MessageType.MsgVoteResp, m.getType(), "#" + i);
            assertEquals(tt.wreject(), m.getReject(), "#" + i);
        }
    }

    /** §5.4.2: only entries of the leader's current term are committed by counting replicas. */
    @Test
    void leaderOnlyCommitsEntriesOfItsTermByCounting() {
        List<Entry> ents = List.of(entry(1, 1), entry(2, 2));
        long[][] tests = {
            // index, wcommit
            // entries of earlier terms are not committed by counting
            {1, 0},
            {2, 0},
            // an entry of the current term is
            {3, 3},
        };
        for (int i = 0; i < tests.length; i++) {
            MemoryStorage storage = newTestMemoryStorage(withPeers(1, 2));
            storage.append(ents);
            Raft r = newTestRaft(1, 10, 1, storage);
            r.loadState(HardState.newBuilder().setTerm(2).build());
            // Become leader at term 3.
            r.becomeCandidate();
            r.becomeLeader();
            readMessages(r);
            // Propose an entry at the current term.
            r.step(msg(1, 1, MessageType.MsgProp)
                    .addEntries(Entry.getDefaultInstance())
                    .build());

            r.step(msg(2, 1, MessageType.MsgAppResp)
                    .setTerm(r.term)
                    .setIndex(tests[i][0])
                    .build());
            advanceMessagesAfterAppend(r);
            assertEquals(tests[i][1], r.raftLog.committed, "#" + i);
        }
    }
}
