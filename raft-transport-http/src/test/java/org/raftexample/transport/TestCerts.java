package org.raftexample.transport;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Makes certificate authorities and certificates at run time, written as PEM files the way etcd takes them, for
 * tests of TLS. Node certificates name 127.0.0.1 and localhost and allow both server and client use, as peers
 * present the same certificate in both roles.
 */
public final class TestCerts {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** How a private key is written: PKCS#8 ("PRIVATE KEY") or the algorithm's own form ("RSA/EC PRIVATE KEY"). */
    public enum KeyForm {
        PKCS8,
        TRADITIONAL
    }

    /** A certificate authority: its certificate, its keys, and the PEM file of the certificate. */
    public record Ca(X509Certificate cert, KeyPair keys, Path pemFile) {}

    /** A certificate and key issued by a CA, as PEM files. */
    public record Issued(Path certFile, Path keyFile) {}

    private TestCerts() {}

    /** A self-signed CA written to {@code dir/<name>-ca.pem}. */
    public static Ca newCa(Path dir, String name) {
        try {
            KeyPair keys = ecKeys();
            X500Name subject = new X500Name("CN=" + name + " test CA");
            X509v3CertificateBuilder b = builder(subject, subject, keys);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509Certificate cert = sign(b, keys);
            Path file = dir.resolve(name + "-ca.pem");
            writePem(file, cert);
            return new Ca(cert, keys, file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An EC node certificate for 127.0.0.1/localhost, key in PKCS#8, written to {@code dir/<name>.pem/-key.pem}. */
    public static Issued issue(Ca ca, Path dir, String name) {
        return issue(ca, dir, name, false, KeyForm.PKCS8);
    }

    /** A node certificate for 127.0.0.1/localhost with an RSA or EC key written in the given form. */
    public static Issued issue(Ca ca, Path dir, String name, boolean rsa, KeyForm form) {
        try {
            KeyPair keys = rsa ? rsaKeys() : ecKeys();
            X509v3CertificateBuilder b = builder(
                    new X500Name(ca.cert().getSubjectX500Principal().getName()), new X500Name("CN=" + name), keys);
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(
                    Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
            }));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")
            }));
            X509Certificate cert = sign(b, ca.keys());
            Path certFile = dir.resolve(name + ".pem");
            Path keyFile = dir.resolve(name + "-key.pem");
            writePem(certFile, cert);
            if (form == KeyForm.PKCS8) {
                writePem(keyFile, new JcaPKCS8Generator(keys.getPrivate(), null));
            } else if (rsa) {
                writePem(keyFile, keys.getPrivate());
            } else {
                writePem(keyFile, sec1WithCurve(keys.getPrivate()));
            }
            return new Issued(certFile, keyFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Client TLS material: this certificate, trusting {@code ca}. */
    public static TlsFiles tlsFiles(Issued issued, Ca ca, boolean clientCertAuth) {
        return new TlsFiles(issued.certFile(), issued.keyFile(), ca.pemFile(), clientCertAuth);
    }

    /**
     * A JDK SSL context for test clients: trusting {@code trusted}'s certificate, presenting {@code client} (a
     * certificate and key this class issued, or null for none).
     */
    public static javax.net.ssl.SSLContext sslContext(Issued client, Ca trusted) {
        try {
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", trusted.cert());
            javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            javax.net.ssl.KeyManager[] keyManagers = null;
            if (client != null) {
                java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
                keys.load(null, null);
                char[] password = "test".toCharArray();
                keys.setKeyEntry(
                        "key",
                        Pem.readPrivateKey(client.keyFile()),
                        password,
                        Pem.readCertificates(client.certFile()).toArray(new X509Certificate[0]));
                javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                        javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, password);
                keyManagers = kmf.getKeyManagers();
            }
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(keyManagers, tmf.getTrustManagers(), new SecureRandom());
            return ctx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * An EC key as openssl writes it ({@code BEGIN EC PRIVATE KEY}, the curve in its {@code [0]} field);
     * bouncycastle's own writer leaves the curve out, which makes the key unusable on its own.
     */
    static org.bouncycastle.util.io.pem.PemObject sec1WithCurve(java.security.PrivateKey key) throws IOException {
        org.bouncycastle.asn1.pkcs.PrivateKeyInfo info =
                org.bouncycastle.asn1.pkcs.PrivateKeyInfo.getInstance(key.getEncoded());
        org.bouncycastle.asn1.sec.ECPrivateKey inner =
                org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey());
        org.bouncycastle.asn1.sec.ECPrivateKey withCurve = new org.bouncycastle.asn1.sec.ECPrivateKey(
                256, inner.getKey(), info.getPrivateKeyAlgorithm().getParameters());
        return new org.bouncycastle.util.io.pem.PemObject("EC PRIVATE KEY", withCurve.getEncoded());
    }

    /** An EC key in SEC1 form without its curve, as bouncycastle writes one: not usable by itself. */
    static void writeSec1WithoutCurve(Path file) throws GeneralSecurityException, IOException {
        writePem(file, ecKeys().getPrivate());
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(
                issuer,
                BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(2))),
                subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer)
            throws OperatorCreationException, GeneralSecurityException {
        String alg = signer.getPrivate().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        ContentSigner s = new JcaContentSignerBuilder(alg).build(signer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(b.build(s));
    }

    private static KeyPair ecKeys() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return g.generateKeyPair();
    }

    private static KeyPair rsaKeys() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048, new SecureRandom());
        return g.generateKeyPair();
    }

    private static void writePem(Path file, Object o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        }
        Files.writeString(file, out.toString());
    }
}
