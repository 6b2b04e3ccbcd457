package org.raftexample.snap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raftexample.fuzz.Fuzz;
import org.raftexample.fuzz.Mutations;
import org.raftexample.raftpb.ConfState;
import org.raftexample.raftpb.Snapshot;
import org.raftexample.raftpb.SnapshotMetadata;

/**
 * Corrupt {@code .snap} files, fuzzed: loading one gives the snapshot that was saved or a {@link SnapException},
 * never another exception or a hang; and the snapshotter falls back past broken files to an intact older one.
 *
 * <p>Seeded: {@code -Dfuzz.seed=N} replays a run, {@code -Dfuzz.tries=N} sets the tries per property (default
 * 400); see {@link Fuzz}.
 */
class SnapshotFuzzTest {
    private static final int TRIES = 400;
    private static final AtomicLong TRIED = new AtomicLong();
    private static Path dir;
    private static byte[] newest;
    private static Snapshot saved;
    private static Snapshot older;

    @BeforeAll
    static void saveSnapshots() throws IOException {
        dir = Files.createTempDirectory("snap-fuzz");
        Snapshotter s = new Snapshotter(dir.resolve("pristine"));
        older = snapshot(5, 1, "older state");
        saved = snapshot(9, 2, "{\"a\":\"1\",\"b\":\"" + "x".repeat(300) + "\"}");
        s.save(older);
        s.save(saved);
        newest = Files.readAllBytes(dir.resolve("pristine").resolve(Snapshotter.fileName(2, 9)));
    }

    @AfterAll
    static void cleanUp() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        System.out.println("fuzz: snapshot loader, " + TRIED.get() + " damaged or random .snap files read");
    }

    private static Snapshot snapshot(long index, long term, String data) {
        return Snapshot.newBuilder()
                .setData(ByteString.copyFromUtf8(data))
                .setMetadata(SnapshotMetadata.newBuilder()
                        .setIndex(index)
                        .setTerm(term)
                        .setConfState(ConfState.newBuilder().addVoters(1).addVoters(2)))
                .build();
    }

    @Test
    void aDamagedSnapshotFileLoadsAsSavedOrIsRefused() {
        Fuzz.forAll(0x5aa9_0001L, TRIES, r -> Mutations.damage(r, newest), Mutations.Damaged::toString, damaged -> {
            TRIED.incrementAndGet();
            Snapshot read = readOrNull(damaged.bytes());
            if (read != null) {
                assertEquals(saved, read);
            }
        });
    }

    @Test
    void randomBytesAreRefused() {
        Fuzz.forAll(0x5aa9_0002L, TRIES, r -> Mutations.randomBytes(r, 2048), Fuzz::hex, bytes -> {
            TRIED.incrementAndGet();
            Snapshot read = readOrNull(bytes);
            // A random file passing the checksum of a protobuf snapshot would be a 1 in 2^32 accident.
            assertEquals(null, read);
        });
    }

    @Test
    void loadingFallsBackFromADamagedNewestFileToTheIntactOlderOne() {
        Fuzz.forAll(
                0x5aa9_0003L,
                TRIES,
                r -> Mutations.damage(r, newest),
                Mutations.Damaged::toString,
                d -> loadWithDamagedNewest(d.bytes()));
    }

    private static void loadWithDamagedNewest(byte[] damaged) throws Exception {
        TRIED.incrementAndGet();
        Path d = Files.createTempDirectory(dir, "try");
        Files.copy(dir.resolve("pristine").resolve(Snapshotter.fileName(1, 5)), d.resolve(Snapshotter.fileName(1, 5)));
        Files.write(d.resolve(Snapshotter.fileName(2, 9)), damaged);
        Snapshot loaded = assertTimeoutPreemptively(
                Duration.ofSeconds(10), () -> new Snapshotter(d).load().orElseThrow());
        assertEquals(readOrNull(damaged) != null ? saved : older, loaded);
    }

    private static Snapshot readOrNull(byte[] bytes) throws IOException {
        Path f = Files.createTempFile(dir, "fuzz", ".snap");
        try {
            Files.write(f, bytes);
            return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                try {
                    return Snapshotter.read(f);
                } catch (SnapException refused) {
                    return null;
                }
            });
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
