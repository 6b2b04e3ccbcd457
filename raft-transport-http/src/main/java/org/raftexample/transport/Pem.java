package org.raftexample.transport;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files etcd takes for TLS: certificate chains, and unencrypted private keys in PKCS#8
 * ({@code PRIVATE KEY}), PKCS#1 ({@code RSA PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}) form, with the JDK
 * alone. PKCS#1 and SEC1 keys are rewrapped as PKCS#8, which is what the JDK's key factories read.
 */
final class Pem {
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----");
    // The algorithm identifiers a rewrapped key needs: rsaEncryption (1.2.840.113549.1.1.1) with NULL
    // parameters, and id-ecPublicKey (1.2.840.10045.2.1) followed by the curve's own identifier.
    private static final byte[] RSA_ALGORITHM = {
        0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00
    };
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01
    };
    private static final String[] PKCS8_ALGORITHMS = {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA"};

    private Pem() {}

    /** A PEM block of one type and its decoded bytes. */
    private record Block(String type, byte[] der) {}

    /** The certificates of a PEM file, in file order (leaf first for a chain); at least one. */
    static List<X509Certificate> readCertificates(Path file) throws IOException, GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> certs = new ArrayList<>();
        for (Block b : blocks(file)) {
            if (b.type().equals("CERTIFICATE")) {
                certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(b.der())));
            }
        }
        if (certs.isEmpty()) {
            throw new CertificateException(file + " holds no PEM CERTIFICATE block");
        }
        return certs;
    }

    /** The one private key of a PEM file. */
    static PrivateKey readPrivateKey(Path file) throws IOException, GeneralSecurityException {
        for (Block b : blocks(file)) {
            switch (b.type()) {
                case "PRIVATE KEY":
                    return pkcs8(b.der(), file);
                case "RSA PRIVATE KEY":
                    return KeyFactory.getInstance("RSA")
                            .generatePrivate(new PKCS8EncodedKeySpec(wrap(RSA_ALGORITHM, b.der())));
                case "EC PRIVATE KEY":
                    return KeyFactory.getInstance("EC")
                            .generatePrivate(new PKCS8EncodedKeySpec(wrap(ecAlgorithm(b.der(), file), b.der())));
                case "ENCRYPTED PRIVATE KEY":
                    throw new GeneralSecurityException(file + " holds an encrypted key; give an unencrypted one");
                default:
                // EC PARAMETERS and the like precede the key in openssl's output: skip them.
            }
        }
        throw new GeneralSecurityException(file + " holds no PEM private key");
    }

    private static PrivateKey pkcs8(byte[] der, Path file) throws GeneralSecurityException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : PKCS8_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                // not this algorithm: try the next
            }
        }
        throw new GeneralSecurityException(file + ": unsupported or malformed PKCS#8 private key");
    }

    private static List<Block> blocks(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": bad base64 in a PEM " + m.group(1) + " block", e);
            }
        }
        if (blocks.isEmpty()) {
            throw new IOException(file + " is not a PEM file");
        }
        return blocks;
    }

    /** PrivateKeyInfo ::= SEQUENCE { version 0, algorithm, privateKey OCTET STRING }. */
    private static byte[] wrap(byte[] algorithm, byte[] key) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(algorithm);
        body.writeBytes(tlv(0x04, key));
        return tlv(0x30, body.toByteArray());
    }

    /**
     * The algorithm identifier for a SEC1 key: the curve is the key's {@code [0]} field,
     * ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, [0] parameters, [1] publicKey }.
     */
    private static byte[] ecAlgorithm(byte[] sec1, Path file) throws GeneralSecurityException {
        Der outer = new Der(sec1, 0, sec1.length);
        Der seq = outer.next(0x30, file);
        seq.next(0x02, file);
        seq.next(0x04, file);
        while (seq.hasMore()) {
            int tag = seq.peekTag();
            Der field = seq.next(tag, file);
            if (tag == 0xa0) {
                byte[] curve = field.rest();
                ByteArrayOutputStream alg = new ByteArrayOutputStream();
                alg.writeBytes(EC_PUBLIC_KEY_OID);
                alg.writeBytes(curve);
                return tlv(0x30, alg.toByteArray());
            }
        }
        throw new GeneralSecurityException(file + ": EC private key without curve parameters");
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    /** A cursor over DER elements within bounds; every length is checked against what is left. */
    private static final class Der {
        private final byte[] buf;
        private int pos;
        private final int end;

        Der(byte[] buf, int pos, int end) {
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        boolean hasMore() {
            return pos < end;
        }

        int peekTag() {
            return buf[pos] & 0xff;
        }

        /** The contents of the next element, which must have this tag. */
        Der next(int tag, Path file) throws GeneralSecurityException {
            if (pos + 2 > end || (buf[pos] & 0xff) != tag) {
                throw new GeneralSecurityException(file + ": malformed EC private key");
            }
            pos++;
            int len = buf[pos++] & 0xff;
            if (len >= 0x80) {
                int bytes = len & 0x7f;
                if (bytes == 0 || bytes > 3 || pos + bytes > end) {
                    throw new GeneralSecurityException(file + ": malformed EC private key");
                }
                len = 0;
                for (int i = 0; i < bytes; i++) {
                    len = (len << 8) | (buf[pos++] & 0xff);
                }
            }
            if (len > end - pos) {
                throw new GeneralSecurityException(file + ": malformed EC private key");
            }
            Der inner = new Der(buf, pos, pos + len);
            pos += len;
            return inner;
        }

        byte[] rest() {
            byte[] out = new byte[end - pos];
            System.arraycopy(buf, pos, out, 0, out.length);
            return out;
        }
    }
}
