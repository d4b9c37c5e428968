package org.devhost.launcher;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiPredicate;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The framework properties that turn on the Felix Web Console ({@code ./devhost --web} or
 * {@code devhost.web=true}), its limits, and its login.
 *
 * <p>Listening: {@code devhost.web.host} (default {@code 127.0.0.1}, loopback only) and {@code
 * devhost.web.port} (default 8080), given to Jetty as {@code org.apache.felix.http.host} and
 * {@code org.osgi.service.http.port}. The console answers only to its own names (the loopback
 * names, {@code devhost.web.host}, and {@code devhost.web.hosts}, a comma-separated list), and
 * takes uploads up to {@code devhost.web.upload.max} bytes (default 64 MiB; {@code k}, {@code m},
 * {@code g} suffixes), both enforced by {@code org.devhost.web} (SECURITY.md).
 *
 * <p>Credentials, never the console's built-in admin/admin: {@code devhost.web.user} (default
 * {@code devhost}) and {@code devhost.web.password} (or the environment variable {@code
 * DEVHOST_WEB_PASSWORD}, which other users cannot read in {@code ps}); without a password one is
 * generated at the start and printed once. No form of the password reaches a property: the clear
 * text is taken out of the framework and system properties, and what checks a login is a {@link
 * Credentials} object (a salted PBKDF2 hash) that {@link #register} hands to {@code
 * org.devhost.web}'s login as a service, so the console's status dump (which prints every
 * framework property and every service property) shows nothing to attack offline. The console
 * itself is told to wait for that login ({@code felix.webconsole.security.providers=devhost}), and
 * its own password property gets a value that matches no password. A password set in the
 * console's own form ({@code felix.webconsole.password}) is refused at the start, and the user
 * name and password of a configuration of the console's own PID ({@code
 * org.apache.felix.webconsole.internal.servlet.OsgiManager}) are those of the console's own login,
 * which is not asked while devhost's is there.
 */
final class WebConsole {
    static final String ENABLE = "devhost.web";
    static final String HOST = "devhost.web.host";
    static final String PORT = "devhost.web.port";
    static final String USER = "devhost.web.user";
    static final String PASSWORD = "devhost.web.password";
    /** The largest request body (an upload) the console reads, in bytes; normalized to a number here. */
    static final String UPLOAD_MAX = "devhost.web.upload.max";
    static final long DEFAULT_UPLOAD_MAX = 64L << 20;
    /** The environment variable that may carry the password instead of {@link #PASSWORD}. */
    static final String PASSWORD_ENV = "DEVHOST_WEB_PASSWORD";
    static final String CONSOLE_USER = "felix.webconsole.username";
    static final String CONSOLE_PASSWORD = "felix.webconsole.password";
    /** The console serves nothing until a security provider of each id listed here is registered. */
    static final String CONSOLE_PROVIDERS = "felix.webconsole.security.providers";
    /** The id of {@code org.devhost.web}'s login ({@code webconsole.security.provider.id}). */
    static final String PROVIDER_ID = "devhost";
    /** The service property by which {@code org.devhost.web} finds the {@link Credentials}. */
    static final String LOGIN_SERVICE = "devhost.web.login";
    /** Where the console lives under the server (the console's default). */
    static final String ROOT = "/system/console";

    private WebConsole() {}

    /** What {@link #configure} decided, for the line the launcher prints once and for {@link #register}. */
    record Login(String user, String password, boolean generated, Credentials credentials) {
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
     * Puts the listening address, the upload limit and the console's login settings into the
     * framework properties, and derives the {@link Credentials}.
     *
     * @throws IllegalArgumentException for a port that is not a number from 0 to 65535, an upload
     *         limit that is not a size, or a password given in the console's own form
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
        config.put(UPLOAD_MAX, Long.toString(size(config.get(UPLOAD_MAX))));
        config.putIfAbsent("felix.webconsole.realm", "devhost");
        // Jetty logs through slf4j, which pax-logging-api provides; without a back end it prints to
        // stdout, so only warnings and errors, unless asked otherwise.
        config.putIfAbsent("org.ops4j.pax.logging.DefaultServiceLog.level", "WARN");
        if (System.getProperty("org.ops4j.pax.logging.DefaultServiceLog.level") == null) {
            System.setProperty("org.ops4j.pax.logging.DefaultServiceLog.level",
                    config.get("org.ops4j.pax.logging.DefaultServiceLog.level"));
        }
        if (config.get(CONSOLE_PASSWORD) != null) {
            // an unsalted hash, printed by the console's own status dump: not a way to set ours
            throw new IllegalArgumentException(CONSOLE_PASSWORD + " is not used by devhost (the console would show"
                    + " that unsalted hash in its status dump); set " + PASSWORD + " or " + PASSWORD_ENV + " instead");
        }

