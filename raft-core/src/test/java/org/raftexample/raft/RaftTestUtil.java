package org.raftexample.raft;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.Message;
import org.raftexample.raftpb.MessageType;

/**
 * Test fixtures shared by the raft state machine tests (etcd's helpers from raft_test.go,
 * raft_paper_test.go, log_test.go and diff_test.go): configs, storages, state machines and the
 * message plumbing that etcd adds to {@code *raft} in its test files.
 */
final class RaftTestUtil {
    static final long NO_LIMIT = Long.MAX_VALUE;

    private RaftTestUtil() {}

    /** etcd's newTestConfig: no message size limit, 256 in-flight messages. */
    static Config.Builder newTestConfig(long id, int election, int heartbeat, Storage storage) {
        Config.Builder c = Config.builder();
        c.id(id);
        c.electionTick(election);
        c.heartbeatTick(heartbeat);
        c.storage(storage);
        c.maxSizePerMsg(NO_LIMIT);
        c.maxInflightMsgs(256);
        return c;
    }

    /** Adjusts a fresh MemoryStorage before use (etcd's testMemoryStorageOptions). */
    @FunctionalInterface
    interface StorageOption extends Consumer<MemoryStorage> {}

    /** Puts the given voters into the storage's initial (index 0) snapshot. */
    static StorageOption withPeers(long... peers) {
        return ms -> setInitialConfState(ms, cs -> {
            cs.clearVoters();
            Arrays.stream(peers).forEach(cs::addVoters);
        });
    }

    /** Puts the given learners into the storage's initial (index 0) snapshot. */
    static StorageOption withLearners(long... learners) {
        return ms -> setInitialConfState(ms, cs -> {
            cs.clearLearners();
            Arrays.stream(learners).forEach(cs::addLearners);
        });
    }

    static MemoryStorage newTestMemoryStorage(StorageOption... opts) {
        MemoryStorage ms = new MemoryStorage();
        for (StorageOption o : opts) {
            o.accept(ms);
        }
        return ms;
    }

    /**
     * Edits the conf state of the storage's current (initial, index 0) snapshot, as etcd's tests
     * assign {@code ms.snapshot.Metadata.ConfState} fields. (Reading it counts one snapshot call
     * in the storage's call statistics.)
     */
    private static void setInitialConfState(MemoryStorage ms, Consumer<ConfState.Builder> edit) {
        ConfState.Builder cs = ms.snapshot().getMetadata().getConfState().toBuilder();
        edit.accept(cs);
        ms.setConfState(cs.build());
    }

    static Raft newTestRaft(long id, int election, int heartbeat, Storage storage) {
        return Raft.newRaft(newTestConfig(id, election, heartbeat, storage).build());
    }

    static Raft newTestLearnerRaft(long id, int election, int heartbeat, Storage storage) {
        return Raft.newRaft(newTestConfig(id, election, heartbeat, storage).build());
    }

    /** A RawNode over the storage; its configuration is whatever the storage holds. */
    static RawNode newTestRawNode(long id, int election, int heartbeat, Storage storage) {
        return new RawNode(newTestConfig(id, election, heartbeat, storage).build());
    }

    static void preVoteConfig(Config.Builder c) {
        c.preVote(true);
    }

    /** Ids 1..size. */
    static long[] idsBySize(int size) {
        long[] ids = new long[size];
        for (int i = 0; i < size; i++) {
            ids[i] = i + 1;
        }
        return ids;
    }

    /** Fixes the randomized election timeout, for tests that need exact tick counts. */
    static void setRandomizedElectionTimeout(Raft r, int v) {
        r.randomizedElectionTimeout = v;
    }

    static void setRandomizedElectionTimeout(RawNode rn, int v) {
        setRandomizedElectionTimeout(rn.raft, v);
    }

    /** Delivers the after-append messages (as if persisted) and drains the outgoing messages. */
    static List<Message> readMessages(Raft r) {
        advanceMessagesAfterAppend(r);
        List<Message> msgs = r.msgs;
        r.msgs = new ArrayList<>();
        return msgs;
    }

    /** Steps the self-addressed after-append messages and moves the others to msgs, until none is left. */
    static void advanceMessagesAfterAppend(Raft r) {
        while (true) {
            List<Message> msgs = takeMessagesAfterAppend(r);
            if (msgs.isEmpty()) {
                break;
            }
            stepOrSend(r, msgs);
        }
    }

    static List<Message> takeMessagesAfterAppend(Raft r) {
        List<Message> msgs = r.msgsAfterAppend;
        r.msgsAfterAppend = new ArrayList<>();
        return msgs;
    }

