package org.devhost.launcher;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * The framework properties that turn on the Felix Web Console ({@code ./devhost --web} or
 * {@code devhost.web=true}) and its credentials.
 *
 * <p>Listening: {@code devhost.web.host} (default {@code 127.0.0.1}, loopback only, because the
 * console has no CSRF protection: SECURITY.md) and {@code devhost.web.port} (default 8080), given
 * to Jetty as {@code org.apache.felix.http.host} and {@code org.osgi.service.http.port}.
 *
 * <p>Credentials, never the console's built-in admin/admin: {@code devhost.web.user} (default
 * {@code devhost}) and {@code devhost.web.password} (or the environment variable {@code
 * DEVHOST_WEB_PASSWORD}, which other users cannot read in {@code ps}); without a password one is generated at the
 * start and printed once. The console gets only the password's SHA-256
 * ({@code felix.webconsole.password={sha-256}...}), and the clear text is taken out of the
 * framework and system properties, so the console's own Status pages cannot show it. A
 * configuration of the console's PID ({@code org.apache.felix.webconsole.internal.servlet.OsgiManager},
 * e.g. a {@code .cfg} in {@code conf/}) overrides both, as the console documents.
 */
final class WebConsole {
    static final String ENABLE = "devhost.web";
    static final String HOST = "devhost.web.host";
    static final String PORT = "devhost.web.port";
    static final String USER = "devhost.web.user";
    static final String PASSWORD = "devhost.web.password";
    /** The environment variable that may carry the password instead of {@link #PASSWORD}. */
    static final String PASSWORD_ENV = "DEVHOST_WEB_PASSWORD";
    static final String CONSOLE_USER = "felix.webconsole.username";
    static final String CONSOLE_PASSWORD = "felix.webconsole.password";
    /** Where the console lives under the server (the console's default). */
    static final String ROOT = "/system/console";

    private WebConsole() {}

    /** What {@link #configure} decided, for the line the launcher prints once. */
    record Login(String user, String password, boolean generated) {
        /** The credentials as the console line shows them; a configured password is not repeated. */
        String shown() {
            return "user " + user + ", password " + (generated ? password
                    + " (generated for this run; set devhost.web.password to choose one)" : "as configured");
        }
    }

    static boolean enabled(Map<String, String> config) {
        return Boolean.parseBoolean(config.getOrDefault(ENABLE, "false"));
    }

    /**
     * Puts the listening address and the credentials into the framework properties.
     *
     * @throws IllegalArgumentException for a port that is not a number from 0 to 65535
     */
    static Login configure(Map<String, String> config, SecureRandom random) {
        String port = config.getOrDefault(PORT, "8080");
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException(PORT + "=" + port + " is not a port number (0 to 65535)");
        }
        config.put("org.osgi.service.http.port", Integer.toString(p));
        config.put("org.apache.felix.http.host", config.getOrDefault(HOST, "127.0.0.1"));
        config.putIfAbsent("felix.webconsole.realm", "devhost");
        // Jetty logs through slf4j, which pax-logging-api provides; without a back end it prints to
        // stdout, so only warnings and errors, unless asked otherwise.
        config.putIfAbsent("org.ops4j.pax.logging.DefaultServiceLog.level", "WARN");
        if (System.getProperty("org.ops4j.pax.logging.DefaultServiceLog.level") == null) {
            System.setProperty("org.ops4j.pax.logging.DefaultServiceLog.level",
                    config.get("org.ops4j.pax.logging.DefaultServiceLog.level"));
        }

        String user = config.getOrDefault(USER, config.getOrDefault(CONSOLE_USER, "devhost"));
        String password = config.remove(PASSWORD);
        System.clearProperty(PASSWORD);
        if (password == null) {
            password = System.getenv(PASSWORD_ENV); // unlike an argument, not shown to others by ps
        }
        config.put(CONSOLE_USER, user);
        if (password != null && !password.isEmpty()) {
            config.put(CONSOLE_PASSWORD, hash(password));
            return new Login(user, password, false);
        }
        if (config.get(CONSOLE_PASSWORD) != null) {
            return new Login(user, null, false); // the console's own property, set by hand
        }
        byte[] bytes = new byte[12];
        random.nextBytes(bytes);
        String generated = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        config.put(CONSOLE_PASSWORD, hash(generated));
        return new Login(user, generated, true);
    }

    /** The console's unsalted hashed form: {@code {sha-256}} and the Base64 of the UTF-8 bytes' SHA-256. */
    static String hash(String password) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
            return "{sha-256}" + Base64.getEncoder().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
