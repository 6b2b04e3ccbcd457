package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.raftexample.raftpb.Message;

/** Peers over mutual TLS: members talk, anyone without a certificate from the trusted CA is refused. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TlsTransportTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    private static TestCerts.Ca ca;
    private static TestCerts.Ca otherCa;
    private static TestCerts.Issued node1;
    private static TestCerts.Issued node2;
    private static TestCerts.Issued stranger;

    private final List<Transport> transports = new ArrayList<>();
    private final List<HttpClient> clients = new ArrayList<>();

    @BeforeAll
    static void makeCertificates() {
        ca = TestCerts.newCa(dir, "cluster");
        otherCa = TestCerts.newCa(dir, "other");
        node1 = TestCerts.issue(ca, dir, "node1");
        node2 = TestCerts.issue(ca, dir, "node2");
        stranger = TestCerts.issue(otherCa, dir, "stranger");
    }

    @AfterEach
    void stopAll() throws Exception {
        transports.forEach(Transport::stop);
        for (HttpClient c : clients) {
            c.stop();
        }
    }

    private Transport node(long id, TestCerts.Issued cert, RecordingRaft raft) {
        Transport t = TestSupport.start(TransportConfig.of(
                        id,
                        TestSupport.CLUSTER,
                        URI.create("https://127.0.0.1:0"),
                        raft,
                        TestCerts.tlsFiles(cert, ca, true))
                .withTimeouts(TestSupport.FAST));
        transports.add(t);
        return t;
    }

    private HttpClient client(SslContextFactory.Client tls) throws Exception {
        ClientConnector connector = new ClientConnector();
        if (tls != null) {
            connector.setSslContextFactory(tls);
        }
        HttpClient c = new HttpClient(new HttpClientTransportOverHTTP(connector));
        c.start();
        clients.add(c);
        return c;
    }

    private static ContentResponse postHeartbeat(HttpClient c, URI url) throws Exception {
        return c.newRequest(url.resolve(Protocol.RAFT_PATH))
                .method(HttpMethod.POST)
                .headers(h -> Protocol.addRequestHeaders(h, TestSupport.CLUSTER, 1, 2))
                .body(new BytesRequestContent(TestSupport.heartbeat(1, 2, 7).toByteArray()))
                .timeout(10, TimeUnit.SECONDS)
                .send();
    }

    @Test
    void membersWithCertificatesFromTheTrustedCaExchangeMessagesOverStreams() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        Transport a = node(1, node1, ra);
        Transport b = node(2, node2, rb);
        assertEquals("https", a.listenUri().getScheme());
        TestSupport.connectAll(List.of(a, b), List.of(1L, 2L));
        TestSupport.awaitStreams(a, 2);
        TestSupport.awaitStreams(b, 1);
        List<Message> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(TestSupport.heartbeat(1, 2, i));
        }
        a.send(sent);
        assertEquals(new HashSet<>(sent), new HashSet<>(TestSupport.drain(rb, 20, WAIT)));
        b.send(List.of(TestSupport.heartbeat(2, 1, 3)));
        assertEquals(3, TestSupport.drain(ra, 1, WAIT).get(0).getCommit());
    }

    @Test
    void clientWithoutCertificateIsRefusedInTheHandshakeAndNothingReachesRaft() throws Exception {
        RecordingRaft rb = new RecordingRaft();
        Transport b = node(2, node2, rb);
        b.addPeer(1, List.of("https://127.0.0.1:1"));
        SslContextFactory.Client noCert = new SslContextFactory.Client();
        noCert.setTrustStorePath(null);
        noCert.setTrustStore(trustOnly(ca));
        assertThrows(ExecutionException.class, () -> postHeartbeat(client(noCert), b.listenUri()));
        assertNull(rb.received.poll(200, TimeUnit.MILLISECONDS));
    }

    @Test
    void clientWithCertificateFromAnotherCaIsRefusedInTheHandshake() throws Exception {
        RecordingRaft rb = new RecordingRaft();
        Transport b = node(2, node2, rb);
        b.addPeer(1, List.of("https://127.0.0.1:1"));
        SslContextFactory.Client strangerTls =
                new TlsFiles(stranger.certFile(), stranger.keyFile(), ca.pemFile(), false).newClientFactory();
        assertThrows(ExecutionException.class, () -> postHeartbeat(client(strangerTls), b.listenUri()));
        assertNull(rb.received.poll(200, TimeUnit.MILLISECONDS));
        // The same request with a member's certificate goes through: the refusal was the certificate's.
        SslContextFactory.Client memberTls =
                TestCerts.tlsFiles(node1, ca, false).newClientFactory();
        assertEquals(204, postHeartbeat(client(memberTls), b.listenUri()).getStatus());
        assertEquals(7, rb.received.poll(10, TimeUnit.SECONDS).getCommit());
    }

    @Test
    void plainHttpToATlsPeerPortGetsNoRaftMessageThrough() throws Exception {
        RecordingRaft rb = new RecordingRaft();
        Transport b = node(2, node2, rb);
        b.addPeer(1, List.of("https://127.0.0.1:1"));
        URI plain = URI.create("http://127.0.0.1:" + b.listenUri().getPort());
        try {
            ContentResponse r = postHeartbeat(client(null), plain);
            assertTrue(r.getStatus() >= 400, "plain http answered " + r.getStatus());
        } catch (ExecutionException expected) {
            // the TLS listener closed the connection: also a refusal
        }
        assertNull(rb.received.poll(200, TimeUnit.MILLISECONDS));
    }

    @Test
    void aMemberDoesNotTalkToAServerWhoseCertificateIsNotFromTheTrustedCa() throws Exception {
        RecordingRaft ra = new RecordingRaft();
        RecordingRaft rb = new RecordingRaft();
        Transport a = node(1, node1, ra);
        Transport impostor = TestSupport.start(TransportConfig.of(
                        2,
                        TestSupport.CLUSTER,
                        URI.create("https://127.0.0.1:0"),
                        rb,
                        new TlsFiles(stranger.certFile(), stranger.keyFile(), otherCa.pemFile(), false))
                .withTimeouts(TestSupport.FAST));
        transports.add(impostor);
        a.addPeer(2, List.of(impostor.listenUri().toString()));
        impostor.addPeer(1, List.of(a.listenUri().toString()));
        a.send(List.of(TestSupport.heartbeat(1, 2, 5)));
        assertNull(rb.received.poll(2, TimeUnit.SECONDS));
        TestSupport.await(() -> ra.unreachable.contains(2L), WAIT, "a reports the impostor unreachable");
    }

    @Test
    void httpUrlsAreRefusedWhenPeerTlsIsOnAndHttpsWhenItIsOff() {
        RecordingRaft r = new RecordingRaft();
        Transport tls = node(1, node1, r);
        assertThrows(IllegalArgumentException.class, () -> tls.addPeer(2, List.of("http://127.0.0.1:2380")));
        assertThrows(
                IllegalArgumentException.class,
                () -> TransportConfig.of(
                        1, 1, URI.create("http://127.0.0.1:0"), r, TestCerts.tlsFiles(node1, ca, true)));
        Transport plain = TestSupport.start(1, r);
        transports.add(plain);
        assertThrows(IllegalArgumentException.class, () -> plain.addPeer(2, List.of("https://127.0.0.1:2380")));
    }

    private static java.security.KeyStore trustOnly(TestCerts.Ca authority) throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", authority.cert());
        return ks;
    }
}
