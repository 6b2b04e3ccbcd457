package org.raftexample.transport;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * One side's TLS material, as etcd's flags give it: a PEM certificate (chain) and its private key, an optional
 * PEM file of trusted CA certificates, and whether the server demands a client certificate.
 *
 * <p>As in etcd, a server demands and verifies a client certificate when {@code clientCertAuth} is set or a
 * trusted CA file is given, and verifies it against that CA (the JDK's default trust store without one). A client
 * verifies the server's certificate, host name or IP included, against the same CA, and presents its own
 * certificate when asked: peers show their peer certificate to each other.
 *
 * @param certFile       PEM certificate, leaf first
 * @param keyFile        PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC; unencrypted)
 * @param trustedCaFile  PEM CA certificates to trust, or null for the JDK's default trust store
 * @param clientCertAuth true to refuse clients without a certificate signed by a trusted CA
 */
public record TlsFiles(Path certFile, Path keyFile, Path trustedCaFile, boolean clientCertAuth) {
    // The in-memory key store needs some password; it never leaves the process.
    private static final String STORE_PASSWORD = "raftexample";

    /**
     * Checks that the certificate and the key are given.
     *
     * @param certFile PEM certificate, leaf first
     * @param keyFile PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC; unencrypted)
     * @param trustedCaFile PEM CA certificates to trust, or null for the JDK's default trust store
     * @param clientCertAuth true to refuse clients without a certificate signed by a trusted CA
     */
    public TlsFiles {
        Objects.requireNonNull(certFile, "certFile");
        Objects.requireNonNull(keyFile, "keyFile");
    }

    /**
     * True when a server with this material refuses clients that present no trusted certificate.
     *
     * @return true if client certificates are required
     */
    public boolean requiresClientCertificate() {
        return clientCertAuth || trustedCaFile != null;
    }

    /**
     * The server side; the files are read now, so a missing or bad file fails here with its name.
     *
     * @return the server's SSL context factory
     */
    public SslContextFactory.Server newServerFactory() {
        SslContextFactory.Server f = new SslContextFactory.Server();
        f.setKeyStore(keyStore());
        f.setKeyManagerPassword(STORE_PASSWORD);
        if (trustedCaFile != null) {
            f.setTrustStore(trustStore());
        }
        f.setNeedClientAuth(requiresClientCertificate());
        f.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        return f;
    }

    /**
     * The client side, dialing servers whose certificate must chain to the trusted CA and name their host.
     *
     * @return the client's SSL context factory
     */
    public SslContextFactory.Client newClientFactory() {
        SslContextFactory.Client f = new SslContextFactory.Client();
        f.setKeyStore(keyStore());
        f.setKeyManagerPassword(STORE_PASSWORD);
        if (trustedCaFile != null) {
            f.setTrustStore(trustStore());
        }
        f.setEndpointIdentificationAlgorithm("HTTPS");
        f.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        return f;
    }

    private KeyStore keyStore() {
        try {
            List<X509Certificate> chain = Pem.readCertificates(certFile);
            PrivateKey key = Pem.readPrivateKey(keyFile);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("key", key, STORE_PASSWORD.toCharArray(), chain.toArray(new X509Certificate[0]));
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "cannot load TLS certificate " + certFile + " and key " + keyFile + ": " + e.getMessage(), e);
        }
    }

    private KeyStore trustStore() {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (X509Certificate ca : Pem.readCertificates(trustedCaFile)) {
                ks.setCertificateEntry("ca-" + i++, ca);
            }
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "cannot load trusted CA file " + trustedCaFile + ": " + e.getMessage(), e);
        }
    }
}
