package org.raftexample.kvstore.faults;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fallback when network namespaces are not available (not root): every host is a pair of ports
 * on 127.0.0.1, and for every ordered pair of hosts (a, b) a {@link TcpProxy} that a uses to reach b. Node
 * a's {@code --cluster} lists its own URL and, for every other node, the port of its proxy to that
 * node, so each direction of each link can be cut on its own. Clients reach the nodes directly:
 * {@link #linkDown} cuts a node's peer links only. A node added at run time is announced with its
 * direct URL (a conf change carries one URL for everybody), so links towards it cannot be cut;
 * the membership scenario does not cut any. Used by the scenario thread only.
 */
final class ProxyNetwork implements Network {

    private final int maxNodes;
    private final String why;
    private final Hosts hosts;
    private final int[] peerPort;
    private final int[] httpPort;
    /** Where a released node's URL leads: a port that was free, on which nothing listens. */
    private final int deadPort;

    private final Map<List<Long>, TcpProxy> proxies = new HashMap<>();

    /** {@code why}: the reason namespaces are not used, for {@link #describe()}. */
    ProxyNetwork(int maxNodes, String why) throws IOException {
        this.maxNodes = maxNodes;
        this.why = why;
        this.hosts = new Hosts(maxNodes);
        this.deadPort = freePort();
        peerPort = new int[maxNodes + 1];
        httpPort = new int[maxNodes + 1];
        for (int id = 1; id <= maxNodes; id++) {
            peerPort[id] = freePort();
            httpPort[id] = freePort();
        }
        for (long a = 1; a <= maxNodes; a++) {
            for (long b = 1; b <= maxNodes; b++) {
                if (a != b) {
                    proxies.put(List.of(a, b), new TcpProxy(peerPort[(int) b]));
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public String describe() {
        return "loopback 127.0.0.1 with one userspace proxy per direction of each link (network namespaces"
                + " not used: " + why + ")";
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
        return "http://127.0.0.1:" + (hosts.released(id) ? deadPort : peerPort[hosts.of(id)]);
    }

    @Override
    public String clusterFlag(long id, int size) {
        List<String> urls = new ArrayList<>();
        for (long i = 1; i <= size; i++) {
            urls.add(
                    i == id || hosts.released(i)
                            ? peerUrl(i)
                            : "http://127.0.0.1:" + proxy(id, i).port());
        }
        return String.join(",", urls);
    }

    private TcpProxy proxy(long from, long to) {
        return proxies.get(List.of((long) hosts.of(from), (long) hosts.of(to)));
    }

    @Override
    public String httpUrl(long id) {
        return "http://127.0.0.1:" + httpPort[hosts.of(id)];
    }

    @Override
    public List<String> wrap(long id, List<String> command) {
        return command;
    }

    @Override
    public void cut(long a, long b) {
        proxy(a, b).setOpen(false);
        proxy(b, a).setOpen(false);
    }

    @Override
    public void heal(long a, long b) {
        proxy(a, b).setOpen(true);
        proxy(b, a).setOpen(true);
    }

    @Override
    public void linkDown(long id) {
        isolate(id);
    }

    @Override
    public void linkUp(long id) {
        for (long other : nodes()) {
            if (other != id) {
                heal(id, other);
            }
        }
    }

    @Override
    public void healAll() {
        for (TcpProxy p : proxies.values()) {
            p.setOpen(true);
        }
    }

    @Override
    public void close() {
        for (TcpProxy p : proxies.values()) {
            p.close();
        }
    }
}
