package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's run command, end to end: {@code ./devhost} with commands piped on stdin, as a user
 * would type them, and the printed output checked. Every run is bounded: a host that does not stop
 * is killed and the test fails with what it printed.
 */
class DevhostScriptIT {
    private static final Path ROOT = Path.of(System.getProperty("devhost.root", "..")).toAbsolutePath().normalize();
    private static final long BOUND_SECONDS = 90;

    @TempDir
    Path tmp;

    /** A host process whose output is collected on a thread of its own, so that no read can hang the test. */
    private static final class Host {
        final Process process;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final Drain drained;

        /** @param own where this host keeps its cache, deploy/ and conf/: never the checkout's own */
        Host(Path own, String commands, String... args) throws IOException {
            this(own, ROOT, commands, args);
        }

        /** @param cwd the directory the script is started in */
        Host(Path own, Path cwd, String commands, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("devhost").toString(),
                    "org.osgi.framework.storage=" + own.resolve("cache"), "devhost.deploy=" + own.resolve("deploy"),
                    "devhost.conf=" + own.resolve("conf"), "devhost.devfs=off"));
            cmd.addAll(List.of(args)); // later name=value arguments win
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true);
            pb.environment().put("DEVHOST_NO_BUILD", "1"); // the reactor built it already
            process = pb.start();
            drained = Drain.of(process.getInputStream(), out);
            if (commands != null) {
                process.getOutputStream().write(commands.getBytes(StandardCharsets.UTF_8));
                process.getOutputStream().close(); // end of input stops the host
            }
        }

        String output() {
            synchronized (out) {
                return out.toString(StandardCharsets.UTF_8);
            }
        }

        /** Waits for the exit within the bound; kills the host and fails when it does not come. */
        String exit(int expected) throws Exception {
            if (!process.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the host did not stop within " + BOUND_SECONDS + " s; it printed:\n" + output());
            }
            drained.get(10, TimeUnit.SECONDS);
            assertEquals(expected, process.exitValue(), output());
            return output();
        }
    }

    /**
     * devfs outlives a host killed with SIGKILL: the next host on the same mount point detaches the
     * stale mount ("Transport endpoint is not connected") and serves again; a host that stops
     * normally (SIGTERM) leaves no mount behind.
     */
    @Test
    void devfsMountWorksAgainAfterTheHostIsKilled() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "devfs needs /dev/fuse, which this machine lacks");
        assumeTrue("root".equals(System.getProperty("user.name")), "devfs tests mount as root; this user is not root");
        Path mnt = Path.of("/tmp/devhost-itest-script-" + ProcessHandle.current().pid() + "-" + System.nanoTime(), "dev");
        String[] args = {"devhost.devfs=on", "devhost.devfs.mount=" + mnt, "--no-shell"};
        Host first = new Host(tmp.resolve("one"), null, args);
        try {
            awaitOutput(first, "devices are files under " + mnt);
            awaitFile(first, mnt.resolve("zero"));
            assertEquals(" 00 00 00\n", shell("head -c 3 " + mnt + "/zero | od -An -tx1"));
        } finally {
            first.process.destroyForcibly().waitFor(BOUND_SECONDS, TimeUnit.SECONDS); // SIGKILL
        }
        assertTrue(shell("stat " + mnt + "/zero 2>&1; true").contains("Transport endpoint is not connected"));

        Host second = new Host(tmp.resolve("two"), null, args);
        try {
            awaitOutput(second, "devices are files under " + mnt);
            awaitFile(second, mnt.resolve("zero"));
            assertEquals(" 00 00 00\n", shell("head -c 3 " + mnt + "/zero | od -An -tx1"));
            second.process.destroy(); // SIGTERM: the framework stops and devfs unmounts
            assertTrue(second.process.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), second.output());
        } finally {
            second.process.destroyForcibly();
        }
        try {
            assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mnt + " "), "mount left behind");
        } finally {
            shell("umount -l " + mnt + " 2>/dev/null; rm -rf " + mnt.getParent());
        }
    }

    /**
     * A driver whose drop never returns cannot keep the host from stopping, nor leave devfs
     * mounted: at SIGTERM devfs stops first (it unmounts), and past devhost.stop.timeout.ms the
     * host says which bundle did not stop and ends.
     */
    @Test
    void aDriverStuckInItsDropNeitherHoldsTheStopNorLeavesTheMount() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "devfs needs /dev/fuse, which this machine lacks");
        assumeTrue("root".equals(System.getProperty("user.name")), "devfs tests mount as root; this user is not root");
        Path mnt = Path.of("/tmp/devhost-itest-stuck-" + ProcessHandle.current().pid() + "-" + System.nanoTime(), "dev");
        String stuck = HostOptions.testDriver("itest_stuck", org.devhost.itests.drivers.StuckLifecycle.class);
        Host host = new Host(tmp, (String) null, "devhost.devfs=on", "devhost.devfs.mount=" + mnt, "--no-shell",
                "-J-Ditest.stuck.drop.forever=true", "devhost.stop.timeout.ms=3000", stuck);
        try {
            awaitOutput(host, "devices are files under " + mnt);
            awaitFile(host, mnt.resolve("itest_stuck"));
            awaitOutput(host, "devhost: running without a shell");
            // SIGTERM through the handle: Process.destroy() also closes our end of its output,
            // and what the host says while it stops would be lost
            host.process.toHandle().destroy();
            assertTrue(host.process.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), "the host did not end: " + host.output());
            host.drained.get(10, TimeUnit.SECONDS);
            assertTrue(host.output().contains("devhost: the host did not stop within 3 s"),
                    "exit " + host.process.exitValue() + ": " + host.output());
            assertTrue(host.output().contains("still stopping: org.devhost.itests.itest_stuck (bundle "), host.output());
            assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mnt + " "), "mount left behind");
        } finally {
            host.process.destroyForcibly();
            shell("umount -l " + mnt + " 2>/dev/null; rm -rf " + mnt.getParent());
        }
    }

    /**
     * A host that is not root mounts devfs through the setuid fusermount3 (Debian's fuse3), which
     * passes the /dev/fuse descriptor back over a socket; stopping the host unmounts through it.
     * Runs the host as nobody; needs /dev/fuse open to others (Debian's default, 0666).
     */
    @Test
    void aHostThatIsNotRootMountsThroughFusermount3() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "switching to nobody needs root");
        Needs.that(Files.isExecutable(Path.of("/usr/bin/fusermount3")), "no /usr/bin/fusermount3 (apt-get install fuse3)");
        Needs.that(Files.exists(Path.of("/dev/fuse")) && Files.getPosixFilePermissions(Path.of("/dev/fuse"))
                .contains(java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE),
                "/dev/fuse is not open to other users here (mode " + (Files.exists(Path.of("/dev/fuse"))
                        ? PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of("/dev/fuse"))) : "absent")
                        + "), so fusermount3 cannot open it for nobody");
        Path own = Files.createTempDirectory(Path.of("/tmp"), "devhost-itest-nobody-");
        Path mnt = own.resolve("run/devhost/dev");
        Files.createDirectories(own.resolve("run"));
        shell("chown -R 65534:65534 " + own);
        List<String> cmd = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env",
                "XDG_RUNTIME_DIR=" + own.resolve("run"), "HOME=" + own, "DEVHOST_NO_BUILD=1", ROOT.resolve("devhost").toString(),
                "org.osgi.framework.storage=" + own.resolve("cache"), "devhost.deploy=" + own.resolve("deploy"),
                "devhost.conf=" + own.resolve("conf"), "--no-shell");
        Process p = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Drain drained = Drain.of(p.getInputStream(), out);
        try {
            // without allow_other only the mounting user reaches the files, so look as nobody
            String asNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups stat -c '%U %G' " + mnt + "/zero 2>&1";
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
            String seen;
            while (!(seen = shell(asNobody)).equals("nobody nogroup\n")) {
                assertTrue(p.isAlive() && System.nanoTime() < end, "no devfs as nobody: " + seen + out);
                Thread.sleep(100);
            }
            assertTrue(Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mnt + " "));
            p.destroy(); // SIGTERM: the framework stops and fusermount3 -u unmounts
            assertTrue(p.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), out.toString());
            drained.get(10, TimeUnit.SECONDS);
            assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mnt + " "), "mount left behind");
        } finally {
            p.destroyForcibly();
            shell("umount -l " + mnt + " 2>/dev/null; rm -rf " + own);
        }
    }

    private static void awaitOutput(Host host, String text) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (!host.output().contains(text)) {
            if (System.nanoTime() > end || !host.process.isAlive()) {
                host.process.destroyForcibly();
                throw new AssertionError("no '" + text + "' from the host; it printed:\n" + host.output());
            }
            Thread.sleep(50);
        }
    }

    /** devfs mounts before the drivers start: a device's file comes a moment after the message. */
    private static void awaitFile(Host host, Path file) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (!Files.exists(file)) {
            if (System.nanoTime() > end || !host.process.isAlive()) {
                host.process.destroyForcibly();
                throw new AssertionError("no " + file + "; the host printed:\n" + host.output());
            }
            Thread.sleep(50);
        }
    }

    private static String shell(String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(script + " did not end within 30 s");
        }
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private String run(String commands, String... args) throws Exception {
        return new Host(tmp, commands, args).exit(0);
    }

    private static String sculljar() throws IOException {
        try (Stream<Path> s = Files.list(ROOT.resolve("host/launcher/target/devhost/drivers"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("org.devhost.drivers.scull")).findFirst()
                    .orElseThrow().toString();
        }
    }

    @Test
    void loadLookTalkAndUnloadFromPipedCommands() throws Exception {
        String out = run(String.join("\n",
                "dev:rmmod scull",
                "dev:insmod " + sculljar() + " scull_quantum=8",
                "dev:ls 'scull?'",
                "dev:write scull0 hello devhost",
                "dev:cat scull0",
                "dev:ioctl scull0 0x6b07",
                "dev:ioctl scull0 NOPE",
                "dev:rmmod scull",
                "dev:ls 'scull*'",
                ""));
        assertTrue(out.contains("scull: loaded (bundle "), out);
        assertTrue(out.matches("(?s).*scull0 +char +crw-rw-r-- +\\d+:0 +scull +0 +open,read,write,seek,ioctl.*"), out);
        assertTrue(out.contains("hello devhost"), out);
        assertTrue(out.contains("ioctl 0x6b07 (_IO('k', 0x7)) on /dev/scull0: returned 8"), out);
        assertTrue(out.contains("dev:ioctl: unknown command 'NOPE'"), out);
        assertTrue(out.contains("(EINVAL)"), out);
        String last = out.substring(out.lastIndexOf("g! NAME"));
        assertTrue(last.startsWith("g! NAME  TYPE  MODE  DEVICE  MODULE  OPEN  OPS\n"), last);
        assertTrue(out.contains("gosh: stopping shell and framework"), out);
    }

    /**
     * Piped commands run from any directory, the distribution's own too: Gogo reads the console
     * profile of the directory it starts in, and the one there (Tab completion for the JLine
     * console) made the plain shell fail before reading its input, so the host never stopped.
     */
    @Test
    void pipedCommandsRunAndEndTheHostFromTheDistributionsOwnDirectory() throws Exception {
        Path dist = ROOT.resolve("host/launcher/target/devhost");
        assertTrue(Files.exists(dist.resolve("etc/gosh_profile")), "the distribution has its JLine profile");
        String out = new Host(tmp, dist, "dev:ls rust_chrdev1\n").exit(0);
        assertTrue(out.matches("(?s).*rust_chrdev1 +char .*"), out);
        assertFalse(out.contains("Command not found"), out);
        assertTrue(out.contains("gosh: stopping shell and framework"), out);
    }

    @Test
    void theFirstDriverGetsMajor254AndStopStartBringsItBack() throws Exception {
        // Felix's start takes a bundle id: ask for it first (every run installs in the same order)
        java.util.regex.Matcher id = java.util.regex.Pattern.compile("\\n +(\\d+)\\|Active +\\|.*driver: rust_chrdev ")
                .matcher(run("lb rust_chrdev\n"));
        assertTrue(id.find(), "no rust_chrdev in lb");
        String[] steps = run("dev:ls 'rust_chrdev*'\ndev:majors\nstop " + id.group(1) + "\ndev:ls 'rust_chrdev*'\n"
                + "dev:majors\nstart " + id.group(1) + "\ndev:ls 'rust_chrdev*'\ndev:majors\n").split("g! ");
        // steps: banner, ls, majors, stop, ls, majors, start, ls, majors, end
        assertTrue(steps[1].contains("rust_chrdev0  char  crw-------  254:0   rust_chrdev     0  open"), steps[1]);
        assertTrue(steps[2].contains("254 rust_chrdev"), steps[2]);
        assertTrue(!steps[4].contains("rust_chrdev0") && !steps[5].contains("254 rust_chrdev"), steps[4] + steps[5]);
        assertTrue(steps[7].contains("rust_chrdev0  char  crw-------  254:0   rust_chrdev     0  open"), steps[7]);
        assertTrue(steps[8].contains("254 rust_chrdev"), steps[8]);
    }

    /**
     * ./devhost runs on the JDK that JAVA_HOME names (the one running these tests: Maven's), and
     * on JDK 22+ the FFM HAL serves (the distribution built by this JDK has it); on 17, JNA. On
     * JDK 24+ the JVM's warnings about Felix's use of sun.misc.Unsafe are not shown.
     */
    @Test
    void theHostRunsOnJavaHomesJdkWithItsFastestHal() throws Exception {
        int feature = Runtime.version().feature();
        String out = run("dev:hal\n");
        assertTrue(out.contains("devhost on JDK " + feature + "."), out);
        String serving = feature >= 22 ? "* ffm" : "* jna";
        assertTrue(out.contains("\n" + serving + " "), "want '" + serving + "' in:\n" + out);
        assertFalse(out.contains("sun.misc.Unsafe"), out);
        assertFalse(out.contains("this distribution was built on JDK"), out);
    }

    /** name=value reaches the framework, an extra .jar loads as a driver. */
    @Test
    void argumentsSetPropertiesAndLoadExtraDrivers() throws Exception {
        String extra = Path.of(java.net.URI.create(HostOptions.countingDriver(1))).toString();
        String out = run("($.context) getProperty devhost.itest.word\ndev:lsmod\n", "devhost.itest.word=hello-42", extra);
        assertTrue(out.contains("g! hello-42"), out);
        assertTrue(out.matches("(?s).*\nitest_counting +\\d+  live +0  0.*"), out);
    }

    /**
     * --no-shell: end of input does not stop the host; it runs until it is stopped. Alive is
     * checked after the host has done work that came later than the closed input: a driver
     * dropped into deploy/ after the banner is loaded (FileInstall's next scan) and shows in the
     * web console's modules.json.
     */
    @Test
    void withoutAShellTheHostRunsUntilStopped() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Host host = new Host(tmp, "", "--no-shell", "--web", "devhost.web.port=" + port);
        long pid = host.process.pid();
        Await.until(() -> "the no-shell line, have:\n" + host.output(),
                () -> host.output().contains("devhost: running without a shell (process "));
        java.util.regex.Matcher console = java.util.regex.Pattern.compile(
                "devhost: web console at (\\S+)/system/console/devices, user (\\S+), password (\\S+) \\(generated")
                .matcher(host.output());
        assertTrue(console.find(), host.output());
        Path deploy = tmp.resolve("deploy");
        Files.createDirectories(deploy);
        Path jar = Path.of(java.net.URI.create(HostOptions.countingDriver(1)));
        Files.copy(jar, deploy.resolve("part"));
        Files.move(deploy.resolve("part"), deploy.resolve("itest_counting.jar"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest modules = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(console.group(1) + "/system/console/modules.json"))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                        (console.group(2) + ":" + console.group(3)).getBytes(StandardCharsets.UTF_8))).build();
        Await.until(() -> "itest_counting hot-deployed after the input closed; the host printed:\n" + host.output(),
                () -> {
                    if (!host.process.isAlive()) {
                        throw new AssertionError("the host ended by itself; it printed:\n" + host.output());
                    }
                    try {
                        return http.send(modules, java.net.http.HttpResponse.BodyHandlers.ofString()).body()
                                .contains("itest_counting");
                    } catch (IOException e) {
                        return false; // the port is not open yet
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                });
        assertTrue(host.process.isAlive(), "closed stdin did not stop it");
        host.process.destroy(); // SIGTERM: the JVM shuts down
        assertTrue(host.process.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), "SIGTERM stops it");
        assertTrue(host.output().contains("kill " + pid), host.output());
    }

    /** A deploy folder that others can write turns hot deploy off; the host still runs and says why. */
    @Test
    void aWorldWritableDeployFolderTurnsHotDeployOff() throws Exception {
        Path deploy = Files.createDirectory(tmp.resolve("deploy"));
        Files.setPosixFilePermissions(deploy, PosixFilePermissions.fromString("rwxrwxrwx"));
        String out = run("lb fileinstall\n", "devhost.deploy=" + deploy);
        assertTrue(out.contains("devhost: hot deploy is off: " + deploy + " is writable by every user (chmod o-w"), out);
        assertTrue(out.matches("(?s).*\\|Installed +\\|.*File Install.*") || out.matches("(?s).*\\|Resolved +\\|.*File Install.*"),
                "FileInstall is not started: " + out);
    }

    /** A storage folder that is not the host's is refused before anything in it is touched. */
    @Test
    void aStorageFolderThatIsNotTheHostsIsRefused() throws Exception {
        Path home = Files.createDirectory(tmp.resolve("home"));
        Path precious = Files.writeString(home.resolve("notes.txt"), "mine");
        String out = new Host(tmp, "", "org.osgi.framework.storage=" + home).exit(2);
        assertTrue(out.contains("is not empty and was not made by devhost"), out);
        assertEquals("mine", Files.readString(precious));
    }

    /**
     * A driver jar named on the command line as a URL follows dev:insmod's rule: without its
     * SHA-256 pinned it is not even fetched (the host says why and runs without it), with a wrong
     * one it is fetched and refused, and with the right one ({@code --sha256 HEX} before it, or
     * {@code --sha256=HEX}) it loads. The jar is served by a server of the test's on loopback.
     */
    @Test
    void aDriverJarFromAUrlLoadsOnlyWithItsSha256Pinned() throws Exception {
        byte[] jar = Files.readAllBytes(Path.of(java.net.URI.create(HostOptions.countingDriver(1))));
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(jar));
        java.util.concurrent.atomic.AtomicInteger fetched = new java.util.concurrent.atomic.AtomicInteger();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/itest_counting.jar", exchange -> {
            fetched.incrementAndGet();
            exchange.sendResponseHeaders(200, jar.length);
            try (java.io.OutputStream body = exchange.getResponseBody()) {
                body.write(jar);
            }
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/itest_counting.jar";
            String loadedLine = "(?s).*\nitest_counting +\\d+  live +0  0.*";

            String unpinned = run("dev:lsmod\n", url);
            assertTrue(unpinned.contains("devhost: not loading " + url + ": a jar from a URL loads only with its SHA-256"
                    + " pinned (EACCES)"), unpinned);
            assertTrue(unpinned.contains("--sha256 <hex> " + url), unpinned);
            assertFalse(unpinned.matches(loadedLine), unpinned);
            assertEquals(0, fetched.get(), "an unpinned URL is not fetched");

            String wrong = run("dev:lsmod\n", "--sha256=" + "0".repeat(64), url);
            assertTrue(wrong.contains("devhost: not loading " + url + ": its SHA-256 is " + sha + ", not the pinned "
                    + "0".repeat(64) + " (EACCES)"), wrong);
            assertFalse(wrong.matches(loadedLine), wrong);

            String pinned = run("dev:lsmod\n", "--sha256", sha, url);
            assertTrue(pinned.matches(loadedLine), pinned);
            assertFalse(pinned.contains("not loading"), pinned);
        } finally {
            server.stop(0);
        }
    }

    /** A jar with parameters that is not there is a clear error, not a framework property named after it. */
    @Test
    void aJarWithParametersThatIsNotThereIsRefusedSayingSo() throws Exception {
        String out = new Host(tmp, "", "/nowhere/counter.jar:start=3").exit(2);
        assertTrue(out.contains("devhost: no driver jar in '/nowhere/counter.jar:start=3'") && out.contains("(ENOENT)"), out);
    }
}
