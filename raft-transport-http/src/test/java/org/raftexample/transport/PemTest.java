package org.raftexample.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM keys in the three forms etcd users have (PKCS#8, PKCS#1 RSA, SEC1 EC), chains, and clear refusals. */
class PemTest {
    @TempDir
    Path dir;

    private void assertKeyMatchesCertificate(TestCerts.Issued issued, String algorithm) throws Exception {
        PrivateKey key = Pem.readPrivateKey(issued.keyFile());
        assertEquals(algorithm, key.getAlgorithm());
        X509Certificate cert = Pem.readCertificates(issued.certFile()).get(0);
        // A signature made with the key verifies with the certificate's public key: they are one pair.
        String sigAlg = algorithm.equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
        java.security.Signature s = java.security.Signature.getInstance(sigAlg);
        s.initSign(key);
        s.update(new byte[] {1, 2, 3});
        byte[] sig = s.sign();
        s.initVerify(cert.getPublicKey());
        s.update(new byte[] {1, 2, 3});
        assertTrue(s.verify(sig));
    }

    @Test
    void readsKeysInEveryFormEtcdTakes() throws Exception {
        TestCerts.Ca ca = TestCerts.newCa(dir, "ca");
        assertKeyMatchesCertificate(TestCerts.issue(ca, dir, "ec8", false, TestCerts.KeyForm.PKCS8), "EC");
        assertKeyMatchesCertificate(TestCerts.issue(ca, dir, "ec1", false, TestCerts.KeyForm.TRADITIONAL), "EC");
        assertKeyMatchesCertificate(TestCerts.issue(ca, dir, "rsa8", true, TestCerts.KeyForm.PKCS8), "RSA");
        assertKeyMatchesCertificate(TestCerts.issue(ca, dir, "rsa1", true, TestCerts.KeyForm.TRADITIONAL), "RSA");
        assertTrue(Files.readString(dir.resolve("ec1-key.pem")).contains("BEGIN EC PRIVATE KEY"));
        assertTrue(Files.readString(dir.resolve("rsa1-key.pem")).contains("BEGIN RSA PRIVATE KEY"));
    }

    @Test
    void readsACertificateChainInFileOrder() throws Exception {
        TestCerts.Ca ca = TestCerts.newCa(dir, "ca");
        TestCerts.Issued leaf = TestCerts.issue(ca, dir, "leaf");
        Path chain = dir.resolve("chain.pem");
        Files.writeString(chain, Files.readString(leaf.certFile()) + Files.readString(ca.pemFile()));
        List<X509Certificate> certs = Pem.readCertificates(chain);
        assertEquals(2, certs.size());
        assertArrayEquals(ca.cert().getEncoded(), certs.get(1).getEncoded());
    }

    @Test
    void refusesWhatIsNotAUsableKeyOrCertificateWithTheFileNamed() throws Exception {
        Path garbage = dir.resolve("garbage.pem");
        Files.writeString(garbage, "not a pem file");
        assertTrue(assertThrows(java.io.IOException.class, () -> Pem.readPrivateKey(garbage))
                .getMessage()
                .contains("garbage.pem"));
        Path encrypted = dir.resolve("enc.pem");
        Files.writeString(
                encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertTrue(assertThrows(GeneralSecurityException.class, () -> Pem.readPrivateKey(encrypted))
                .getMessage()
                .contains("encrypted"));
        Path badKey = dir.resolve("bad-key.pem");
        Files.writeString(badKey, "-----BEGIN EC PRIVATE KEY-----\nMAMCAQE=\n-----END EC PRIVATE KEY-----\n");
        assertThrows(GeneralSecurityException.class, () -> Pem.readPrivateKey(badKey));
        Path noCurve = dir.resolve("no-curve-key.pem");
        TestCerts.writeSec1WithoutCurve(noCurve);
        assertTrue(assertThrows(GeneralSecurityException.class, () -> Pem.readPrivateKey(noCurve))
                .getMessage()
                .contains("without curve parameters"));
        TestCerts.Ca ca = TestCerts.newCa(dir, "ca");
        TestCerts.Issued leaf = TestCerts.issue(ca, dir, "leaf");
        assertThrows(GeneralSecurityException.class, () -> Pem.readCertificates(leaf.keyFile()));
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> new TlsFiles(leaf.certFile(), garbage, null, false).newServerFactory());
        assertTrue(e.getMessage().contains("garbage.pem"), e.getMessage());
    }
}
