package org.raftexample.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.raftexample.wal.WalFixtures.SMALL;
import static org.raftexample.wal.WalFixtures.start;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.raftexample.fuzz.Fuzz;
import org.raftexample.fuzz.Mutations;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;

/**
 * Damaged WAL segments, fuzzed: whatever the bytes, opening and reading the log either returns entries that are
 * exactly the ones written (a prefix of the log, after cutting a torn tail) or fails with a {@link WalException},
 * promptly; never another exception, a hang or an allocation driven by a damaged length word.
 *
 * <p>Seeded: {@code -Dfuzz.seed=N} replays a run, {@code -Dfuzz.tries=N} sets the tries (default 400); see
 * {@link Fuzz}.
 */
class WalFuzzTest {
    private static final int ENTRIES = 60;
    private static final int TRIES = 400;
    private static final AtomicLong TRIED = new AtomicLong();
    private static Path pristine;
    private static final List<Entry> WRITTEN = new ArrayList<>();

    @BeforeAll
    static void writeLog() throws IOException {
        pristine = Files.createTempDirectory("wal-fuzz");
        Path dir = pristine.resolve("wal");
        try (WAL w = WAL.create(dir, "meta".getBytes(), SMALL)) {
            for (long i = 1; i <= ENTRIES; i++) {
                Entry e = WalFixtures.entry(i, 1 + i / 20, "value-" + i + "-" + "v".repeat((int) (i % 13) * 9));
                WRITTEN.add(e);
                w.save(
                        HardState.newBuilder()
                                .setTerm(1 + i / 20)
                                .setCommit(i - 1)
                                .build(),
                        List.of(e));
            }
        }
    }

    @AfterAll
    static void cleanUp() throws IOException {
        WalFixtures.deleteDir(pristine);
        System.out.println("fuzz: WAL decoder, " + TRIED.get() + " damaged logs read");
    }

    /** Which segment to damage (taken modulo the number of segments), and how. */
    record Damage(int segmentPick, List<Mutations.Op> edits) {}

    @Test
    void aDamagedSegmentReadsAsAPrefixOfTheLogOrFailsCleanly() {
        Fuzz.forAll(
                0x3a1f_0001L,
                TRIES,
                r -> new Damage(r.nextInt(100), Mutations.ops(r)),
                Damage::toString,
                d -> damageAndRead(d.segmentPick(), d.edits()));
    }

    private static void damageAndRead(int segmentPick, List<Mutations.Op> edits) throws Exception {
        TRIED.incrementAndGet();
        Path dir = Files.createTempDirectory(pristine, "try");
        try {
            WalFixtures.copyDir(pristine.resolve("wal"), dir);
            List<Path> segments = WalFixtures.segmentFiles(dir);
            Path victim = segments.get(segmentPick % segments.size());
            Files.write(victim, Mutations.apply(Files.readAllBytes(victim), edits));
            List<Entry> read = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> readOrNull(dir));
            if (read != null) {
                for (int i = 0; i < read.size(); i++) {
                    assertEquals(WRITTEN.get(i), read.get(i), "entry " + (i + 1) + " read back differs");
                }
            }
        } finally {
            WalFixtures.deleteDir(dir);
        }
    }

    /** The entries read, or null when the WAL refused the damage with its own exception. */
    private static List<Entry> readOrNull(Path dir) {
        try (WAL w = WAL.open(dir, start(), SMALL)) {
            return w.readAll().entries();
        } catch (WalException refused) {
            return null;
        }
    }
}
