package org.raftexample.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.raftexample.raft.RaftTestUtil.entsAt;
import static org.raftexample.raft.RaftTestUtil.newTestConfig;
import static org.raftexample.raft.RaftTestUtil.newTestMemoryStorage;
import static org.raftexample.raft.RaftTestUtil.readMessages;
import static org.raftexample.raft.RaftTestUtil.withPeers;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.raftexample.raft.tracker.ProgressFixtures;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.MessageType;
import org.raftexample.raftpb.Snapshot;

/**
 * A storage failure other than "compacted" or "unavailable" means raft cannot know what its log
 * holds. etcd panics (raftLog.term, raftLog.slice); it must not be mistaken for a compacted log
 * and answered with a snapshot.
 */
class StorageErrorTest {

    /** A MemoryStorage that fails term() or entries() with an unexpected error once armed. */
    private static final class FailingStorage implements Storage {
        final MemoryStorage ms;
        volatile boolean failTerm;
        volatile boolean failEntries;
        final StorageException failure = new StorageException("disk read failed");

        FailingStorage(MemoryStorage ms) {
            this.ms = ms;
        }

        @Override
        public InitialState initialState() {
            return ms.initialState();
        }

        @Override
        public List<Entry> entries(long lo, long hi, long maxSize) {
            if (failEntries) {
                throw failure;
            }
            return ms.entries(lo, hi, maxSize);
        }

        @Override
        public long term(long i) {
            if (failTerm) {
                throw failure;
            }
            return ms.term(i);
        }

        @Override
        public long lastIndex() {
            return ms.lastIndex();
        }

        @Override
        public long firstIndex() {
            return ms.firstIndex();
        }

        @Override
        public Snapshot snapshot() {
            return ms.snapshot();
        }
    }

    /** A leader of {1, 2} whose log 1..5 is stable, probing follower 2 from index 2. */
    private static Raft leaderWithStableLog(FailingStorage s) {
        s.ms.append(entsAt(1, 1, 1, 1, 1, 1));
        Raft r = Raft.newRaft(newTestConfig(1, 10, 1, s).build());
        r.becomeCandidate();
        r.becomeLeader();
        readMessages(r);
        r.trk.progress().get(2L).becomeProbe();
        ProgressFixtures.setNext(r.trk.progress().get(2L), 2);
        ProgressFixtures.setRecentActive(r.trk.progress().get(2L), true);
        return r;
    }

    @Test
    void unexpectedErrorFromStorageTermPanicsInsteadOfSendingASnapshot() {
        FailingStorage s = new FailingStorage(newTestMemoryStorage(withPeers(1, 2)));
        Raft r = leaderWithStableLog(s);
        s.failTerm = true;

        RaftPanicException e = assertThrows(RaftPanicException.class, () -> r.sendAppend(2));
        assertSame(s.failure, e.getCause());
        assertEquals(
                List.of(),
                readMessages(r).stream()
                        .filter(m -> m.getType() == MessageType.MsgSnap)
                        .toList());
    }

    @Test
    void unexpectedErrorFromStorageEntriesPanicsInsteadOfSendingASnapshot() {
        FailingStorage s = new FailingStorage(newTestMemoryStorage(withPeers(1, 2)));
        Raft r = leaderWithStableLog(s);
        s.failEntries = true;

        RaftPanicException e = assertThrows(RaftPanicException.class, () -> r.sendAppend(2));
        assertSame(s.failure, e.getCause());
        assertEquals(
                List.of(),
                readMessages(r).stream()
                        .filter(m -> m.getType() == MessageType.MsgSnap)
                        .toList());
    }

    @Test
    void compactedLogStillFallsBackToASnapshot() {
        FailingStorage s = new FailingStorage(newTestMemoryStorage(withPeers(1, 2)));
        Raft r = leaderWithStableLog(s);
        s.ms.createSnapshot(4, s.ms.snapshot().getMetadata().getConfState(), new byte[0]);
        s.ms.compact(4);

        r.sendAppend(2);
        assertEquals(
                List.of(MessageType.MsgSnap),
                readMessages(r).stream().map(m -> m.getType()).toList());
    }
}
