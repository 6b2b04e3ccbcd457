package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptionsParserTest {

    private static final String CLUSTER = "http://127.0.0.1:12379,http://127.0.0.1:22379,http://127.0.0.1:32379";

    @Test
    void defaultsMatchTheOriginalAndTheIssue() throws Exception {
        Options o = OptionsParser.parse(new String[0]);
        assertEquals(1, o.id());
        assertEquals(List.of(URI.create("http://127.0.0.1:9021")), o.cluster());
        assertEquals(9121, o.port());
        assertFalse(o.join());
        assertEquals(Path.of("."), o.dataDir());
        assertEquals(10000, o.snapshotCount());
        assertEquals(10000, o.snapshotCatchupEntries());
        assertEquals(Duration.ofMillis(100), o.tickInterval());
        assertEquals(10, o.electionTicks());
        assertEquals(1, o.heartbeatTicks());
        assertEquals(1 << 20, o.maxValueBytes());
        assertEquals(Duration.ofSeconds(5), o.requestTimeout());
    }

    @Test
    void preVoteAndCheckQuorumAreOnByDefaultAndEachCanBeTurnedOff() throws Exception {
        Options d = OptionsParser.parse(new String[0]);
        assertTrue(d.preVote());
        assertTrue(d.checkQuorum());
        assertEquals("INFO", d.logLevel());
        assertEquals(5000, d.maxApplyLag());
        Options o = OptionsParser.parse(new String[] {
            "--pre-vote=false", "--check-quorum=false", "--log-level", "debug", "--health-max-apply-lag", "10"
        });
        assertFalse(o.preVote());
        assertFalse(o.checkQuorum());
        assertEquals("DEBUG", o.logLevel());
        assertEquals(10, o.maxApplyLag());
        assertTrue(OptionsParser.parse(new String[] {"--pre-vote"}).preVote());
        assertThrows(UsageException.class, () -> OptionsParser.parse(new String[] {"--log-level", "loud"}));
        assertThrows(UsageException.class, () -> OptionsParser.parse(new String[] {"--check-quorum=no"}));
    }

    @Test
    void theQuotaDefaultsToAShareOfTheHeapForTheMemoryStoreAndNoneForRocksDbAndCanBeSetOrTurnedOff() throws Exception {
        long heapShare = Runtime.getRuntime().maxMemory() / 100 * Options.DEFAULT_MEMORY_QUOTA_PERCENT;
        assertTrue(heapShare > 0);
        assertEquals(heapShare, OptionsParser.parse(new String[0]).quotaBytes());
        assertEquals(0, OptionsParser.parse(new String[] {"--store", "rocksdb"}).quotaBytes());
        assertEquals(
                1 << 20,
                OptionsParser.parse(new String[] {"--quota-bytes", "1048576"}).quotaBytes());
        assertEquals(
                4096,
                OptionsParser.parse(new String[] {"--store=rocksdb", "--quota-bytes=4096"})
                        .quotaBytes());
        assertEquals(0, OptionsParser.parse(new String[] {"--quota-bytes", "0"}).quotaBytes());
        UsageException bad =
                assertThrows(UsageException.class, () -> OptionsParser.parse(new String[] {"--quota-bytes", "-1"}));
        assertTrue(bad.getMessage().contains("--quota-bytes"), bad.getMessage());
        assertThrows(UsageException.class, () -> OptionsParser.parse(new String[] {"--quota-bytes", "1g"}));
        assertTrue(OptionsParser.usage().contains("--quota-bytes N"));
    }

    @Test
    void parsesTheProcfileCommandLine() throws Exception {
        Options o = OptionsParser.parse(new String[] {"--id", "2", "--cluster", CLUSTER, "--port", "22380"});
        assertEquals(2, o.id());
        assertEquals(3, o.cluster().size());
        assertEquals(URI.create("http://127.0.0.1:22379"), o.ownPeerUrl());
        assertEquals(22380, o.port());
        assertEquals(Path.of(".", "raftexample-2"), o.walDir());
        assertEquals(Path.of(".", "raftexample-2-snap"), o.snapDir());
    }

    @Test
    void acceptsGoFlagSpellings() throws Exception {
        Options o = OptionsParser.parse(new String[] {
            "-id=3", "-cluster=" + CLUSTER, "--join", "--data-dir=/tmp/x", "--snapshot-count", "5",
            "--snapshot-catchup-entries=0", "--tick-ms", "10", "--election-ticks=5", "--heartbeat-ticks", "2",
            "--max-value-bytes", "10", "--request-timeout-ms", "250"
        });
        assertEquals(3, o.id());
        assertTrue(o.join());
        assertEquals(Path.of("/tmp/x", "raftexample-3"), o.walDir());
        assertEquals(5, o.snapshotCount());
        assertEquals(0, o.snapshotCatchupEntries());
        assertEquals(Duration.ofMillis(10), o.tickInterval());
        assertEquals(5, o.electionTicks());
        assertEquals(2, o.heartbeatTicks());
        assertEquals(10, o.maxValueBytes());
        assertEquals(Duration.ofMillis(250), o.requestTimeout());
        assertFalse(OptionsParser.parse(new String[] {"--join=false"}).join());
    }

    @Test
    void rejectsBadCommandLinesWithOneLineMessages() {
        String[][] bad = {
            {"--nope"},
            {"--id"},
            {"--id", "x"},
            {"--id", "0"},
            {"--id", "4", "--cluster", CLUSTER},
            {"--cluster", "127.0.0.1:12379"},
            {"--cluster", "http://127.0.0.1:12379,"},
            {"--cluster", "https://127.0.0.1:12379"},
            {"--port", "70000"},
            {"--join=maybe"},
            {"--election-ticks", "1"},
            {"--tick-ms", "0"},
            {"--snapshot-count", "-1"},
            {"--max-value-bytes", "0"},
            {"stray"},
        };
        for (String[] args : bad) {
            UsageException e =
                    assertThrows(UsageException.class, () -> OptionsParser.parse(args), String.join(" ", args));
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void helpIsRecognisedAndListsEveryFlag() {
        assertTrue(OptionsParser.wantsHelp(new String[] {"--id", "1", "--help"}));
        assertTrue(OptionsParser.wantsHelp(new String[] {"-h"}));
        String usage = OptionsParser.usage();
        for (String flag : List.of(
                "--id",
                "--cluster",
                "--port",
                "--join",
                "--data-dir",
                "--snapshot-count",
                "--snapshot-catchup-entries",
                "--tick-ms",
                "--election-ticks",
                "--heartbeat-ticks",
                "--max-value-bytes",
                "--request-timeout-ms",
                "--help")) {
            assertTrue(usage.contains(flag), flag);
        }
    }
}
