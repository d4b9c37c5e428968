package org.devhost.fleet;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS side of a connection to the broker, from PEM files as Mosquitto and openssl write them,
 * with the JDK alone (no Bouncy Castle in the host): the CA file becomes the only trusted roots,
 * the certificate file (leaf first, then its chain) and the key (PKCS#8, {@code BEGIN PRIVATE
 * KEY}, unencrypted; RSA, EC or Ed25519) the client's identity. The files are read at each connect,
 * so renewed certificates count at the next one. The broker's host name is checked against its
 * certificate by Paho ({@code HTTPS} endpoint identification, on by default). Stateless.
 */
final class Tls {
    private Tls() {}

    /**
     * A socket factory for {@code s}'s broker.
     *
     * @throws IOException naming the setting whose file is missing, unsafe or not what it must be
     */
    static SSLSocketFactory socketFactory(Settings s) throws IOException {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (s.tlsCaFile() != null) {
                List<Certificate> cas = certificates("tls.ca.file", s.tlsCaFile());
                KeyStore trust = KeyStore.getInstance("PKCS12");
                trust.load(null, null);
                for (int i = 0; i < cas.size(); i++) {
                    trust.setCertificateEntry("ca" + i, cas.get(i));
                }
                tmf.init(trust);
            } else {
                tmf.init((KeyStore) null); // the JDK's trusted CAs
            }
            KeyManagerFactory kmf = null;
            if (s.tlsCertFile() != null) {
                Settings.ownerOnly("tls.key.file", s.tlsKeyFile()); // before anything is read: a key others see is refused
                List<Certificate> chain = certificates("tls.cert.file", s.tlsCertFile());
                PrivateKey key = privateKey(s.tlsKeyFile());
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                char[] none = new char[0];
                ks.setKeyEntry("client", key, none, chain.toArray(new Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(ks, none);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS: " + e.getMessage(), e);
        }
    }

    private static List<Certificate> certificates(String setting, Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException(setting + " " + file + " cannot be read: " + e, e);
        }
        try {
            List<Certificate> out = new ArrayList<>(CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes)));
            if (out.isEmpty()) {
                throw new IOException(setting + " " + file + " holds no certificate");
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IOException(setting + " " + file + " is not PEM X.509 certificates: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(Path file) throws IOException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN PRIVATE KEY-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf("-----END PRIVATE KEY-----");
        if (from < 0 || to < from) {
            throw new IOException("tls.key.file " + file + " is not an unencrypted PKCS#8 key (BEGIN PRIVATE KEY)"
                    + (pem.contains("ENCRYPTED") ? "; it is encrypted" : "")
                    + ": convert it with openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new IOException("tls.key.file " + file + " is not valid base64 PEM", e);
        }
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException notThisOne) {
                // the next algorithm
            }
        }
        throw new IOException("tls.key.file " + file + " is a PKCS#8 key of none of RSA, EC, Ed25519, Ed448");
    }
}
