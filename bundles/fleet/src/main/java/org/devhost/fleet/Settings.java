package org.devhost.fleet;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * The edge node's configuration, checked: every refusal is a sentence naming the setting and what
 * it takes, so a wrong {@code .cfg} is reported in the kernel log rather than half applied.
 * Immutable.
 *
 * @param brokerUrl {@code tcp://host:port}
 * @param group the Sparkplug group id
 * @param node the edge node id
 * @param username the MQTT user name, or null
 * @param passwordFile where the password is, or null
 * @param keepAliveSeconds MQTT keep-alive
 * @param primaryHost the primary host application's id, or null
 * @param reconnectInitialMillis the first back-off
 * @param reconnectMaxMillis the longest back-off
 * @param connectTimeoutSeconds how long one connection attempt may take
 */
record Settings(String brokerUrl, String group, String node, String username, Path passwordFile, int keepAliveSeconds,
        String primaryHost, long reconnectInitialMillis, long reconnectMaxMillis, int connectTimeoutSeconds) {

    /** @throws IllegalArgumentException with the sentence to log */
    static Settings of(FleetConfig c, String hostName) {
        String url = c.broker_url().trim();
        if (url.isEmpty()) {
            throw new IllegalArgumentException("broker.url is not set: give the MQTT broker as tcp://HOST:PORT");
        }
        try {
            URI u = new URI(url);
            if (!"tcp".equals(u.getScheme()) || u.getHost() == null || u.getPort() <= 0) {
                throw new IllegalArgumentException("broker.url '" + url + "' is not tcp://HOST:PORT (ssl:// is not"
                        + " supported yet)");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("broker.url '" + url + "' is not a URL: " + e.getMessage());
        }
        String group = c.group_id().trim();
        check("group.id", group);
        String node = c.edge_node_id().trim();
        if (node.isEmpty()) {
            node = hostName;
        }
        check("edge.node.id", node);
        String primary = c.primary_host_id().trim();
        if (!primary.isEmpty()) {
            check("primary.host.id", primary);
        }
        if (c.keep_alive_s() < 1 || c.keep_alive_s() > 65535) {
            throw new IllegalArgumentException("keep.alive.s " + c.keep_alive_s() + " is not 1 to 65535 seconds");
        }
        if (c.reconnect_initial_ms() < 10 || c.reconnect_max_ms() < c.reconnect_initial_ms()) {
            throw new IllegalArgumentException("reconnect.initial.ms (" + c.reconnect_initial_ms() + ") must be at"
                    + " least 10 and at most reconnect.max.ms (" + c.reconnect_max_ms() + ")");
        }
        if (c.connect_timeout_s() < 1 || c.connect_timeout_s() > 600) {
            throw new IllegalArgumentException("connect.timeout.s " + c.connect_timeout_s() + " is not 1 to 600 seconds");
        }
        String user = c.username().trim();
        String file = c.password_file().trim();
        return new Settings(url, group, node, user.isEmpty() ? null : user, file.isEmpty() ? null : Path.of(file),
                c.keep_alive_s(), primary.isEmpty() ? null : primary, c.reconnect_initial_ms(), c.reconnect_max_ms(),
                c.connect_timeout_s());
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
        if (!Files.isRegularFile(passwordFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("password.file " + passwordFile + " is not a regular file (a link is refused too)");
        }
        String owner = Files.getOwner(passwordFile, LinkOption.NOFOLLOW_LINKS).getName();
        if (!owner.equals(System.getProperty("user.name"))) {
            throw new IOException("password.file " + passwordFile + " belongs to " + owner + ", not to the host's user "
                    + System.getProperty("user.name"));
        }
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(passwordFile, LinkOption.NOFOLLOW_LINKS);
        for (PosixFilePermission other : Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE)) {
            if (p.contains(other)) {
                throw new IOException("password.file " + passwordFile + " may be read or written by others"
                        + " (chmod 600 it)");
            }
        }
        String text = Files.readString(passwordFile, StandardCharsets.UTF_8);
        if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        return text.toCharArray();
    }
}
