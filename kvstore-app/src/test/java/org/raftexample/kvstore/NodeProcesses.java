package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Real raftexample processes started from the shaded jar, for the end-to-end tests: free ports, one
 * temporary data directory, a log file per node, and a {@link #close} that kills whatever is left and
 * deletes the files.
 *
 * <p>Every node runs with {@code --store} {@link #store()} unless the test's own flags say otherwise:
 * the build runs the end-to-end suite once on the memory store and a named subset again on RocksDB
 * (kvstore-app/pom.xml, execution {@code rocksdb-e2e}).
 */
final class NodeProcesses implements AutoCloseable {

    /** The store the nodes run on: system property {@code raftexample.it.store}, {@code memory} by default. */
    static String store() {
        return System.getProperty("raftexample.it.store", "memory");
    }

    /** The store that is not {@link #store()}: a node on it checks that snapshots cross stores. */
    static String otherStore() {
        return store().equals("memory") ? "rocksdb" : "memory";
    }

    /** One node's fixed identity: its id, its two ports and their schemes (https with TLS). */
    record NodeAddr(long id, int peerPort, int httpPort, String peerScheme, String httpScheme) {
        NodeAddr(long id, int peerPort, int httpPort) {
            this(id, peerPort, httpPort, "http", "http");
        }

        String peerUrl() {
            return peerScheme + "://127.0.0.1:" + peerPort;
        }

        String httpUrl() {
            return httpScheme + "://127.0.0.1:" + httpPort;
        }
    }

    /**
     * TLS for a test cluster: which ports speak https, and the SSL context this harness's client uses on the
     * key-value port (the nodes' own TLS flags go in the extra flags).
     */
    record Tls(boolean peers, boolean clients, javax.net.ssl.SSLContext clientContext) {
        static final Tls NONE = new Tls(false, false, null);
    }

    private final Path dir;
    private final Path jar;
    private final List<String> extraFlags;
    private final Map<Long, NodeAddr> nodes = new LinkedHashMap<>();
    private final Map<Long, Process> running = new LinkedHashMap<>();
    private final List<Process> everStarted = new ArrayList<>();
    private String name;
    private final Tls tls;
    // JVM flags for the nodes started from now on, after the defaults (a later -Xmx wins).
    private volatile List<String> jvmFlags = List.of();
    final HttpClient http;

    NodeProcesses(int n, String... extraFlags) throws IOException {
        this(Tls.NONE, n, extraFlags);
    }

    NodeProcesses(Tls tls, int n, String... extraFlags) throws IOException {
        this.tls = tls;
        HttpClient.Builder client =
                HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2));
        if (tls.clientContext() != null) {
            client.sslContext(tls.clientContext());
        }
        this.http = client.build();
        this.dir = Files.createTempDirectory("raftexample-it");
        this.jar = Path.of(System.getProperty("raftexample.jar", "target/raftexample.jar"))
                .toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no jar at " + jar + ": run `mvn package` first");
        }
        this.extraFlags = List.of(extraFlags);
        for (int i = 1; i <= n; i++) {
            addAddr();
        }
    }

    /** Reserves ports for one more node (id = count + 1) and returns its address. */
    NodeAddr addAddr() {
        long id = nodes.size() + 1;
        NodeAddr a = new NodeAddr(
                id, freePort(), freePort(), tls.peers() ? "https" : "http", tls.clients() ? "https" : "http");
        nodes.put(id, a);
        return a;
    }

    NodeAddr addr(long id) {
        return nodes.get(id);
    }

    Path dataDir() {
        return dir;
    }

    /** The --cluster value listing the first {@code count} nodes. */
    String clusterOf(int count) {
        return nodes.values().stream()
                .limit(count)
                .map(NodeAddr::peerUrl)
                .reduce((x, y) -> x + "," + y)
                .orElseThrow();
    }

    /** Starts node {@code id} with the first {@code clusterSize} peer URLs and optional extra flags. */
    Process start(long id, int clusterSize, String... more) {
        NodeAddr a = nodes.get(id);
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx192m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1"));
        cmd.addAll(jvmFlags);
        cmd.addAll(List.of(
                "-jar",
                jar.toString(),
                "--id",
                Long.toString(id),
                "--cluster",
                clusterOf(clusterSize),
                "--port",
                Integer.toString(a.httpPort()),
                "--data-dir",
                dir.toString(),
                "--store",
                store())); // first: a later --store (the test's own) wins
        cmd.addAll(extraFlags);
        cmd.addAll(List.of(more));
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log(id).toFile()))
                    .start();
            running.put(id, p);
            everStarted.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** JVM flags (e.g. a smaller {@code -Xmx}) for the nodes started from now on. */
    void setJvmFlags(String... flags) {
        jvmFlags = List.of(flags);
    }

    /** Starts every node and waits until each one's HTTP API answers. */
    void startAll() throws InterruptedException {
        for (long id : nodes.keySet()) {
            start(id, nodes.size());
        }
        for (long id : nodes.keySet()) {
            awaitUp(id);
        }
    }

    /** Waits until node {@code id} answers HTTP requests (any status). */
    void awaitUp(long id) throws InterruptedException {
        await("node " + id + " serving HTTP", Duration.ofSeconds(60), () -> {
            try {
                return !get(id, "/?serializable=true").equals("-1");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return true;
            }
        });
    }

    Process process(long id) {
        return running.get(id);
    }

    Path log(long id) {
        return dir.resolve("node-" + id + ".log");
    }

    /** SIGTERM and wait for the exit; returns the exit code. */
    int stop(long id) throws InterruptedException {
        Process p = running.remove(id);
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("node " + id + " did not stop on SIGTERM within 20 s\n" + tail(id));
        }
        return p.exitValue();
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed that was not already. */
    void kill(long id) throws InterruptedException {
        Process p = running.remove(id);
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** Waits for a node process to exit on its own; returns the exit code. */
    int awaitExit(long id, Duration timeout) throws InterruptedException {
        Process p = running.get(id);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("node " + id + " did not exit within " + timeout + "\n" + tail(id));
        }
        running.remove(id);
        return p.exitValue();
    }

    HttpResponse<String> request(long id, String method, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest.BodyPublisher pub =
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        HttpRequest req = HttpRequest.newBuilder(URI.create(nodes.get(id).httpUrl() + path))
                .method(method, pub)
                .timeout(Duration.ofSeconds(15))
                .build();
        return http.send(req, HttpResponse.BodyHandlers.ofString());
    }

    /** PUT, returning the status code, or -1 when the request failed at the connection level. */
    int put(long id, String key, String value) throws InterruptedException {
        try {
            return request(id, "PUT", key, value).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    /** GET, returning "status body", or "-1" when the request failed at the connection level. */
    String get(long id, String path) throws InterruptedException {
        try {
            HttpResponse<String> r = request(id, "GET", path, null);
            return r.statusCode() + " " + r.body();
        } catch (IOException e) {
            return "-1";
        }
    }

    /** Retries a PUT until it is acknowledged (204): used while a cluster elects its leader. */
    void putUntilAcknowledged(long id, String key, String value, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int last = 0;
        while (System.nanoTime() < deadline) {
            last = put(id, key, value);
            if (last == 204) {
                return;
            }
            Thread.sleep(100);
        }
        fail("PUT " + key + " on node " + id + " never acknowledged (last status " + last + ")\n" + tail(id));
    }

    /** Polls until the condition holds, failing with the nodes' log tails after the timeout. */
    void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        StringBuilder logs = new StringBuilder();
        for (long id : nodes.keySet()) {
            logs.append(tail(id));
        }
        fail("timed out after " + timeout + " waiting for " + what + "\n" + logs);
    }

    /** The last lines of a node's log, for failure messages. */
    String tail(long id) {
        try {
            if (!Files.exists(log(id))) {
                return "";
            }
            List<String> lines = Files.readAllLines(log(id), StandardCharsets.UTF_8);
            return "--- node " + id + " log ---\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())) + "\n";
        } catch (IOException e) {
            return "(cannot read log of node " + id + ": " + e + ")\n";
        }
    }

    @Override
    public void close() throws IOException {
        for (Process p : everStarted) {
            p.destroyForcibly();
        }
        for (Process p : everStarted) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        keepLogs();
        deleteRecursively(dir);
    }

    /** Copies the node logs to {@code raftexample.itlogs}/&lt;test dir&gt;/ (if set), for post-mortems. */
    private void keepLogs() throws IOException {
        String keep = System.getProperty("raftexample.itlogs");
        if (keep == null) {
            return;
        }
        Path target = Path.of(keep).resolve(name == null ? dir.getFileName().toString() : name);
        Files.createDirectories(target);
        for (long id : nodes.keySet()) {
            if (Files.exists(log(id))) {
                Files.copy(
                        log(id),
                        target.resolve(log(id).getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Names the directory the logs are kept under (the test's name). */
    NodeProcesses named(String testName) {
        this.name = testName;
        return this;
    }

    static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Every port {@link #freePort} handed out in this JVM: the kernel may offer a port again once it is closed. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A port free now and not handed out before in this JVM (a node's peer and HTTP ports were once
     * given the same port, and its HTTP server could not bind).
     */
    static int freePort() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                s.setReuseAddress(true);
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