    static void stepOrSend(Raft r, List<Message> msgs) {
        for (Message m : msgs) {
            if (m.getTo() == r.id) {
                r.step(m);
            } else {
                r.msgs.add(m);
            }
        }
    }

    /** Persists the unstable entries, runs the post-append steps and returns the appliable entries. */
    static List<Entry> nextEnts(Raft r, MemoryStorage s) {
        s.append(r.raftLog.nextUnstableEnts());
        r.raftLog.stableTo(r.raftLog.lastEntryID());
        advanceMessagesAfterAppend(r);
        List<Entry> ents = r.raftLog.nextCommittedEnts(true);
        r.raftLog.appliedTo(r.raftLog.committed, 0);
        return ents;
    }

    static void mustAppendEntry(Raft r, Entry... ents) {
        if (!r.appendEntry(List.of(ents))) {
            throw new IllegalStateException("entry unexpectedly dropped");
        }
    }

    /** Entries at consecutive indexes starting at {@code index}, with the given terms (log_test.go's index(i).terms). */
    static List<Entry> entsAt(long index, long... terms) {
        List<Entry> out = new ArrayList<>(terms.length);
        for (long t : terms) {
            out.add(Entry.newBuilder().setTerm(t).setIndex(index++).build());
        }
        return out;
    }

    /** An entry with only term and index set. */
    static Entry entry(long term, long index) {
        return Entry.newBuilder().setTerm(term).setIndex(index).build();
    }

    /** An entry with term, index and data set. */
    static Entry entry(long term, long index, String data) {
        return Entry.newBuilder()
                .setTerm(term)
                .setIndex(index)
                .setData(ByteString.copyFromUtf8(data))
                .build();
    }

    /** A proposal entry holding only data. */
    static Entry data(String data) {
        return Entry.newBuilder().setData(ByteString.copyFromUtf8(data)).build();
    }

    /** A message builder with from, to and type set. */
    static Message.Builder msg(long from, long to, MessageType type) {
        return Message.newBuilder().setFrom(from).setTo(to).setType(type);
    }

    /** A raft (ids 1..) whose log holds one entry per term given, at that term; for networks. */
    static Raft entsWithConfig(Consumer<Config.Builder> configFunc, long... terms) {
        MemoryStorage storage = new MemoryStorage();
        for (int i = 0; i < terms.length; i++) {
            storage.append(List.of(entry(terms[i], i + 1)));
        }
        Config.Builder cfg = newTestConfig(1, 5, 1, storage);
        if (configFunc != null) {
            configFunc.accept(cfg);
        }
        Raft sm = Raft.newRaft(cfg.build());
        sm.reset(terms.length == 0 ? 0 : terms[terms.length - 1]);
        return sm;
    }

    /**
     * A raft that voted for {@code vote} in {@code term} and has an empty log, as a node that
     * voted in an election but did not hear of its outcome.
     */
    static Raft votedWithConfig(Consumer<Config.Builder> configFunc, long vote, long term) {
        MemoryStorage storage = new MemoryStorage();
        storage.setHardState(org.raftexample.raftpb.HardState.newBuilder()
                .setVote(vote)
                .setTerm(term)
                .build());
        Config.Builder cfg = newTestConfig(1, 5, 1, storage);
        if (configFunc != null) {
            configFunc.accept(cfg);
        }
        Raft sm = Raft.newRaft(cfg.build());
        sm.reset(term);
        return sm;
    }

    /** Orders messages by recipient, then type, then sender (etcd's messageSlice). */
    static final Comparator<Message> MESSAGE_ORDER = Comparator.comparingLong(Message::getTo)
            .thenComparingInt(m -> m.getType().getNumber())
            .thenComparingLong(Message::getFrom);

    static List<Message> sorted(List<Message> msgs) {
        List<Message> out = new ArrayList<>(msgs);
        out.sort(MESSAGE_ORDER);
        return out;
    }

    /** The follower's acceptance of an append: ack of the last index the append carried. */
    static Message acceptAndReply(Message m) {
        if (m.getType() != MessageType.MsgApp) {
            throw new IllegalArgumentException("type should be MsgApp");
        }
        Message.Builder b = Message.newBuilder();
        if (m.hasTo()) {
            b.setFrom(m.getTo());
        }
        if (m.hasFrom()) {
            b.setTo(m.getFrom());
        }
        if (m.hasTerm()) {
            b.setTerm(m.getTerm());
        }
        return b.setType(MessageType.MsgAppResp)
                .setIndex(m.getIndex() + m.getEntriesCount())
                .build();
    }

