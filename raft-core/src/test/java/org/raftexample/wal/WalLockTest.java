package org.raftexample.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The directory lock keeps a second process out of an open WAL. */
class WalLockTest {
    @TempDir
    Path tmp;

    private record Outcome(int exitCode, String output) {}

    private static Outcome probe(Path dir) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(
                        java, "-cp", System.getProperty("java.class.path"), LockProbe.class.getName(), dir.toString())
                .redirectErrorStream(true)
                .start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("probe process did not finish");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Outcome(p.exitValue(), out);
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    @Timeout(120)
    void anotherProcessCannotOpenAnOpenWal() throws Exception {
        Path dir = tmp.resolve("wal");
        try (WAL w = WAL.create(dir, null, WalFixtures.SMALL)) {
            w.save(WalFixtures.state(1, 1, 1), WalFixtures.entries(1, 3, 1));
            Outcome o = probe(dir);
            assertEquals(LockProbe.LOCKED, o.exitCode(), o.output());
            assertTrue(o.output().contains("another process"), o.output());
        }
        Outcome o = probe(dir);
        assertEquals(LockProbe.OPENED, o.exitCode(), o.output());
        // The probe's open did not disturb the log.
        assertEquals(WalFixtures.entries(1, 3, 1), WalFixtures.readBack(dir).entries());
        assertEquals(List.of(WAL.marker(0, 0)), WAL.validSnapshotEntries(dir));
    }
}
