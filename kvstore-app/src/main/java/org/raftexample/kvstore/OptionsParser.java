package org.raftexample.kvstore;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.raftexample.transport.TlsFiles;

/**
 * Turns raftexample's command line into {@link Options}, accepting what Go's flag package accepts
 * ({@code -id 1}, {@code --id 1}, {@code --id=1}, a bare {@code --join}).
 */
final class OptionsParser {

    static final String DEFAULT_CLUSTER = "http://127.0.0.1:9021";
    static final int DEFAULT_PORT = 9121;

    /** One flag: its name, the placeholder shown in the usage text, its default and its help. */
    private record Flag(String name, String arg, String defaultValue, String help) {
        boolean isBoolean() {
            return arg.isEmpty();
        }
    }

    private static final List<Flag> FLAGS = List.of(
            new Flag("id", "N", "1", "node ID: this node listens for peers on the N-th URL of --cluster"),
            new Flag("cluster", "URLS", DEFAULT_CLUSTER, "comma separated cluster peers"),
            new Flag("port", "PORT", String.valueOf(DEFAULT_PORT), "key-value server port"),
            new Flag("join", "", "false", "join an existing cluster (a node added with POST /<id>)"),
            new Flag("data-dir", "DIR", ".", "where raftexample-<id> (WAL) and raftexample-<id>-snap live"),
            new Flag(
                    "snapshot-count",
                    "N",
                    "10000",
                    "least applied entries between two snapshots (more once the state is past 8 MiB)"),
            new Flag(
                    "snapshot-log-percent",
                    "P",
                    String.valueOf(Options.DEFAULT_SNAPSHOT_LOG_PERCENT),
                    "once the last snapshot is past 8 MiB, the next waits for P% of its size in new entries"
                            + " (0: every --snapshot-count entries, as the original)"),
            new Flag(
                    "snapshot-catchup-entries",
                    "N",
                    "10000",
                    "entries kept after a snapshot for slow followers to catch up from"),
            new Flag("tick-ms", "MS", "100", "length of one raft tick in milliseconds"),
            new Flag("election-ticks", "N", "10", "ticks without a leader before an election"),
            new Flag("heartbeat-ticks", "N", "1", "ticks between two leader heartbeats"),
            new Flag("max-value-bytes", "N", String.valueOf(1 << 20), "largest value a PUT may carry (413 above)"),
            new Flag("request-timeout-ms", "MS", "5000", "how long a request waits for raft before answering 503"),
            new Flag(
                    "max-pending-proposals",
                    "N",
                    String.valueOf(Options.DEFAULT_MAX_PENDING_PROPOSALS),
                    "PUT/POST/DELETE requests in flight at once (429 above)"),
            new Flag(
                    "max-pending-proposal-bytes",
                    "N",
                    String.valueOf(Options.DEFAULT_MAX_PENDING_PROPOSAL_BYTES),
                    "bytes of bodies those may hold at once (429 above)"),
            new Flag(
                    "max-pending-reads",
                    "N",
                    String.valueOf(Options.DEFAULT_MAX_PENDING_READS),
                    "linearizable GETs waiting for a read index at once (429 above)"),
            // TLS, with etcd's flag names and meaning.
            new Flag("cert-file", "FILE", "", "key-value port TLS certificate (PEM); serves https"),
            new Flag("key-file", "FILE", "", "key-value port TLS private key (PEM)"),
            new Flag(
                    "trusted-ca-file",
                    "FILE",
                    "",
                    "CA (PEM) that client certificates must chain to; turns on --client-cert-auth"),
            new Flag("client-cert-auth", "", "false", "refuse key-value clients without a trusted certificate"),
            new Flag("peer-cert-file", "FILE", "", "peer TLS certificate (PEM), also shown when dialing peers"),
            new Flag("peer-key-file", "FILE", "", "peer TLS private key (PEM)"),
            new Flag(
                    "peer-trusted-ca-file",
                    "FILE",
                    "",
                    "CA (PEM) that peer certificates must chain to; turns on --peer-client-cert-auth"),
            new Flag("peer-client-cert-auth", "", "false", "refuse peers without a trusted certificate"),
            new Flag(
                    "pre-vote",
                    "",
                    "true",
                    "raft PreVote: a rejoining node cannot force an election (on; --pre-vote=false turns it off)"),
            new Flag(
                    "check-quorum",
                    "",
                    "true",
                    "raft CheckQuorum: a leader cut off from a quorum steps down (on; --check-quorum=false turns it off)"),
            new Flag(
                    "health-max-apply-lag",
                    "N",
                    String.valueOf(Options.DEFAULT_MAX_APPLY_LAG),
                    "entries applied may lag committed ones before /_raftexample/health fails"),
            new Flag("log-level", "LEVEL", "INFO", "log level: ERROR, WARN, INFO, DEBUG or TRACE"),
            new Flag(
                    "quota-bytes",
                    "N",
                    "",
                    "refuse PUTs with 507 once the store holds N bytes (memory: its heap; rocksdb: its live"
                            + " data); 0: no quota (default: " + Options.DEFAULT_MEMORY_QUOTA_PERCENT
                            + "% of the maximum heap for --store memory, 0 for rocksdb)"),
            new Flag(
                    "store",
                    "memory|rocksdb",
                    "memory",
                    "where the map lives: in memory, or in RocksDB under raftexample-<id>-rocksdb"));

