package org.raftexample.kvstore.faults;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The nemeses, each in its own scenario and then mixed, on one three-node cluster whose nodes live
 * on hosts of their own (network namespaces; loopback proxies without root, said loudly). Every
 * scenario checks its whole history (see {@link FaultScenario}). The scenarios share the cluster to
 * keep the suite within a few minutes; each uses keys of its own.
 *
 * <p>{@code -Dfaults.seconds=N} sets how long each scenario injects faults (default 6, at least one
 * round); {@code -Dfaults.soak=true} makes it {@code faults.soak.seconds} (default 120) each;
 * {@code -Dfaults.network=proxy} forces the loopback fallback; {@code -Dfaults.seed=N} fixes the
 * random choices.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultsIT {

    private static final List<FaultScenario.Report> REPORTS = new ArrayList<>();

    private Network net;
    private FaultCluster cluster;
    private long seed;
    private Duration duration;

    static Network network(int maxNodes) throws IOException {
        String why = NetnsNetwork.unavailableBecause();
        if ("proxy".equals(System.getProperty("faults.network"))) {
            why = "-Dfaults.network=proxy";
        }
        if (why == null) {
            return new NetnsNetwork(maxNodes);
        }
        System.out.println("*** FAULT SUITE: network namespaces NOT used (" + why + "): falling back to loopback"
                + " proxies; same scenarios and checks, but all nodes share 127.0.0.1 ***");
        return new ProxyNetwork(maxNodes);
    }

    @BeforeAll
    void startCluster() throws Exception {
        seed = Long.getLong("faults.seed", System.nanoTime() % 100_000);
        duration = Duration.ofSeconds(Boolean.getBoolean("faults.soak")
                ? Long.getLong("faults.soak.seconds", 120) : Long.getLong("faults.seconds", 6));
        net = network(4);
        System.out.println("fault suite: seed " + seed + ", " + duration.toSeconds() + " s per scenario, on "
                + net.describe());
        cluster = new FaultCluster(net, "faults", "--snapshot-count", "200", "--snapshot-catchup-entries", "50",
                "--request-timeout-ms", "2000");
        cluster.startAll(3);
        cluster.awaitLeader(Duration.ofSeconds(60));
    }

    @AfterAll
    void stopCluster() throws IOException {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (net != null) {
                net.close();
            }
        }
        StringBuilder sb = new StringBuilder("fault scenarios (seed " + seed + ", " + (net == null ? "?" : net.describe())
                + "):\n");
        for (FaultScenario.Report r : REPORTS) {
            sb.append("  ").append(r.line()).append('\n');
        }
        sb.append(String.format("  total: %d scenarios, %d operations checked, %d faults injected, %d acknowledged"
                + " writes lost, %d linearizability violations%n", REPORTS.size(),
                REPORTS.stream().mapToInt(FaultScenario.Report::opsChecked).sum(),
                REPORTS.stream().mapToInt(FaultScenario.Report::faults).sum(),
                REPORTS.stream().mapToInt(FaultScenario.Report::lostWrites).sum(),
                REPORTS.stream().mapToInt(FaultScenario.Report::violations).sum()));
        System.out.print(sb);
        Path out = Path.of(System.getProperty("raftexample.itlogs", "target")).resolve("faults-report.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, sb.toString());
    }

    private void scenario(Nemesis nemesis) throws Exception {
        FaultScenario.Report r = FaultScenario.run(cluster, nemesis, duration, seed + REPORTS.size());
        synchronized (REPORTS) {
            REPORTS.add(r);
        }
        System.out.println(r.line());
        assertTrue(r.passed(), r.name() + " (seed " + (seed + REPORTS.size() - 1) + "):\n"
                + String.join("\n", r.problems()) + "\n" + cluster.tails());
    }

    @Test
    @Order(1)
    @Timeout(180)
    void aLeaderCutOffFromTheMajorityAcknowledgesNothingAndServesNoStaleRead() throws Exception {
        scenario(Nemesis.isolateLeader());
    }

    @Test
    @Order(2)
    @Timeout(180)
    void aFollowerCutOffCatchesUpWithoutLosingWrites() throws Exception {
        scenario(Nemesis.isolateFollower());
    }

    @Test
    @Order(3)
    @Timeout(180)
    void aBridgePartitionKeepsTheHistoryLinearizable() throws Exception {
        scenario(Nemesis.bridge());
    }

    @Test
    @Order(4)
    @Timeout(180)
    void flappingLinksKeepTheHistoryLinearizable() throws Exception {
        scenario(Nemesis.flappingLinks());
    }

    @Test
    @Order(5)
    @Timeout(180)
    void aLeaderWokenFromSigstopNeitherAcknowledgesNorServesStaleReads() throws Exception {
        scenario(Nemesis.pauseLeader());
    }

    @Test
    @Order(6)
    @Timeout(180)
    void sigkillOfARandomNodeLosesNoAcknowledgedWrite() throws Exception {
        scenario(Nemesis.killRandom());
    }

    @Test
    @Order(7)
    @Timeout(180)
    void sigkillOfTheLeaderLosesNoAcknowledgedWrite() throws Exception {
        scenario(Nemesis.killLeader());
    }

    @Test
    @Order(8)
    @Timeout(180)
    void sigkillOfAllNodesAtOnceLosesNoAcknowledgedWrite() throws Exception {
        scenario(Nemesis.killAll());
    }

    @Test
    @Order(9)
    @Timeout(240)
    void addingAndRemovingANodeUnderLoadKeepsTheHistoryLinearizable() throws Exception {
        scenario(Nemesis.membership());
    }

    @Test
    @Order(10)
    @Timeout(900)
    void mixedFaultsKeepTheHistoryLinearizable() throws Exception {
        scenario(Nemesis.mixed(List.of(Nemesis.isolateLeader(), Nemesis.isolateFollower(), Nemesis.bridge(),
                Nemesis.flappingLinks(), Nemesis.pauseLeader(), Nemesis.killRandom(), Nemesis.killLeader())));
    }
}
