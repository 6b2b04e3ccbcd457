package org.raftexample.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;

/** The sync observer hears one duration per data sync, and none when a save needs no sync. */
class WalSyncObserverTest {

    @Test
    void observerHearsEverySyncOfASaveAndNoneForACommitOnlyChange(@TempDir Path dir) {
        List<Long> durations = new CopyOnWriteArrayList<>();
        try (WAL w = WAL.create(dir.resolve("wal"), null)) {
            w.setSyncObserver(durations::add);
            long before = w.syncCount();
            w.save(
                    HardState.newBuilder().setTerm(1).setVote(1).setCommit(0).build(),
                    List.of(Entry.newBuilder().setTerm(1).setIndex(1).build()));
            assertEquals(1, w.syncCount() - before);
            assertEquals(1, durations.size());
            assertTrue(durations.get(0) >= 0);
            // Only the commit index moved: written, not synced (raft's MustSync), so nothing to hear.
            w.save(HardState.newBuilder().setTerm(1).setVote(1).setCommit(1).build(), List.of());
            assertEquals(1, durations.size());
            w.sync();
            assertEquals(2, durations.size());
        }
    }
}
