package org.raftexample.kvstore.faults;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every node on its own host: a Linux network namespace with its own address 10.77.S.id on a
 * bridge that lives in a namespace of its own (the "switch"), joined to it by a veth pair. The test
 * (in the root namespace) reaches the nodes through one more veth pair into the switch, holding
 * 10.77.S.254. Nothing else is routed there: all traffic stays between addresses this class made.
 *
 * <p>A link between two nodes is cut with a blackhole route for the other's address inside each of
 * the two namespaces (packets to it are dropped on the way out, so established connections stall
 * and new ones fail, while both nodes still serve the test's clients); an interface is taken down
 * with {@code ip link set eth0 down} (the node then reaches nobody, clients included). The kernel
 * has no netem, and routes need nothing but iproute2.
 *
 * <p>Names carry the pid of the JVM ({@code rxf<pid>...}), and namespaces left by a JVM that died
 * without cleaning up are removed (their processes killed) before a new network is made. The subnet
 * byte S is held with a file lock, so concurrent test JVMs on one machine never share a subnet.
 * Used by the scenario thread only.
 */
final class NetnsNetwork implements Network {

    static final int PEER_PORT = 2380;
    static final int HTTP_PORT = 2379;
    private static final Pattern OURS = Pattern.compile("^(rxf(\\d+)[nsc]\\w*)");

    private final String prefix;
    private final int subnet;
    private final int maxNodes;
    private final Hosts hosts;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final Set<List<Long>> cuts = new LinkedHashSet<>();
    private final Set<Long> down = new HashSet<>();
    private final List<String> namespaces = new ArrayList<>();

    /** Why namespaces cannot be used here, or null if they can. */
    static String unavailableBecause() {
        if (!Shell.isRoot()) {
            return "not running as root";
        }
        if (!Shell.has("ip")) {
            return "`ip` (iproute2) is not installed";
        }
        Shell.Result r = Shell.run("ip", "netns", "list");
        if (r.exitCode() != 0) {
            return "`ip netns list` failed: " + r.output();
        }
        return null;
    }

    NetnsNetwork(int maxNodes) throws IOException {
        this.maxNodes = maxNodes;
        this.hosts = new Hosts(maxNodes);
        this.prefix = "rxf" + ProcessHandle.current().pid();
        removeLeftovers();
        FileChannel ch = null;
        FileLock l = null;
        int s = 0;
        int start = (int) (ProcessHandle.current().pid() % 200);
        for (int i = 0; i < 200 && l == null; i++) {
            s = 10 + (start + i) % 200;
            if (!Shell.run("ip", "-o", "addr", "show", "to", "10.77." + s + ".0/24")
                    .output()
                    .isEmpty()) {
                continue;
            }
            ch = FileChannel.open(
                    Path.of("/tmp/rxf-subnet-" + s + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            l = ch.tryLock();
            if (l == null) {
                ch.close();
            }
        }
        if (l == null) {
            throw new IllegalStateException("no free 10.77.x.0/24 subnet");
        }
        this.subnet = s;
        this.lockFile = ch;
        this.lock = l;
        try {
            build();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private String sw() {
        return prefix + "s";
    }

    /** The namespace of host {@code h} (1..maxNodes). */
    private String hostNs(int h) {
        return prefix + "n" + h;
    }

    private String ns(long id) {
        return hostNs(hosts.of(id));
    }

    private String addr(long id) {
        return "10.77." + subnet + "." + hosts.of(id);
    }

    private void build() {
        Shell.check("ip", "netns", "add", sw());
        namespaces.add(sw());
        Shell.check("ip", "-n", sw(), "link", "set", "lo", "up");
        Shell.check("ip", "-n", sw(), "link", "add", "br0", "type", "bridge");
        Shell.check("ip", "-n", sw(), "link", "set", "br0", "up");
        String client = prefix + "c";
        Shell.check("ip", "link", "add", client, "type", "veth", "peer", "name", "uplink", "netns", sw());
        Shell.check("ip", "addr", "add", "10.77." + subnet + ".254/24", "dev", client);
        Shell.check("ip", "link", "set", client, "up");
        Shell.check("ip", "-n", sw(), "link", "set", "uplink", "master", "br0");
        Shell.check("ip", "-n", sw(), "link", "set", "uplink", "up");
        for (int h = 1; h <= maxNodes; h++) {
            Shell.check("ip", "netns", "add", hostNs(h));
            namespaces.add(hostNs(h));
            Shell.check("ip", "-n", hostNs(h), "link", "set", "lo", "up");
            Shell.check(
                    "ip", "link", "add", "eth0", "netns", hostNs(h), "type", "veth", "peer", "name", "n" + h, "netns",
                    sw());
            Shell.check("ip", "-n", hostNs(h), "addr", "add", "10.77." + subnet + "." + h + "/24", "dev", "eth0");
            Shell.check("ip", "-n", hostNs(h), "link", "set", "eth0", "up");
            Shell.check("ip", "-n", sw(), "link", "set", "n" + h, "master", "br0");
            Shell.check("ip", "-n", sw(), "link", "set", "n" + h, "up");
        }
    }

    /** Namespaces and links named after a JVM that no longer runs: kill their processes, delete them. */
    private static void removeLeftovers() {
        for (String line : Shell.run("ip", "netns", "list").output().split("\n")) {
            Matcher m = OURS.matcher(line.trim());
            if (m.find() && ProcessHandle.of(Long.parseLong(m.group(2))).isEmpty()) {
                deleteNamespace(m.group(1));
            }
        }
        for (String line : Shell.run("ip", "-o", "link", "show").output().split("\n")) {
            String[] f = line.split(":\\s+");
            if (f.length > 1) {
                Matcher m = OURS.matcher(f[1].split("@")[0]);
                if (m.find() && ProcessHandle.of(Long.parseLong(m.group(2))).isEmpty()) {
                    Shell.run("ip", "link", "del", m.group(1));
                }
            }
        }
    }

    private static void deleteNamespace(String name) {
        for (String pid : Shell.run("ip", "netns", "pids", name).output().split("\\s+")) {
            if (!pid.isBlank()) {
                Shell.run("kill", "-9", pid.trim());
            }
        }
        Shell.run("ip", "netns", "del", name);
    }

    @Override
    public String describe() {
        return "network namespaces " + hostNs(1) + ".." + hostNs(maxNodes) + " at 10.77." + subnet + ".1-" + maxNodes
                + " on a bridge in " + sw() + ", the test at 10.77." + subnet + ".254";
    }

    @Override
    public int maxNodes() {
        return maxNodes;
    }

    @Override
    public List<Long> nodes() {
        return hosts.nodes();
    }

    @Override
    public void release(long id) {
        hosts.release(id);
    }

    @Override
    public String peerUrl(long id) {
        // A released node's URL: the test's own address, where nothing listens on the peer port.
        return "http://" + (hosts.released(id) ? "10.77." + subnet + ".254" : addr(id)) + ":" + PEER_PORT;
    }

    @Override
    public String clusterFlag(long id, int size) {
        List<String> urls = new ArrayList<>();
        for (long i = 1; i <= size; i++) {
            urls.add(peerUrl(i));
        }
        return String.join(",", urls);
    }

    @Override
    public String httpUrl(long id) {
        return "http://" + addr(id) + ":" + HTTP_PORT;
    }

    @Override
    public List<String> wrap(long id, List<String> command) {
        List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", ns(id)));
        out.addAll(command);
        return out;
    }

    @Override
    public void cut(long a, long b) {
        if (cuts.add(List.of(Math.min(a, b), Math.max(a, b)))) {
            Shell.check("ip", "-n", ns(a), "route", "add", "blackhole", addr(b) + "/32");
            Shell.check("ip", "-n", ns(b), "route", "add", "blackhole", addr(a) + "/32");
        }
    }

    @Override
    public void heal(long a, long b) {
        if (cuts.remove(List.of(Math.min(a, b), Math.max(a, b)))) {
            Shell.check("ip", "-n", ns(a), "route", "del", "blackhole", addr(b) + "/32");
            Shell.check("ip", "-n", ns(b), "route", "del", "blackhole", addr(a) + "/32");
        }
    }

    @Override
    public void linkDown(long id) {
        if (down.add(id)) {
            Shell.check("ip", "-n", ns(id), "link", "set", "eth0", "down");
        }
    }

    @Override
    public void linkUp(long id) {
        if (down.remove(id)) {
            Shell.check("ip", "-n", ns(id), "link", "set", "eth0", "up");
        }
    }

    @Override
    public void healAll() {
        for (List<Long> c : List.copyOf(cuts)) {
            heal(c.get(0), c.get(1));
        }
        for (long id : List.copyOf(down)) {
            linkUp(id);
        }
    }

    @Override
    public void close() {
        for (String n : namespaces) {
            deleteNamespace(n);
        }
        Shell.run("ip", "link", "del", prefix + "c");
        try {
            lock.release();
            lockFile.close();
        } catch (IOException | RuntimeException e) {
            // the lock goes with the process anyway
        }
    }
}
