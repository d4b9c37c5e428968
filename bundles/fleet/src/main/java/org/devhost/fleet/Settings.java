package org.devhost.fleet;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The configuration of an edge node or of a host application, checked: every refusal is a
 * sentence naming the setting and what it takes, so a wrong {@code .cfg} is reported in the kernel
 * log rather than half applied. Immutable.
 *
 * @param brokerUrl {@code tcp://host:port} or {@code ssl://host:port}, or several of one kind,
 *     comma-separated (no blanks), tried in that order ({@link #brokerUrls})
 * @param group the Sparkplug group id
 * @param node the edge node id; for a host application, its host id
 * @param username the MQTT user name, or null
 * @param passwordFile where the password is, or null
 * @param tlsCaFile the CA certificates (PEM) the broker's certificate must chain to, or null: the
 *     JDK's trusted CAs (only with {@code ssl://})
 * @param tlsCertFile this client's certificate chain (PEM), or null: none presented
 * @param tlsKeyFile its private key (PEM, PKCS#8, unencrypted, owner-only), with the certificate
 * @param keepAliveSeconds MQTT keep-alive
 * @param primaryHost the primary host application's id, or null (always null for a host application)
 * @param reconnectInitialMillis the first back-off
 * @param reconnectMaxMillis the longest back-off
 * @param connectTimeoutSeconds how long one connection attempt may take
 */
record Settings(String brokerUrl, String group, String node, String username, Path passwordFile, Path tlsCaFile,
        Path tlsCertFile, Path tlsKeyFile, int keepAliveSeconds, String primaryHost, long reconnectInitialMillis,
        long reconnectMaxMillis, int connectTimeoutSeconds) {

    /** An edge node's. @throws IllegalArgumentException with the sentence to log */
    static Settings of(FleetConfig c, String hostName) {
        String node = c.edge_node_id().trim();
        return checked(c.broker_url(), c.group_id(), node.isEmpty() ? hostName : node, "edge.node.id", c.username(),
                c.password_file(), c.tls_ca_file(), c.tls_cert_file(), c.tls_key_file(), c.keep_alive_s(),
                c.primary_host_id(), c.reconnect_initial_ms(), c.reconnect_max_ms(), c.connect_timeout_s());
    }

    /** A host application's: {@link #node} is its host id. @throws IllegalArgumentException with the sentence to log */
    static Settings of(FleetHostConfig c) {
        return checked(c.broker_url(), c.group_id(), c.host_id().trim(), "host.id", c.username(), c.password_file(),
                c.tls_ca_file(), c.tls_cert_file(), c.tls_key_file(), c.keep_alive_s(), "", c.reconnect_initial_ms(),
                c.reconnect_max_ms(), c.connect_timeout_s());
    }

    private static Settings checked(String brokerUrl, String groupId, String node, String nodeSetting, String username,
            String passwordFile, String ca, String cert, String key, int keepAlive, String primaryHost,
            long reconnectInitial, long reconnectMax, int connectTimeout) {
        String url = brokerUrl.trim();
        if (url.isEmpty()) {
            throw new IllegalArgumentException("broker.url is not set: give the MQTT broker as tcp://HOST:PORT or"
                    + " ssl://HOST:PORT (or several, comma-separated, tried in order)");
        }
        List<String> urls = new ArrayList<>();
        String scheme = null;
        for (String one : url.split(",")) {
            String u1 = one.trim();
            if (u1.isEmpty()) {
                throw new IllegalArgumentException("broker.url '" + url + "' has an empty entry between its commas");
            }
            try {
                URI u = new URI(u1);
                if (!("tcp".equals(u.getScheme()) || "ssl".equals(u.getScheme())) || u.getHost() == null || u.getPort() <= 0) {
                    throw new IllegalArgumentException("broker.url '" + u1 + "' is not tcp://HOST:PORT or ssl://HOST:PORT");
                }
                // one TLS setting serves every broker: Paho refuses an SSL socket factory for tcp:// (and the reverse)
                if (scheme != null && !scheme.equals(u.getScheme())) {
                    throw new IllegalArgumentException("broker.url mixes tcp:// and ssl:// ('" + url + "'): give brokers"
                            + " of one kind");
                }
                scheme = u.getScheme();
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("broker.url '" + u1 + "' is not a URL: " + e.getMessage());
            }
            if (urls.contains(u1)) {
                throw new IllegalArgumentException("broker.url names " + u1 + " twice");
            }
            urls.add(u1);
        }
        boolean ssl = "ssl".equals(scheme);
        url = String.join(",", urls);
        String group = groupId.trim();
        check("group.id", group);
        check(nodeSetting, node);
        String primary = primaryHost.trim();
        if (!primary.isEmpty()) {
            check("primary.host.id", primary);
        }
        if (keepAlive < 1 || keepAlive > 65535) {
            throw new IllegalArgumentException("keep.alive.s " + keepAlive + " is not 1 to 65535 seconds");
        }
        if (reconnectInitial < 10 || reconnectMax < reconnectInitial) {
            throw new IllegalArgumentException("reconnect.initial.ms (" + reconnectInitial + ") must be at"
                    + " least 10 and at most reconnect.max.ms (" + reconnectMax + ")");
        }
        if (connectTimeout < 1 || connectTimeout > 600) {
            throw new IllegalArgumentException("connect.timeout.s " + connectTimeout + " is not 1 to 600 seconds");
        }
        Path caFile = path(ca);
        Path certFile = path(cert);
        Path keyFile = path(key);
        if (!ssl && (caFile != null || certFile != null || keyFile != null)) {
            throw new IllegalArgumentException("tls.* files are set but broker.url '" + url + "' is not ssl://HOST:PORT");
        }
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("tls.cert.file and tls.key.file go together: set both (the client"
                    + " certificate and its key) or neither");
        }
        String user = username.trim();
        return new Settings(url, group, node, user.isEmpty() ? null : user, path(passwordFile), caFile, certFile, keyFile,
                keepAlive, primary.isEmpty() ? null : primary, reconnectInitial, reconnectMax, connectTimeout);
    }

    private static Path path(String setting) {
        String s = setting == null ? "" : setting.trim();
        return s.isEmpty() ? null : Path.of(s);
    }

    /** The brokers, in the order to try them: one, or what {@code broker.url} listed. */
    List<String> brokerUrls() {
        return List.of(brokerUrl.split(","));
    }

    /** Whether the broker is reached over TLS ({@code ssl://}). */
    boolean tls() {
        return brokerUrl.startsWith("ssl:");
    }

    private static void check(String setting, String id) {
        String why = Topics.invalidId(id);
        if (why != null) {
            throw new IllegalArgumentException(setting + " '" + id + "' cannot be a Sparkplug id: " + why);
        }
    }

    /**
     * The password, read from {@link #passwordFile} now (so a changed file counts at the next
     * connect); null without one.
     *
     * @throws IOException when the file cannot be read, is not a regular file, is not the host
     *     user's, or others may read or write it (the message says which)
     */
    char[] password() throws IOException {
        if (passwordFile == null) {
            return null;
        }
        ownerOnly("password.file", passwordFile);
        String text = Files.readString(passwordFile, StandardCharsets.UTF_8);
        if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        return text.toCharArray();
    }

    /**
     * Refuses a secret's file (the password, the TLS key) that another user could read or
     * replace: it must be a regular file (not a link), the host user's, mode 0600 or stricter.
     *
     * @throws IOException naming {@code setting} and what is wrong
     */
    static void ownerOnly(String setting, Path file) throws IOException {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(setting + " " + file + " is not a regular file (a link is refused too)");
        }
        String owner = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS).getName();
        if (!owner.equals(System.getProperty("user.name"))) {
            throw new IOException(setting + " " + file + " belongs to " + owner + ", not to the host's user "
                    + System.getProperty("user.name"));
        }
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        for (PosixFilePermission other : Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE)) {
            if (p.contains(other)) {
                throw new IOException(setting + " " + file + " may be read or written by others (chmod 600 it)");
            }
        }
    }
}
