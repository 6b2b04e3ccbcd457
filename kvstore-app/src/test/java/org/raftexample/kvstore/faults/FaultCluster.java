package org.raftexample.kvstore.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The raftexample processes of a fault scenario, started from the shaded jar inside the hosts of a
 * {@link Network}: start, restart with the same command line, SIGKILL, SIGTERM, SIGSTOP/SIGCONT,
 * the current leader (from the nodes' own logs), and the set of members the test believes the
 * cluster has. {@link #close} kills every process it ever started and keeps the logs under
 * {@code raftexample.itlogs}.
 *
 * <p>Process control is done by the scenario thread; {@link #members()} and {@link #incarnation}
 * are also read by the client threads, hence the lock on the maps.
 */
final class FaultCluster implements AutoCloseable {

    private static final Pattern ROLE =
            Pattern.compile("became (leader|follower|candidate|pre-candidate) at term (\\d+)");

    private final Network net;
    private final Path dir;
    private final String name;
    private final List<String> flags;
    private final Path jar;
    private final Map<Long, List<String>> commands = new HashMap<>();
    private final Map<Long, Process> running = new LinkedHashMap<>();
    private final Map<Long, Integer> incarnations = new HashMap<>();
    private final Map<Long, Path> dataDirs = new HashMap<>();
    private final Map<Long, List<String>> jvmFlags = new HashMap<>();
    private final Set<Long> members = new TreeSet<>();
    private final Set<Long> paused = new TreeSet<>();
    /** Joined members the clients do not use yet (see {@link #clientTargets()}). */
    private final Set<Long> joining = new TreeSet<>();

    private final List<Process> everStarted = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();

    FaultCluster(Network net, String name, String... flags) throws IOException {
        this.net = net;
        this.name = name;
        this.flags = List.of(flags);
        this.dir = Files.createTempDirectory("raftexample-faults");
        this.jar = Path.of(System.getProperty("raftexample.jar", "target/raftexample.jar"))
                .toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no jar at " + jar + ": run `mvn package` first");
        }
    }

    Network network() {
        return net;
    }

    Path dir() {
        return dir;
    }

    /** Gives node {@code id} its own data directory (e.g. a small filesystem) instead of the shared one. */
    void dataDir(long id, Path d) {
        dataDirs.put(id, d);
    }

    /** Gives node {@code id} JVM flags (e.g. a test-only -D property) before it is started. */
    void jvmFlags(long id, String... f) {
        jvmFlags.put(id, List.of(f));
    }

    Path dataDirOf(long id) {
        return dataDirs.getOrDefault(id, dir);
    }

    Path log(long id) {
        return dir.resolve("node-" + id + ".log");
    }

    /** Starts the first {@code n} nodes as one cluster and waits until each serves HTTP. */
    void startAll(int n) throws InterruptedException {
        for (long id = 1; id <= n; id++) {
            start(id, n, false);
        }
        for (long id = 1; id <= n; id++) {
            awaitUp(id);
        }
    }

    /** Starts node {@code id} with nodes 1..{@code clusterSize} in {@code --cluster}; it becomes a member. */
    Process start(long id, int clusterSize, boolean join) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx160m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-Xshare:auto"));
        cmd.addAll(jvmFlags.getOrDefault(id, List.of()));
        cmd.addAll(List.of(
                "-jar",
                jar.toString(),
                "--id",
                Long.toString(id),
                "--cluster",
                net.clusterFlag(id, clusterSize),
                "--port",
                Integer.toString(URI.create(net.httpUrl(id)).getPort()),
                "--data-dir",
                dataDirOf(id).toString()));
        cmd.addAll(flags);
        if (join) {
            cmd.add("--join");
        }
        synchronized (this) {
            commands.put(id, net.wrap(id, cmd));
            members.add(id);
            if (join) {
                joining.add(id);
            }
        }
        return restart(id);
    }

    /** Starts node {@code id} again with the command line it was first started with. */
    Process restart(long id) {
        List<String> cmd;
        synchronized (this) {
            cmd = commands.get(id);
        }
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log(id).toFile()))
                    .start();
            synchronized (this) {
                running.put(id, p);
                everStarted.add(p);
                incarnations.merge(id, 1, Integer::sum);
            }
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    synchronized List<Long> members() {
        return List.copyOf(members);
    }

    synchronized void removeMember(long id) {
        members.remove(id);
        joining.remove(id);
    }

    /**
     * The members the clients send to: all of them but a joined node that has not yet been handed
     * to the clients with {@link #serveClients}. Until it has applied the leader's snapshot a new
     * node rightly refuses writes with 429 (its commit index is far ahead of what it has applied),
     * which is not what the scenarios test.
     */
    synchronized List<Long> clientTargets() {
        return members.stream().filter(id -> !joining.contains(id)).toList();
    }

    /** Lets the clients use a joined node (once it has served a linearizable read: it has caught up). */
    synchronized void serveClients(long id) {
        joining.remove(id);
    }

    /** The highest id ever started: a node added later takes the next one (ids are never reused). */
    synchronized long highestId() {
        return commands.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
    }

    /** Every id ever started, in order (for logs). */
    private synchronized List<Long> everyId() {
        return commands.keySet().stream().sorted().toList();
    }

    synchronized int incarnation(long id) {
        return incarnations.getOrDefault(id, 0);
    }

    synchronized boolean isRunning(long id) {
        Process p = running.get(id);
        return p != null && p.isAlive();
    }

    synchronized Process process(long id) {
        return running.get(id);
    }

    /** SIGKILL: nothing is flushed that was not already; waits for the process to be gone. */
    void kill(long id) throws InterruptedException {
        Process p;
        synchronized (this) {
            p = running.remove(id);
            paused.remove(id);
        }
        if (p != null) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** SIGKILL to several nodes at (nearly) the same instant, then waits for all of them. */
    void killAtOnce(List<Long> ids) throws InterruptedException {
        List<Process> ps = new ArrayList<>();
        synchronized (this) {
            for (long id : ids) {
                Process p = running.remove(id);
                paused.remove(id);
                if (p != null) {
                    ps.add(p);
                }
            }
        }
        ps.forEach(Process::destroyForcibly);
        for (Process p : ps) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** SIGSTOP: the process stays, frozen, with its sockets open. */
    void pause(long id) {
        Shell.check("kill", "-STOP", Long.toString(process(id).pid()));
        synchronized (this) {
            paused.add(id);
        }
    }

    void resume(long id) {
        Shell.check("kill", "-CONT", Long.toString(process(id).pid()));
        synchronized (this) {
            paused.remove(id);
        }
    }

    /** Waits for node {@code id} to exit by itself; returns its exit code, or -1 if it did not in time. */
    int awaitExit(long id, Duration timeout) throws InterruptedException {
        Process p = process(id);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return -1;
        }
        synchronized (this) {
            running.remove(id);
        }
        return p.exitValue();
    }

    /** Waits until node {@code id} answers HTTP (any status). */
    void awaitUp(long id) throws InterruptedException {
        await(
                "node " + id + " serving HTTP",
                Duration.ofSeconds(60),
                () -> !get(id, "/?serializable=true").equals("-1"));
    }

    /**
     * The leader according to the logs of the running, unpaused members: the one whose latest role
     * line says leader at the highest term any of them has reached; null while there is none.
     */
    Long leader() {
        long bestTerm = -1;
        Long leader = null;
        for (long id : members()) {
            synchronized (this) {
                if (!isRunning(id) || paused.contains(id)) {
                    continue;
                }
            }
            String role = null;
            long term = -1;
            try {
                for (String line : Files.readAllLines(log(id), StandardCharsets.UTF_8)) {
                    Matcher m = ROLE.matcher(line);
                    if (m.find()) {
                        role = m.group(1);
                        term = Long.parseLong(m.group(2));
                    }
                }
            } catch (IOException e) {
                continue;
            }
            if (term > bestTerm) {
                bestTerm = term;
                leader = "leader".equals(role) ? id : null;
            } else if (term == bestTerm && "leader".equals(role)) {
                leader = id;
            }
        }
        return leader;
    }

    /** Waits for a leader (see {@link #leader()}) and returns it. */
    long awaitLeader(Duration timeout) throws InterruptedException {
        Long[] found = new Long[1];
        await("a leader", timeout, () -> (found[0] = leader()) != null);
        return found[0];
    }

    /** GET, returning "status body", or "-1" when the request failed at the connection level. */
    String get(long id, String path) {
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(net.httpUrl(id) + path))
                            .timeout(Duration.ofSeconds(10))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body();
        } catch (IOException e) {
            return "-1";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "-1";
        }
    }

    private static final Pattern VOTERS = Pattern.compile("\"voters\":\\[([0-9,]*)]");

    /** The voters node {@code id} has applied ({@code /_raftexample/members}), or null without an answer. */
    Set<Long> voters(long id) {
        String r = get(id, "/_raftexample/members");
        Matcher m = VOTERS.matcher(r);
        if (!r.startsWith("200 ") || !m.find()) {
            return null;
        }
        Set<Long> v = new TreeSet<>();
        for (String s : m.group(1).split(",")) {
            if (!s.isEmpty()) {
                v.add(Long.parseLong(s));
            }
        }
        return v;
    }

    /** Sends a request, returning its status, or -1 when it failed at the connection level. */
    int send(long id, String method, String path, String body) {
        try {
            return http.send(
                            HttpRequest.newBuilder(URI.create(net.httpUrl(id) + path))
                                    .timeout(Duration.ofSeconds(10))
                                    .method(
                                            method,
                                            body == null
                                                    ? HttpRequest.BodyPublishers.noBody()
                                                    : HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                            HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Polls until the condition holds, failing with the nodes' log tails after the timeout. */
    void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + timeout + " waiting for " + what + "\n" + tails());
    }

    /** The last lines of every node's log, for failure messages. */
    String tails() {
        StringBuilder sb = new StringBuilder();
        for (long id : everyId()) {
            try {
                if (Files.exists(log(id))) {
                    List<String> lines = Files.readAllLines(log(id), StandardCharsets.UTF_8);
                    sb.append("--- node ")
                            .append(id)
                            .append(" log ---\n")
                            .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 25), lines.size())))
                            .append('\n');
                }
            } catch (IOException e) {
                sb.append("(cannot read log of node ").append(id).append(")\n");
            }
        }
        return sb.toString();
    }

    /** Writes a file next to the kept logs (e.g. a history that failed a check). */
    void keep(String fileName, String content) {
        String keep = System.getProperty("raftexample.itlogs");
        Path target = (keep == null ? dir : Path.of(keep).resolve(name)).resolve(fileName);
        try {
            Files.createDirectories(target.getParent());
            Files.writeString(target, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        List<Process> all;
        synchronized (this) {
            all = List.copyOf(everStarted);
        }
        for (Process p : all) {
            p.destroyForcibly(); // SIGKILL also ends a SIGSTOPped process
        }
        for (Process p : all) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            String keep = System.getProperty("raftexample.itlogs");
            if (keep != null) {
                Path target = Path.of(keep).resolve(name);
                Files.createDirectories(target);
                for (long id : everyId()) {
                    if (Files.exists(log(id))) {
                        Files.copy(log(id), target.resolve(log(id).getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