    private OptionsParser() {}

    /** Usage text printed by {@code --help}. */
    static String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: raftexample [flags]\n\n");
        sb.append("A key-value store replicated with raft, served over HTTP.\n\nFlags:\n");
        for (Flag f : FLAGS) {
            String left = "  --" + f.name() + (f.isBoolean() ? "" : " " + f.arg());
            sb.append(String.format("%-36s %s", left, f.help()));
            if (!f.isBoolean() && !f.defaultValue().isEmpty()) {
                sb.append(" (default ").append(f.defaultValue()).append(')');
            }
            sb.append('\n');
        }
        sb.append(String.format("%-36s %s%n", "  --help", "print this text and exit"));
        return sb.toString();
    }

    /** True when the arguments ask for the usage text. */
    static boolean wantsHelp(String[] args) {
        for (String a : args) {
            if (a.equals("-h") || a.equals("-help") || a.equals("--help")) {
                return true;
            }
        }
        return false;
    }

    static Options parse(String[] args) throws UsageException {
        Map<String, String> values = new LinkedHashMap<>();
        for (Flag f : FLAGS) {
            values.put(f.name(), f.defaultValue());
        }
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("-") || a.equals("-") || a.equals("--")) {
                throw new UsageException("unexpected argument '" + a + "'");
            }
            String body = a.startsWith("--") ? a.substring(2) : a.substring(1);
            String name = body;
            String value = null;
            int eq = body.indexOf('=');
            if (eq >= 0) {
                name = body.substring(0, eq);
                value = body.substring(eq + 1);
            }
            Flag flag = find(name).orElseThrow(() -> new UsageException("unknown flag " + a));
            if (flag.isBoolean()) {
                if (value == null) {
                    value = "true";
                } else if (!value.equals("true") && !value.equals("false")) {
                    throw new UsageException("invalid value '" + value + "' for --" + name + ": want true or false");
                }
            } else if (value == null) {
                if (i + 1 >= args.length) {
                    throw new UsageException("flag needs an argument: --" + name);
                }
                value = args[++i];
            }
            values.put(name, value);
        }
        return build(values);
    }

    private static Optional<Flag> find(String name) {
        return FLAGS.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    private static Options build(Map<String, String> v) throws UsageException {
        TlsFiles peerTls = tls(v, "peer-cert-file", "peer-key-file", "peer-trusted-ca-file", "peer-client-cert-auth");
        TlsFiles clientTls = tls(v, "cert-file", "key-file", "trusted-ca-file", "client-cert-auth");
        List<URI> cluster = parseCluster(v.get("cluster"), peerTls == null ? "http" : "https");
        long id = parseLong(v, "id", 1, Long.MAX_VALUE);
        if (id > cluster.size()) {
            throw new UsageException(
                    "--id " + id + " is outside the cluster: --cluster lists " + cluster.size() + " peer URL(s)");
        }
        int electionTicks = (int) parseLong(v, "election-ticks", 1, Integer.MAX_VALUE);
        int heartbeatTicks = (int) parseLong(v, "heartbeat-ticks", 1, Integer.MAX_VALUE);
        if (electionTicks <= heartbeatTicks) {
            throw new UsageException("--election-ticks (" + electionTicks + ") must be greater than --heartbeat-ticks ("
                    + heartbeatTicks + ")");
        }
        if (parseLong(v, "max-pending-proposal-bytes", 1, Long.MAX_VALUE)
                < parseLong(v, "max-value-bytes", 1, 64L << 20)) {
            throw new UsageException("--max-pending-proposal-bytes must be at least --max-value-bytes");
        }
        String store = parseStore(v.get("store"));
        String dataDir = v.get("data-dir");
        if (dataDir.isEmpty()) {
            throw new UsageException("--data-dir must not be empty");
        }
        return new Options(
                id,
                cluster,
                (int) parseLong(v, "port", 1, 65535),
                Boolean.parseBoolean(v.get("join")),
                Path.of(dataDir),
                parseLong(v, "snapshot-count", 1, Long.MAX_VALUE),
                parseLong(v, "snapshot-catchup-entries", 0, Long.MAX_VALUE),
                Duration.ofMillis(parseLong(v, "tick-ms", 1, 60_000)),
                electionTicks,
                heartbeatTicks,
                (int) parseLong(v, "max-value-bytes", 1, 64L << 20),
                Duration.ofMillis(parseLong(v, "request-timeout-ms", 1, 3_600_000)),
                peerTls,
                clientTls,
                (int) parseLong(v, "max-pending-proposals", 1, 1 << 20),
                parseLong(v, "max-pending-proposal-bytes", 1, Long.MAX_VALUE),
                (int) parseLong(v, "max-pending-reads", 1, 1 << 20),
                store,
                parseBoolean(v, "pre-vote"),
                parseBoolean(v, "check-quorum"),
                parseLong(v, "health-max-apply-lag", 0, Long.MAX_VALUE),
                parseLevel(v.get("log-level")),
                (int) parseLong(v, "snapshot-log-percent", 0, 1000),
                v.get("quota-bytes").isEmpty()
                        ? Options.defaultQuotaBytes(store)
                        : parseLong(v, "quota-bytes", 0, Long.MAX_VALUE));
    }

    /**
     * One side's TLS flags: none given is plain http; a certificate needs its key and the reverse; a trusted CA
     * or client certificate authentication needs the server's own certificate and key. The files themselves are
     * read when the node starts.
     */
    private static TlsFiles tls(Map<String, String> v, String cert, String key, String ca, String auth)
            throws UsageException {
        String certFile = v.get(cert);
        String keyFile = v.get(key);
        String caFile = v.get(ca);
        boolean clientCertAuth = Boolean.parseBoolean(v.get(auth));
        if (certFile.isEmpty() && keyFile.isEmpty()) {
            if (!caFile.isEmpty() || clientCertAuth) {
                throw new UsageException("--" + (caFile.isEmpty() ? auth : ca) + " needs --" + cert + " and --" + key);
            }
            return null;
        }
        if (certFile.isEmpty() || keyFile.isEmpty()) {
            throw new UsageException("--" + cert + " and --" + key + " go together");
        }
        return new TlsFiles(
                Path.of(certFile), Path.of(keyFile), caFile.isEmpty() ? null : Path.of(caFile), clientCertAuth);
    }

    private static boolean parseBoolean(Map<String, String> v, String name) throws UsageException {
        String raw = v.get(name);
        if (!raw.equals("true") && !raw.equals("false")) {
            throw new UsageException("invalid value '" + raw + "' for --" + name + ": want true or false");
        }
        return Boolean.parseBoolean(raw);
    }

    private static String parseLevel(String raw) throws UsageException {
        String level = raw.toUpperCase(java.util.Locale.ROOT);
        if (!List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE").contains(level)) {
            throw new UsageException(
                    "invalid value '" + raw + "' for --log-level: want ERROR, WARN, INFO, DEBUG or TRACE");
        }
        return level;
    }

    private static String parseStore(String raw) throws UsageException {
        if (!raw.equals(Options.STORE_MEMORY) && !raw.equals(Options.STORE_ROCKSDB)) {
            throw new UsageException("invalid value '" + raw + "' for --store: must be memory or rocksdb");
        }
        return raw;
    }

    private static long parseLong(Map<String, String> v, String name, long min, long max) throws UsageException {
        String raw = v.get(name);
        long n;
        try {
            n = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw new UsageException("invalid value '" + raw + "' for --" + name + ": not a number");
        }
        if (n < min || n > max) {
            throw new UsageException(
                    "invalid value '" + raw + "' for --" + name + ": must be between " + min + " and " + max);
        }
        return n;
    }

    private static List<URI> parseCluster(String raw, String scheme) throws UsageException {
        List<URI> urls = new ArrayList<>();
        for (String s : raw.split(",", -1)) {
            urls.add(parsePeerUrl(s.trim(), "--cluster", scheme));
        }
        return urls;
    }

    /** {@link #parsePeerUrl(String, String, String)} for a cluster without peer TLS. */
    static URI parsePeerUrl(String s, String what) throws UsageException {
        return parsePeerUrl(s, what, "http");
    }

    /**
     * Parses a peer URL: {@code scheme://host:port}, where the scheme is the cluster's one: https with peer TLS,
     * http without (the transport dials nothing else, and a plain link in a TLS cluster would reopen it). A
     * POSTed URL the transport would refuse must be turned away here, before it is committed: once in the log,
     * every member would apply it.
     */
    static URI parsePeerUrl(String s, String what, String scheme) throws UsageException {
        URI u;
        try {
            u = new URI(s);
        } catch (URISyntaxException e) {
            throw new UsageException("invalid URL '" + s + "' in " + what);
        }
        if ("https".equals(u.getScheme()) && !"https".equals(scheme)) {
            throw new UsageException("invalid URL '" + s + "' in " + what
                    + ": TLS key/cert (--peer-cert-file, --peer-key-file) must be provided for a peer URL with "
                    + "the https scheme");
        }
        if ("http".equals(u.getScheme()) && "https".equals(scheme)) {
            throw new UsageException("invalid URL '" + s + "' in " + what
                    + ": peer TLS is on (--peer-cert-file), so peer URLs must be https://host:port");
        }
        if (!scheme.equals(u.getScheme()) || u.getHost() == null || u.getPort() < 1 || u.getPort() > 65535) {
            throw new UsageException("invalid URL '" + s + "' in " + what + ": want " + scheme + "://host:port");
        }
        return u;
    }
}
