package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host as systemd's {@code Type=notify} service sees it, without systemd: the Debian package's
 * tree unpacked ({@code dpkg-deb -x}) and its {@code /usr/bin/devhost} started with {@code
 * NOTIFY_SOCKET} and {@code WATCHDOG_USEC}, and a Unix datagram socket of the
 * test's own standing in for systemd's (a Python 3 receiver, a real peer of another language; the
 * JDK has no datagram Unix socket). READY=1 comes once devfs holds the devices; the watchdog is
 * pinged; a driver whose thread is abandoned in its code (faulty, fault=hang, caught by the
 * supervisor's watchdog) holds the pings and STATUS says so; unloading it resumes them; STOPPING=1
 * comes at SIGTERM, as systemd stops a service.
 */
class ServiceNotifyIT {
    private static final Path ROOT = Path.of(System.getProperty("devhost.root", "..")).toAbsolutePath().normalize();
    /** A bound against a broken build, never a timing the test relies on. */
    private static final long BOUND_SECONDS = 120;
    private static final String RECEIVER = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
            "s.bind(sys.argv[1])",
            "print('listening', flush=True)",
            "while True:",
            "    print(s.recv(65536).decode('latin-1').replace('\\r', '|').replace('\\n', '|'), flush=True)");

    @TempDir
    Path tmp;

    private final BlockingQueue<String> datagrams = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();


    /** Takes datagrams until one matches; returns it. Every datagram taken is in {@link #seen}. */
    private String until(String what, Predicate<String> match) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (true) {
            String d = datagrams.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (d == null) {
                throw new AssertionError("no " + what + " within " + BOUND_SECONDS + " s; the host sent:\n" + String.join("\n", seen));
            }
            seen.add(d);
            if (match.test(d)) {
                return d;
            }
        }
    }

    /**
     * The stand-in for systemd's socket at {@code socket}: each datagram one line into {@link
     * #datagrams}, newlines shown as {@code |}, bytes as Latin-1 (the journal's length fields are binary).
     */
    private Process receiver(Path socket) throws IOException {
        Process receiver = new ProcessBuilder("python3", "-c", RECEIVER, socket.toString()).redirectErrorStream(true).start();
        BufferedReader lines = new BufferedReader(new InputStreamReader(receiver.getInputStream(), StandardCharsets.ISO_8859_1));
        assertEquals("listening", lines.readLine());
        Thread reader = new Thread(() -> {
            try {
                for (String l; (l = lines.readLine()) != null; ) {
                    datagrams.add(l);
                }
            } catch (IOException gone) {
                // the receiver ended
            }
        }, "itest-datagram-receiver");
        reader.setDaemon(true);
        reader.start();
        return receiver;
    }

    @Test
    void readyOnceDevicesAreFilesWatchdogHeldWhileAThreadIsStuckStoppingAtTheEnd() throws Exception {
        Needs.that(Needs.onPath("python3"), "no python3 on the PATH (apt-get install python3)");
        Needs.that(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: devfs cannot mount here");
        Path socket = tmp.resolve("notify");
        Process receiver = receiver(socket);

        // the host as the Debian package installs it: its tree unpacked, /usr/bin/devhost with the
        // package's defaults, the folders the service writes moved into this test's
        Path root = tmp.resolve("root");
        Path deb;
        try (Stream<Path> s = Files.list(ROOT.resolve("host/launcher/target"))) {
            deb = s.filter(p -> p.getFileName().toString().matches("devhost_.*_amd64\\.deb")).findFirst().orElseThrow();
        }
        Needs.that(Needs.onPath("dpkg-deb"), "no dpkg-deb (apt-get install dpkg)");
        Process unpack = new ProcessBuilder("dpkg-deb", "-x", deb.toString(), root.toString()).inheritIO().start();
        assertTrue(unpack.waitFor(BOUND_SECONDS, TimeUnit.SECONDS) && unpack.exitValue() == 0, "dpkg-deb -x " + deb);
        Path drivers = root.resolve("usr/lib/devhost/drivers");
        // faulty asks to run in a process of its own, where a hang ends with the process; this test
        // wants the hang in the host's process, where a thread stays stuck: the policy says so
        Path conf = root.resolve("etc/devhost/conf");
        Files.createDirectories(conf);
        Files.setPosixFilePermissions(conf, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path inProcess = conf.resolve("org.devhost.supervision-faulty.cfg");
        Files.writeString(inProcess, "module=faulty\nisolation=none\n");
        Files.setPosixFilePermissions(inProcess, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path mount = tmp.resolve("dev");
        ProcessBuilder pb = new ProcessBuilder(root.resolve("usr/bin/devhost").toString(), "org.osgi.framework.storage=" + tmp.resolve("cache"),
                "devhost.deploy=" + tmp.resolve("deploy"), "devhost.devfs.mount=" + mount, "devhost.admin.socket=" + tmp.resolve("admin.sock"))
                .directory(tmp.toFile()).redirectErrorStream(true);
        pb.environment().put("DEVHOST_HOME", root.resolve("usr/lib/devhost").toString());
        pb.environment().put("DEVHOST_ETC", root.resolve("etc/devhost").toString());
        pb.environment().put("NOTIFY_SOCKET", socket.toString());
        pb.environment().put("WATCHDOG_USEC", "400000"); // a ping every 200 ms
        Process host = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Drain drained = Drain.of(host.getInputStream(), out);
        OutputStream shell = host.getOutputStream();
        try {
            String ready = until("READY=1", d -> d.startsWith("READY=1|"));
            assertTrue(Files.exists(mount.resolve("scull0")) && Files.exists(mount.resolve("faulty")),
                    "READY=1 comes once devfs holds the devices: " + ready);
            assertTrue(ready.matches("READY=1\\|MAINPID=" + host.pid() + "\\|STATUS=\\d+ devices, 12 modules live"), ready);
            until("a first ping", "WATCHDOG=1"::equals);
            until("a second ping", "WATCHDOG=1"::equals);

            // faulty, reloaded to hang: a read sleeps in the driver for ever, ignoring interrupts
            String faultyJar;
            try (Stream<Path> s = Files.list(drivers)) {
                faultyJar = s.filter(p -> p.getFileName().toString().startsWith("org.devhost.drivers.faulty")).findFirst()
                        .orElseThrow().toString();
            }
            // the policy is read by hot deploy, the last thing the host starts: wait until it is applied
            long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
            while (!out.toString(StandardCharsets.UTF_8).contains("hot deploy applied " + inProcess)) {
                assertTrue(System.nanoTime() < bound, "the policy was not applied; the host said:\n" + out);
                shell.write("dev:dmesg\n".getBytes(StandardCharsets.UTF_8));
                shell.flush();
                int length = out.size();
                Await.until("dev:dmesg answers", () -> out.size() > length);
            }
            shell.write(("dev:rmmod faulty\ndev:insmod " + faultyJar + " fault=hang\n").getBytes(StandardCharsets.UTF_8));
            shell.flush();
            Await.until(() -> "faulty loaded again with fault=hang; the host said:\n" + out,
                    () -> out.toString(StandardCharsets.UTF_8).contains("faulty: loaded (bundle "));
            Process cat = new ProcessBuilder("cat", mount.resolve("faulty").toString()).redirectErrorStream(true).start();
            // the supervisor's watchdog (10 s) calls it a hang, restarts faulty and abandons the reader's thread
            String stuck = until("STATUS naming a stuck thread", d -> d.startsWith("STATUS=") && d.contains("1 thread stuck"));
            assertTrue(stuck.contains("1 restart"), "STATUS says the module restarted: " + stuck);
            cat.toHandle().destroyForcibly();
            int from = seen.size();
            for (int held = 0; held < 3; ) {
                held += until("a held ping", d -> d.equals("X_DEVHOST_WATCHDOG=held") || d.equals("WATCHDOG=1"))
                        .equals("X_DEVHOST_WATCHDOG=held") ? 1 : 0;
            }
            List<String> whileStuck = seen.subList(from, seen.size());
            assertFalse(whileStuck.contains("WATCHDOG=1"), "no ping while a thread is stuck in a driver: " + whileStuck);

            shell.write("dev:rmmod faulty\n".getBytes(StandardCharsets.UTF_8)); // its thread is no module's now
            shell.flush();
            until("pings again", "WATCHDOG=1"::equals);

            host.toHandle().destroy(); // SIGTERM, as systemd stops a service
            until("STOPPING=1", "STOPPING=1"::equals);
            assertTrue(host.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), "the host ends:\n" + out);
            drained.get(10, TimeUnit.SECONDS);
        } finally {
            if (host.isAlive()) {
                host.toHandle().destroy();
                host.waitFor(30, TimeUnit.SECONDS);
            }
            receiver.destroyForcibly();
        }
    }

    /**
     * The journal's native socket, stood in for by the same kind of receiver: started as systemd
     * starts it ({@code JOURNAL_STREAM} set), the host sends every log entry with its PRIORITY and
     * DEVHOST_ fields; a driver crash (faulty, fault=oops, written to until the supervisor calls it
     * a crash) is an entry at priority 3 with DEVHOST_EVENT=CRASHED and DEVHOST_MODULE=faulty, so
     * {@code journalctl -u devhost -p err} shows it; a device added carries its name and numbers.
     */
    @Test
    void theLogGoesToTheJournalWithPrioritiesAndFieldsAndADriverCrashIsAnError() throws Exception {
        Needs.that(Needs.onPath("python3"), "no python3 on the PATH (apt-get install python3)");
        Path socket = tmp.resolve("journal");
        Process receiver = receiver(socket);
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("devhost").toString(), "org.osgi.framework.storage=" + tmp.resolve("cache"),
                "devhost.deploy=" + tmp.resolve("deploy"), "devhost.conf=" + tmp.resolve("conf"), "devhost.devfs=off",
                "devhost.journal.socket=" + socket)
                .directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("DEVHOST_NO_BUILD", "1");
        pb.environment().put("JOURNAL_STREAM", "8:4242"); // what systemd sets when stdout is the journal
        Process host = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Drain drained = Drain.of(host.getInputStream(), out);
        OutputStream shell = host.getOutputStream();
        try {
            String added = until("scull0 added", d -> d.contains("DEVHOST_EVENT=ADDED") && d.contains("DEVHOST_DEVICE=scull0|"));
            assertTrue(added.contains("PRIORITY=6|") && added.contains("DEVHOST_MODULE=scull|") && added.contains("DEVHOST_MAJOR=")
                    && added.contains("DEVHOST_MINOR=0|") && added.contains("SYSLOG_IDENTIFIER=devhost|"), added);

            String faultyJar;
            try (Stream<Path> s = Files.list(ROOT.resolve("host/launcher/target/devhost/drivers"))) {
                faultyJar = s.filter(p -> p.getFileName().toString().startsWith("org.devhost.drivers.faulty")).findFirst()
                        .orElseThrow().toString();
            }
            StringBuilder commands = new StringBuilder("dev:rmmod faulty\ndev:insmod " + faultyJar + " fault=oops\n");
            for (int i = 0; i < 5; i++) {
                commands.append("dev:write faulty x\n"); // each a NullPointerException in the driver: EIO, a fault
            }
            shell.write(commands.toString().getBytes(StandardCharsets.UTF_8));
            shell.flush();
            String crash = until("faulty's crash", d -> d.contains("DEVHOST_EVENT=CRASHED"));
            assertTrue(crash.contains("PRIORITY=3|") && crash.contains("DEVHOST_MODULE=faulty|"), crash);
            String fault = seen.stream().filter(d -> d.contains("DEVHOST_MODULE=faulty|") && d.contains("PRIORITY=3|")
                    && d.contains("NullPointerException")).findFirst().orElse(null);
            assertTrue(fault != null, "the faults themselves are errors of faulty's: " + String.join("\n", seen));
            shell.close();
            assertTrue(host.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), "the host ends:\n" + out);
            drained.get(10, TimeUnit.SECONDS);
        } finally {
            if (host.isAlive()) {
                host.toHandle().destroy();
                host.waitFor(30, TimeUnit.SECONDS);
            }
            receiver.destroyForcibly();
        }
    }

    /**
     * devfs that cannot mount (its mount point is a file) leaves systemd waiting for no READY=1
     * that never comes: the host says why in STATUS= with ERRNO= and exits with status 1 at once,
     * so the start fails with the reason in {@code systemctl status}, not at TimeoutStartSec.
     */
    @Test
    void aHostWhoseDevfsCannotMountFailsItsStartAtOnceAndSaysWhy() throws Exception {
        Needs.that(Needs.onPath("python3"), "no python3 on the PATH (apt-get install python3)");
        Needs.that(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: devfs cannot mount here");
        Path socket = tmp.resolve("notify");
        Process receiver = receiver(socket);
        Path notAFolder = tmp.resolve("dev");
        Files.writeString(notAFolder, "a file, not a folder\n");
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("devhost").toString(), "org.osgi.framework.storage=" + tmp.resolve("cache"),
                "devhost.deploy=" + tmp.resolve("deploy"), "devhost.conf=" + tmp.resolve("conf"),
                "devhost.devfs.mount=" + notAFolder, "--no-shell")
                .directory(ROOT.toFile()).redirectErrorStream(true);
        pb.environment().put("DEVHOST_NO_BUILD", "1");
        pb.environment().put("NOTIFY_SOCKET", socket.toString());
        Process host = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Drain drained = Drain.of(host.getInputStream(), out);
        try {
            String status = until("STATUS with the reason", d -> d.startsWith("STATUS="));
            assertTrue(status.startsWith("STATUS=devfs is not mounted at " + notAFolder + ": ") && status.matches(".*\\|ERRNO=\\d+"),
                    status);
            assertTrue(host.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), "the host exits:\n" + out);
            drained.get(10, TimeUnit.SECONDS);
            assertEquals(1, host.exitValue(), out.toString(StandardCharsets.UTF_8));
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("devhost: cannot start as a service: devfs is not mounted at "),
                    out.toString(StandardCharsets.UTF_8));
            datagrams.drainTo(seen);
            assertFalse(seen.stream().anyMatch(d -> d.startsWith("READY=1")), "no READY=1: " + seen);
            assertEquals("a file, not a folder\n", Files.readString(notAFolder), "the file is left as it was");
        } finally {
            if (host.isAlive()) {
                host.toHandle().destroy();
                host.waitFor(30, TimeUnit.SECONDS);
            }
            receiver.destroyForcibly();
        }
    }
}