        String user = config.getOrDefault(USER, config.getOrDefault(CONSOLE_USER, "devhost"));
        String password = config.remove(PASSWORD);
        System.clearProperty(PASSWORD);
        if (password == null) {
            password = System.getenv(PASSWORD_ENV); // unlike an argument, not shown to others by ps
        }
        boolean generated = password == null || password.isEmpty();
        if (generated) {
            byte[] bytes = new byte[12];
            random.nextBytes(bytes);
            password = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        }
        config.put(CONSOLE_USER, user);
        // The console's own Basic login stays registered (at the lowest ranking, below ours); give it
        // a password hash that no password has: 32 random bytes, not the digest of anything.
        byte[] nothing = new byte[32];
        random.nextBytes(nothing);
        config.put(CONSOLE_PASSWORD, "{sha-256}" + Base64.getEncoder().encodeToString(nothing));
        String providers = config.getOrDefault(CONSOLE_PROVIDERS, "").trim();
        if (!List.of(providers.split("\\s*,\\s*")).contains(PROVIDER_ID)) {
            config.put(CONSOLE_PROVIDERS, providers.isEmpty() ? PROVIDER_ID : providers + "," + PROVIDER_ID);
        }
        return new Login(user, password, generated, Credentials.derive(user, password, random));
    }

    /**
     * Hands the login to {@code org.devhost.web}: the {@link Credentials} as a {@code
     * java.util.function.BiPredicate} service with {@link #LOGIN_SERVICE}. Only the object knows the
     * hash; the service's properties (which the console shows) say nothing of it.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    static ServiceRegistration<?> register(BundleContext ctx, Login login) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(LOGIN_SERVICE, "pbkdf2");
        return ctx.registerService((Class) BiPredicate.class, login.credentials(), props);
    }

    /**
     * A size in bytes: digits, optionally followed by {@code k}, {@code m} or {@code g} (KiB, MiB,
     * GiB); null is {@link #DEFAULT_UPLOAD_MAX}.
     *
     * @throws IllegalArgumentException for anything else, or zero
     */
    static long size(String text) {
        if (text == null) {
            return DEFAULT_UPLOAD_MAX;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,18})([kKmMgG]?)").matcher(text.trim());
        long bytes = 0;
        if (m.matches()) {
            int shift = switch (m.group(2).toLowerCase(java.util.Locale.ROOT)) {
                case "k" -> 10;
                case "m" -> 20;
                case "g" -> 30;
                default -> 0;
            };
            try {
                bytes = Math.multiplyExact(Long.parseLong(m.group(1)), 1L << shift);
            } catch (ArithmeticException tooLarge) {
                bytes = 0;
            }
        }
        if (bytes <= 0) {
            throw new IllegalArgumentException(UPLOAD_MAX + "=" + text + " is not a size (bytes, or with k, m or g: 64m)");
        }
        return bytes;
    }

    /**
     * A user name and a salted, slow hash of the password (PBKDF2 with HMAC-SHA-256, {@value
     * #ITERATIONS} iterations, 16 random bytes of salt, the JDK's own implementation): what the
     * console's login asks, never the password. {@link #test} costs one derivation (a few hundred
     * milliseconds) whatever the user name, and compares in constant time; {@code org.devhost.web}
     * remembers a login that passed, so only new or wrong credentials pay that cost, and it slows
     * down wrong ones.
     *
     * <p>The hash is derived on a thread of its own, so that the start does not wait for it; a
     * login before it is ready waits for it. Thread-safe. {@link #toString} says what it is, never
     * the hash.
     */
    static final class Credentials implements BiPredicate<String, String> {
        static final String ALGORITHM = "PBKDF2WithHmacSHA256";
        static final int ITERATIONS = 600_000;
        private static final int BITS = 256;

        private final byte[] user;
        private final byte[] salt;
        private final CompletableFuture<byte[]> hash;

        private Credentials(String user, byte[] salt, CompletableFuture<byte[]> hash) {
            this.user = user.getBytes(StandardCharsets.UTF_8);
            this.salt = salt;
            this.hash = hash;
        }

        static Credentials derive(String user, String password, SecureRandom random) {
            byte[] salt = new byte[16];
            random.nextBytes(salt);
            char[] chars = password.toCharArray();
            CompletableFuture<byte[]> hash = new CompletableFuture<>();
            // a thread of its own, not the common pool: a bundle's long task there would hold up every login
            Thread derive = new Thread(() -> {
                try {
                    hash.complete(pbkdf2(chars, salt));
                } catch (Throwable t) {
                    hash.completeExceptionally(t);
                } finally {
                    Arrays.fill(chars, '\0');
                }
            }, "devhost-web-login");
            derive.setDaemon(true);
            derive.start();
            return new Credentials(user, salt, hash);
        }

        @Override
        public boolean test(String user, String password) {
            if (user == null || password == null) {
                return false;
            }
            char[] chars = password.toCharArray();
            try {
                byte[] tried = pbkdf2(chars, salt);
                // both compared every time, so that a wrong user name costs what a wrong password does
                boolean userMatches = MessageDigest.isEqual(this.user, user.getBytes(StandardCharsets.UTF_8));
                return MessageDigest.isEqual(hash.join(), tried) & userMatches;
            } finally {
                Arrays.fill(chars, '\0');
            }
        }

        private static byte[] pbkdf2(char[] password, byte[] salt) {
            PBEKeySpec spec = new PBEKeySpec(password, salt, ITERATIONS, BITS);
            try {
                return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK has no " + ALGORITHM, e);
            } finally {
                spec.clearPassword();
            }
        }

        @Override
        public String toString() {
            return "devhost web console login (" + ALGORITHM + ", " + ITERATIONS + " iterations, salted)";
        }
    }
}
