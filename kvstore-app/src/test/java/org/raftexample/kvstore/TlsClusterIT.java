package org.raftexample.kvstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.raftexample.transport.TestCerts;

/**
 * Three real processes with mutual TLS between peers and TLS with client certificates on the key-value port,
 * certificates made at run time: the cluster replicates, takes a fourth node at an https URL, and refuses in the
 * handshake anyone without a certificate from its CA, on both ports.
 */
class TlsClusterIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    @Timeout(240)
    void threeNodesOverMutualTlsReplicateAddANodeAndRefuseStrangers() throws Exception {
        Path certs = Files.createTempDirectory("raftexample-tls");
        try {
            TestCerts.Ca ca = TestCerts.newCa(certs, "cluster");
            TestCerts.Ca otherCa = TestCerts.newCa(certs, "other");
            TestCerts.Issued peer = TestCerts.issue(ca, certs, "peer");
            TestCerts.Issued server = TestCerts.issue(ca, certs, "server", true, TestCerts.KeyForm.TRADITIONAL);
            TestCerts.Issued client = TestCerts.issue(ca, certs, "client");
            TestCerts.Issued stranger = TestCerts.issue(otherCa, certs, "stranger");
            SSLContext member = TestCerts.sslContext(client, ca);
            NodeProcesses.Tls tls = new NodeProcesses.Tls(true, true, member);
            try (NodeProcesses c = new NodeProcesses(
                            tls,
                            3,
                            "--tick-ms",
                            "50",
                            "--peer-cert-file",
                            peer.certFile().toString(),
                            "--peer-key-file",
                            peer.keyFile().toString(),
                            "--peer-trusted-ca-file",
                            ca.pemFile().toString(),
                            "--peer-client-cert-auth",
                            "--cert-file",
                            server.certFile().toString(),
                            "--key-file",
                            server.keyFile().toString(),
                            "--trusted-ca-file",
                            ca.pemFile().toString(),
                            "--client-cert-auth")
                    .named("tls-cluster")) {
                c.startAll();
                c.putUntilAcknowledged(1, "/secret", "over-tls", WAIT);
                c.await(
                        "node 3 reads the write",
                        WAIT,
                        () -> ClusterIT.get(c, 3, "/secret").equals("200 over-tls"));

                NodeProcesses.NodeAddr four = c.addAddr();
                assertTrue(four.peerUrl().startsWith("https://"));
                // A plain http peer URL would reopen the cluster: refused before it is proposed.
                assertEquals(
                        400,
                        c.request(1, "POST", "/4", "http://127.0.0.1:" + four.peerPort())
                                .statusCode());
                postUntilAcknowledged(c, "/4", four.peerUrl());
                c.start(4, 4, "--join");
                c.await(
                        "node 4 serves the existing data",
                        WAIT,
                        () -> ClusterIT.get(c, 4, "/secret").equals("200 over-tls"));
                assertEquals(204, c.put(4, "/from-four", "hello"));
                assertEquals("200 hello", c.get(2, "/from-four"));

                for (long id = 1; id <= 4; id++) {
                    NodeProcesses.NodeAddr a = c.addr(id);
                    for (int port : new int[] {a.peerPort(), a.httpPort()}) {
                        assertRefusedInHandshake(TestCerts.sslContext(null, ca), port, "no certificate");
                        assertRefusedInHandshake(TestCerts.sslContext(stranger, ca), port, "untrusted certificate");
                        assertNoHttpAnswer(port);
                    }
                }
                // The strangers changed nothing and every node still serves.
                for (long id = 1; id <= 4; id++) {
                    assertEquals("200 over-tls", c.get(id, "/secret"));
                }
            }
        } finally {
            NodeProcesses.deleteRecursively(certs);
        }
    }

    private static void postUntilAcknowledged(NodeProcesses c, String path, String body) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        int last = 0;
        while (System.nanoTime() < deadline) {
            try {
                last = c.request(1, "POST", path, body).statusCode();
            } catch (IOException e) {
                last = -1;
            }
            if (last == 204) {
                return;
            }
            Thread.sleep(200);
        }
        fail("POST " + path + " never acknowledged (last status " + last + ")");
    }

    /**
     * A TLS client that the server refuses gets no HTTP answer: the handshake fails, or (TLS 1.3, where the
     * client finishes first) the server's alert arrives on the first read.
     */
    private static void assertRefusedInHandshake(SSLContext ctx, int port, String what) {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.startHandshake();
            s.getOutputStream()
                    .write(("GET /secret HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            byte[] answer = s.getInputStream().readAllBytes();
            assertEquals(
                    0,
                    answer.length,
                    what + " on port " + port + " got an answer: " + new String(answer, StandardCharsets.UTF_8));
        } catch (IOException expected) {
            // javax.net.ssl.SSLHandshakeException or an alert on read: refused
        }
    }

    /** Plain http (a raft message, here) to a TLS port never gets an HTTP status line back. */
    private static void assertNoHttpAnswer(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            byte[] body = new byte[] {8, 3, 16, 2, 24, 1};
            s.getOutputStream()
                    .write(("POST /raft HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + body.length
                                    + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(body);
            s.getOutputStream().flush();
            InputStream in = s.getInputStream();
            byte[] answer;
            try {
                answer = in.readAllBytes();
            } catch (IOException reset) {
                return;
            }
            assertFalse(
                    new String(answer, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 2"),
                    "plain http to TLS port " + port + " was answered with success");
        }
    }
}