    /** Commits a new leader's empty entry by acking it from every follower, then persists and applies it. */
    static void commitNoopEntry(Raft r, MemoryStorage s) {
        if (r.state != StateType.StateLeader) {
            throw new IllegalStateException("it should only be used when it is the leader");
        }
        r.bcastAppend();
        for (Message m : readMessages(r)) {
            if (m.getType() != MessageType.MsgApp
                    || m.getEntriesCount() != 1
                    || m.getEntries(0).hasData()) {
                throw new IllegalStateException("not a message to append noop entry");
            }
            r.step(acceptAndReply(m));
        }
        // Drop the appends that refresh the followers' commit index.
        readMessages(r);
        s.append(r.raftLog.nextUnstableEnts());
        r.raftLog.appliedTo(r.raftLog.committed, 0);
        r.raftLog.stableTo(r.raftLog.lastEntryID());
    }

    /** A textual dump of a log, to compare two logs (etcd's ltoa). */
    static String ltoa(RaftLog l) {
        StringBuilder s = new StringBuilder();
        s.append("lastIndex: ").append(l.lastIndex()).append('\n');
        s.append("applied:  ").append(l.applied).append('\n');
        s.append("applying:  ").append(l.applying).append('\n');
        List<Entry> all = l.allEntries();
        for (int i = 0; i < all.size(); i++) {
            s.append('#')
                    .append(i)
                    .append(": ")
                    .append(Util.describeEntry(all.get(i), null))
                    .append('\n');
        }
        return s.toString();
    }

    /** Empty when equal, otherwise both texts line by line (stands in for etcd's diff -u). */
    static String diffu(String a, String b) {
        if (a.equals(b)) {
            return "";
        }
        StringBuilder out = new StringBuilder("--- base\n+++ other\n");
        String[] al = a.split("\n", -1);
        String[] bl = b.split("\n", -1);
        for (int i = 0; i < Math.max(al.length, bl.length); i++) {
            String x = i < al.length ? al[i] : null;
            String y = i < bl.length ? bl[i] : null;
            if (x != null && x.equals(y)) {
                out.append(' ').append(x).append('\n');
                continue;
            }
            if (x != null) {
                out.append('-').append(x).append('\n');
            }
            if (y != null) {
                out.append('+').append(y).append('\n');
            }
        }
        return out.toString();
    }

    /** A local MsgHup to {@code id}: start an election there. */
    static Message hup(long id) {
        return msg(id, id, MessageType.MsgHup).build();
    }

    /** A local MsgBeat to {@code id}: a leader broadcasts heartbeats. */
    static Message beat(long id) {
        return msg(id, id, MessageType.MsgBeat).build();
    }

    /** A local proposal of the given entries to {@code id}. */
    static Message prop(long id, Entry... ents) {
        return msg(id, id, MessageType.MsgProp).addAllEntries(List.of(ents)).build();
    }

    /** A local proposal of one entry holding {@code data} to {@code id}. */
    static Message prop(long id, String data) {
        return prop(id, data(data));
    }

    /** A local proposal of one empty entry to {@code id}. */
    static Message propEmpty(long id) {
        return prop(id, Entry.getDefaultInstance());
    }

    /** Reads the raft's messages, requiring exactly one (etcd's expectOneMessage). */
    static Message expectOneMessage(Raft r) {
        List<Message> msgs = readMessages(r);
        if (msgs.size() != 1) {
            throw new AssertionError("expect one message, got " + msgs);
        }
        return msgs.get(0);
    }

    /** A V1 configuration change of one node, as a V2 one (etcd's {@code (&pb.ConfChange{...}).AsV2()}). */
    static org.raftexample.raftpb.ConfChangeV2 confChangeV2(org.raftexample.raftpb.ConfChangeType type, long nodeId) {
        return org.raftexample.raftpb.ConfChanges.asV2(org.raftexample.raftpb.ConfChange.newBuilder()
                .setType(type)
                .setNodeId(nodeId)
                .build());
    }

    /** The ltoa dump of a log over exactly these entries (etcd's {@code newLog(&MemoryStorage{ents: ents}, nil)}). */
    static String ltoaOfEntries(List<Entry> ents) {
        return ltoa(RaftLog.newLog(MemoryStorage.withEntries(ents), null));
    }

    /** A logger that drops everything, for tests that run thousands of elections. */
    static final Logger DISCARD_LOGGER = new Logger() {
        @Override
        public void debug(String format, Object... args) {}

        @Override
        public void info(String format, Object... args) {}

        @Override
        public void warning(String format, Object... args) {}

        @Override
        public void error(String format, Object... args) {}

        @Override
        public void fatal(String format, Object... args) {
            throw new RaftPanicException(Logger.format(format, args));
        }

        @Override
        public void panic(String format, Object... args) {
            throw new RaftPanicException(Logger.format(format, args));
        }
    };
}
