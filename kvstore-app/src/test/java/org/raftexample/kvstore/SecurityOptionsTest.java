package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** etcd's TLS flags and the request limits on the command line. */
class SecurityOptionsTest {
    private static final String HTTPS = "https://127.0.0.1:12379,https://127.0.0.1:22379";
    private static final String[] PEER_TLS = {
        "--cluster", HTTPS, "--peer-cert-file", "p.pem", "--peer-key-file", "p-key.pem"
    };

    private static String[] with(String[] base, String... more) {
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void noTlsFlagsMeansPlainHttpEverywhere() throws Exception {
        Options o = OptionsParser.parse(new String[0]);
        assertNull(o.peerTls());
        assertNull(o.clientTls());
        assertEquals("http", o.peerScheme());
    }

    @Test
    void peerTlsFlagsTakeHttpsClusterUrls() throws Exception {
        Options o = OptionsParser.parse(with(PEER_TLS, "--peer-trusted-ca-file", "ca.pem"));
        assertEquals("https", o.peerScheme());
        assertEquals(Path.of("p.pem"), o.peerTls().certFile());
        assertEquals(Path.of("ca.pem"), o.peerTls().trustedCaFile());
        // As in etcd, a trusted CA file turns client certificate authentication on by itself.
        assertTrue(o.peerTls().requiresClientCertificate());
        assertEquals(URI.create("https://127.0.0.1:22379"), o.cluster().get(1));
        Options auth = OptionsParser.parse(with(PEER_TLS, "--peer-client-cert-auth"));
        assertTrue(auth.peerTls().clientCertAuth());
        assertNull(auth.peerTls().trustedCaFile());
        assertNull(auth.clientTls());
    }

    @Test
    void clientTlsFlagsAreIndependentOfPeerTls() throws Exception {
        Options o = OptionsParser.parse(
                new String[] {"--cert-file", "s.pem", "--key-file", "s-key.pem", "--trusted-ca-file", "ca.pem"});
        assertNull(o.peerTls());
        assertEquals(Path.of("s-key.pem"), o.clientTls().keyFile());
        assertTrue(o.clientTls().requiresClientCertificate());
        assertFalse(OptionsParser.parse(new String[] {"--cert-file", "s.pem", "--key-file", "k.pem"})
                .clientTls()
                .requiresClientCertificate());
    }

    @Test
    void inconsistentTlsFlagsAreRefused() {
        List<String[]> bad = List.of(
                // https peers without peer TLS (etcd: "TLS key/cert must be provided")
                new String[] {"--cluster", HTTPS},
                // http peers while peer TLS is on: the port would be open after all
                new String[] {
                    "--cluster", "http://127.0.0.1:12379", "--peer-cert-file", "p.pem", "--peer-key-file", "k.pem"
                },
                // one scheme per cluster
                new String[] {
                    "--cluster",
                    "https://127.0.0.1:12379,http://127.0.0.1:22379",
                    "--peer-cert-file",
                    "p.pem",
                    "--peer-key-file",
                    "k.pem"
                },
                new String[] {"--cluster", HTTPS, "--peer-cert-file", "p.pem"},
                new String[] {"--cluster", HTTPS, "--peer-key-file", "k.pem"},
                new String[] {"--peer-trusted-ca-file", "ca.pem"},
                new String[] {"--peer-client-cert-auth"},
                new String[] {"--cert-file", "s.pem"},
                new String[] {"--key-file", "s.pem"},
                new String[] {"--trusted-ca-file", "ca.pem"},
                new String[] {"--client-cert-auth"},
                new String[] {"--max-pending-proposals", "0"},
                new String[] {"--max-pending-reads", "0"},
                new String[] {"--max-pending-proposal-bytes", "1000", "--max-value-bytes", "2000"});
        for (String[] args : bad) {
            UsageException e =
                    assertThrows(UsageException.class, () -> OptionsParser.parse(args), String.join(" ", args));
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void postedPeerUrlsMustHaveTheClustersScheme() throws Exception {
        assertEquals(
                URI.create("https://10.0.0.4:2380"),
                OptionsParser.parsePeerUrl("https://10.0.0.4:2380", "body", "https"));
        assertThrows(UsageException.class, () -> OptionsParser.parsePeerUrl("http://10.0.0.4:2380", "body", "https"));
        assertThrows(UsageException.class, () -> OptionsParser.parsePeerUrl("https://10.0.0.4:2380", "body", "http"));
    }

    @Test
    void requestLimitsHaveDefaultsAndFlags() throws Exception {
        Options d = OptionsParser.parse(new String[0]);
        assertEquals(Options.DEFAULT_MAX_PENDING_PROPOSALS, d.maxPendingProposals());
        assertEquals(Options.DEFAULT_MAX_PENDING_PROPOSAL_BYTES, d.maxPendingProposalBytes());
        assertEquals(Options.DEFAULT_MAX_PENDING_READS, d.maxPendingReads());
        Options o = OptionsParser.parse(new String[] {
            "--max-pending-proposals", "7", "--max-pending-reads", "9", "--max-pending-proposal-bytes", "2000000"
        });
        assertEquals(7, o.maxPendingProposals());
        assertEquals(9, o.maxPendingReads());
        assertEquals(2_000_000, o.maxPendingProposalBytes());
        String usage = OptionsParser.usage();
        for (String flag : List.of(
                "--cert-file",
                "--key-file",
                "--trusted-ca-file",
                "--client-cert-auth",
                "--peer-cert-file",
                "--peer-key-file",
                "--peer-trusted-ca-file",
                "--peer-client-cert-auth",
                "--max-pending-proposals",
                "--max-pending-proposal-bytes",
                "--max-pending-reads")) {
            assertTrue(usage.contains(flag), flag);
        }
    }
}
