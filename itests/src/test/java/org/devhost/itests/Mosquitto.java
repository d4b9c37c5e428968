package org.devhost.itests;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A Mosquitto broker of the test's own: a config file it writes (one listener on a free loopback
 * port, no persistence), started as a child process, never as a service. {@link #stop} and {@link
 * #start} again keep the port, so clients configured for it find the broker back (the broker
 * restart the fleet tests make). Every wait is bounded. Not thread-safe: one test drives it.
 */
final class Mosquitto implements AutoCloseable {
    private static final long BOUND_SECONDS = 30;

    private final Path dir;
    private final int port;
    private final Path config;
    private final Path log;
    private final boolean tls;
    private Process process;

    /** Writes the config in {@code dir}, anyone may connect; the broker is not started yet. */
    Mosquitto(Path dir) throws IOException {
        this(dir, null);
    }

    /**
     * Writes the config in {@code dir}; with {@code passwordFile} (made by {@code mosquitto_passwd})
     * only its users may connect. The broker is not started yet.
     */
    Mosquitto(Path dir, Path passwordFile) throws IOException {
        this(dir, passwordFile == null ? "allow_anonymous true\n" : "allow_anonymous false\npassword_file " + passwordFile + "\n",
                false);
    }

    private Mosquitto(Path dir, String listenerLines, boolean tls) throws IOException {
        this.dir = dir;
        this.port = freePort();
        this.tls = tls;
        this.config = dir.resolve("mosquitto.conf");
        this.log = dir.resolve("mosquitto.log");
        Files.writeString(config, "listener " + port + " 127.0.0.1\n"
                + listenerLines
                + "persistence false\n"
                // as root, Mosquitto would switch to a "mosquitto" user; stay the test's user
                + "user " + System.getProperty("user.name") + "\n");
    }

    /**
     * A TLS-only broker as README.md's "Fleet" section configures one: the server certificate
     * {@code cert}/{@code key}, clients must present a certificate of {@code ca}
     * ({@code require_certificate}), whose CN is their user name ({@code use_identity_as_username}),
     * and {@code aclFile} says what each may publish and read. Not started yet.
     */
    static Mosquitto tls(Path dir, Path ca, Path cert, Path key, Path aclFile) throws IOException {
        return new Mosquitto(dir, "cafile " + ca + "\ncertfile " + cert + "\nkeyfile " + key + "\n"
                + "require_certificate true\nuse_identity_as_username true\nallow_anonymous false\n"
                + "acl_file " + aclFile + "\n"
                + "log_type error\nlog_type warning\nlog_type notice\nlog_type information\nlog_type debug\n", true);
    }

    /** The broker's program: on the PATH, or where Debian's package puts it ({@code /usr/sbin}, not on every user's PATH). */
    static Path binary() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "mosquitto"))) {
                return Path.of(dir, "mosquitto");
            }
        }
        Path debian = Path.of("/usr/sbin/mosquitto");
        return Files.isExecutable(debian) ? debian : null;
    }

    /**
     * A password file for {@code user} with {@code password}, hashed by {@code mosquitto_passwd}
     * (Mosquitto's own tool, beside the broker), owner-only.
     */
    static Path passwordFile(Path dir, String user, String password) throws Exception {
        Path file = dir.resolve("passwords");
        Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Path tool = binary().resolveSibling("mosquitto_passwd");
        if (!Files.isExecutable(tool)) {
            tool = Path.of("/usr/bin/mosquitto_passwd");
        }
        Process p = new ProcessBuilder(tool.toString(), "-b", file.toString(), user, password).redirectErrorStream(true).start();
        if (!p.waitFor(BOUND_SECONDS, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError("mosquitto_passwd failed: " + new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        return file;
    }

    String url() {
        return (tls ? "ssl" : "tcp") + "://127.0.0.1:" + port;
    }

    /** Starts the broker and waits until it accepts connections. */
    void start() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running");
        }
        process = new ProcessBuilder(binary().toString(), "-c", config.toString()).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return;
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    throw new AssertionError("mosquitto ended at its start; its log:\n" + log());
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("mosquitto did not listen on " + port + " within " + BOUND_SECONDS + " s; its log:\n" + log());
                }
                Thread.sleep(20);
            }
        }
    }

    /** Stops the broker (SIGTERM, as a service manager would) and waits for it to end. */
    void stop() throws Exception {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(BOUND_SECONDS, TimeUnit.SECONDS);
        }
    }

    String log() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    @Override
    public void close() throws Exception {
        stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
