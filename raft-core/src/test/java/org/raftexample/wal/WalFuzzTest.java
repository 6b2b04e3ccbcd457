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
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.raftexample.fuzz.Mutations;
import org.raftexample.raftpb.Entry;
import org.raftexample.raftpb.HardState;

/**
 * Damaged WAL segments, fuzzed: whatever the bytes, opening and reading the log either returns entries that are
 * exactly the ones written (a prefix of the log, after cutting a torn tail) or fails with a {@link WalException},
 * promptly; never another exception, a hang or an allocation driven by a damaged length word.
 */
class WalFuzzTest {
    private static final int ENTRIES = 60;
    private static final AtomicLong TRIED = new AtomicLong();
    private static Path pristine;
    private static final List<Entry> WRITTEN = new ArrayList<>();

    @BeforeContainer
    static void writeLog() throws IOException {
        pristine = Files.createTempDirectory("wal-fuzz");
        Path dir = pristine.resolve("wal");
        try (WAL w = WAL.create(dir, "meta".getBytes(), SMALL)) {
            for (long i = 1; i <= ENTRIES; i++) {
                Entry e = WalFixtures.entry(i, 1 + i / 20, "value-" + i + "-" + "v".repeat((int) (i % 13) * 9));
                WRITTEN.add(e);
                w.save(HardState.newBuilder().setTerm(1 + i / 20).setCommit(i - 1).build(), List.of(e));
            }
        }
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        WalFixtures.deleteDir(pristine);
        System.out.println("fuzz: WAL decoder, " + TRIED.get() + " damaged logs read");
    }

    @Provide
    Arbitrary<List<Mutations.Op>> edits() {
        return Mutations.ops();
    }

    @Property
    void aDamagedSegmentReadsAsAPrefixOfTheLogOrFailsCleanly(@ForAll @IntRange(min = 0, max = 99) int segmentPick,
            @ForAll("edits") List<Mutations.Op> edits) throws Exception {
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
