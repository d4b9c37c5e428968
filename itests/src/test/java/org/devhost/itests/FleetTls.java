package org.devhost.itests;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * A certificate authority of the test's own, made with {@code openssl} as README.md's "Fleet"
 * section makes one: an EC P-256 CA, a server certificate for the broker (127.0.0.1 and
 * localhost), and a client certificate per host whose CN is its Sparkplug id (Mosquitto's {@code
 * use_identity_as_username} makes it the user name its ACL names). Keys are written owner-only,
 * as the host requires of {@code tls.key.file}. Also the test's own TLS client side, built with
 * the JDK from the same PEM files. Every openssl run is bounded.
 */
final class FleetTls {
    /** A certificate and its key, PEM. */
    record Identity(Path cert, Path key) {}

    private final Path dir;
    private final Path caCert;
    private final Path caKey;
    private int serial = 1;

    /** Makes a new CA named {@code name} in {@code dir}. */
    FleetTls(Path dir, String name) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.caCert = dir.resolve(name + "-ca.crt");
        this.caKey = dir.resolve(name + "-ca.key");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                caKey.toString(), "-out", caCert.toString(), "-days", "2", "-subj", "/CN=" + name,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        Files.setPosixFilePermissions(caKey, PosixFilePermissions.fromString("rw-------"));
    }

    Path ca() {
        return caCert;
    }

    /** A certificate of this CA: for the broker ({@code server}: 127.0.0.1 and localhost), or a client named {@code cn}. */
    Identity issue(String cn, boolean server) throws Exception {
        Path key = dir.resolve(cn + ".key");
        Path csr = dir.resolve(cn + ".csr");
        Path cert = dir.resolve(cn + ".crt");
        Path ext = dir.resolve(cn + ".ext");
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(),
                "-out", csr.toString(), "-subj", "/CN=" + cn);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(ext, "basicConstraints=CA:FALSE\n" + (server
                ? "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                : "extendedKeyUsage=clientAuth\n"));
        openssl("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-set_serial", String.valueOf(serial++), "-days", "2", "-out", cert.toString(), "-extfile", ext.toString());
        return new Identity(cert, key);
    }

    /** The test's TLS client: trusts {@code trusted}'s CA, presents {@code id} (or no certificate when null). */
    static SSLSocketFactory client(FleetTls trusted, Identity id) throws Exception {
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", x509.generateCertificate(Files.newInputStream(trusted.caCert)));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        KeyManagerFactory kmf = null;
        if (id != null) {
            List<Certificate> chain = new ArrayList<>(x509.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(id.cert()))));
            String pem = Files.readString(id.key(), StandardCharsets.US_ASCII);
            String body = pem.substring(pem.indexOf("-----BEGIN PRIVATE KEY-----") + 27, pem.indexOf("-----END PRIVATE KEY-----"));
            PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(body)));
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("me", key, new char[0], chain.toArray(new Certificate[0]));
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx.getSocketFactory();
    }

    private void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Path log = dir.resolve("openssl.log");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile())).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " failed:\n" + Files.readString(log));
        }
    }
}
