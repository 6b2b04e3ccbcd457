package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's Prometheus tools for the end-to-end tests: {@code promtool check metrics} on a scrape, and a
 * real Prometheus server on a free loopback port with its own temporary storage, scraping the test's
 * nodes, queried over its HTTP API. {@code .ci/run} installs them and sets
 * {@code RAFTEXAMPLE_REQUIRE_PROMETHEUS=1}, which turns their absence into a failure instead of a skip.
 */
final class PrometheusTools {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PrometheusTools() {}

    /** Skips the calling test when the tools are missing, unless CI requires them. */
    static void assumeInstalled() {
        boolean present = onPath("promtool") && onPath("prometheus");
        if (!present && System.getenv("RAFTEXAMPLE_REQUIRE_PROMETHEUS") != null) {
            fail("promtool and prometheus are required (apt-get install prometheus)");
        }
        Assumptions.assumeTrue(present, "promtool/prometheus not installed (apt-get install prometheus)");
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code promtool check metrics} on a scrape; returns its output, failing on a non-zero exit. */
    static String checkMetrics(String exposition) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("promtool", "check", "metrics")
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("promtool did not finish in 30 s");
        }
        assertEquals(0, p.exitValue(), "promtool check metrics:\n" + out);
        return out;
    }

    /** A Prometheus server scraping some targets every second; {@link #close} kills it and deletes its data. */
    static final class Server implements AutoCloseable {
        private final Path dir;
        private final Process process;
        private final int port;
        private final HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

        Server(List<String> targets) throws IOException {
            dir = Files.createTempDirectory("raftexample-prometheus");
            port = NodeProcesses.freePort();
            String config = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    + "scrape_configs:\n  - job_name: raftexample\n    metrics_path: /_raftexample/metrics\n"
                    + "    static_configs:\n      - targets: ["
                    + targets.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", ")) + "]\n";
            Files.writeString(dir.resolve("prometheus.yml"), config);
            process = new ProcessBuilder(
                            "prometheus",
                            "--config.file=" + dir.resolve("prometheus.yml"),
                            "--storage.tsdb.path=" + dir.resolve("data"),
                            "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("prometheus.log").toFile())
                    .start();
        }

        /** The result of an instant query, as Prometheus' API returns it ({@code data.result}). */
        JsonNode query(String promql) throws InterruptedException {
            URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
                    + URLEncoder.encode(promql, StandardCharsets.UTF_8));
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(uri)
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    return null;
                }
                JsonNode body = JSON.readTree(r.body());
                return "success".equals(body.path("status").asText())
                        ? body.path("data").path("result")
                        : null;
            } catch (IOException e) {
                return null; // not up yet
            }
        }

        String log() {
            try {
                return Files.readString(dir.resolve("prometheus.log"));
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public void close() throws IOException {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            NodeProcesses.deleteRecursively(dir);
        }
    }
}
