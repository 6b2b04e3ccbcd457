package org.raftexample.kvstore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.raftexample.server.PublishedStatus;
import org.raftexample.server.RaftNode;

/** The {@link NodeView} of a running {@link RaftNode} and its {@link KVStore}; thread-safe as they are. */
final class RaftNodeView implements NodeView {

    private final Options opts;
    private final RaftNode raft;
    private final KeyValueStore store;

    RaftNodeView(Options opts, RaftNode raft, KeyValueStore store) {
        this.opts = opts;
        this.raft = raft;
        this.store = store;
    }

    @Override
    public long id() {
        return opts.id();
    }

    @Override
    public long clusterId() {
        return raft.clusterId();
    }

    @Override
    public PublishedStatus publishedStatus() {
        return raft.publishedStatus();
    }

    @Override
    public Duration maxRaftStatusAge() {
        return opts.tickInterval().multipliedBy(opts.electionTicks());
    }

    @Override
    public long committedIndex() {
        return raft.committedIndex();
    }

    @Override
    public long appliedIndex() {
        return raft.appliedIndex();
    }

    @Override
    public long snapshotIndex() {
        return raft.snapshotIndex();
    }

    @Override
    public long walBytes() {
        return directorySize(opts.walDir());
    }

    @Override
    public long keyCount() {
        return store.size();
    }

    @Override
    public long storeBytes() {
        return store.sizeBytes();
    }

    @Override
    public long quotaBytes() {
        return opts.quotaBytes();
    }

    @Override
    public long entriesSkipped() {
        return store.skippedEntries();
    }

    @Override
    public long proposalsFiltered() {
        return raft.proposalsFiltered();
    }

    @Override
    public long readIndexRounds() {
        return raft.readIndexRounds();
    }

    @Override
    public Map<Long, String> peerUrls() {
        return raft.peerUrls();
    }

    @Override
    public boolean peerActive(long id) {
        return raft.peerActive(id);
    }

    @Override
    public long maxApplyLag() {
        return opts.maxApplyLag();
    }

    /** The bytes the regular files directly in {@code dir} take (segments are preallocated, so it is their full size). */
    static long directorySize(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.mapToLong(p -> {
                        try {
                            return Files.isRegularFile(p) ? Files.size(p) : 0;
                        } catch (NoSuchFileException e) {
                            return 0; // purged while we looked
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    })
                    .sum();
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
