package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The running host's shell over its admin socket ({@code devhost shell}, {@code devhost
 * dev:lsmod}): a host started with {@code devhost.admin.socket} and {@code devhost.admin.group},
 * and the launcher's {@code AdminClient} run as root and, with {@code setpriv}, as {@code nobody}
 * with and without the group. Root is answered with the command's status; a user in the group by
 * its primary group is too; one that reaches the socket file only through a supplementary group
 * the host does not count is refused by its credentials (SO_PEERCRED, EACCES); one without the
 * group cannot open the file at all.
 */
class AdminSocketIT {
    private static final Path ROOT = Path.of(System.getProperty("devhost.root", "..")).toAbsolutePath().normalize();
    private static final long BOUND_SECONDS = 60;

    @TempDir
    Path tmp;

    private record Result(int code, String output) {}

    private Result client(Path socket, String stdin, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("DEVHOST_ADMIN_SOCKET", socket.toString());
        Process p = pb.start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), "the client ends: " + out);
        return new Result(p.exitValue(), out);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    @Test
    void rootAndTheGroupGetTheShellOthersAreRefused() throws Exception {
        Needs.that("root".equals(System.getProperty("user.name")), "not root: setpriv needs root");
        Needs.that(Files.isExecutable(Path.of("/usr/bin/setpriv")), "no setpriv (apt-get install util-linux)");
        // nobody must reach the socket's folder: the test's own is 0700
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path socket = tmp.resolve("admin.sock");
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("devhost").toString(), "--no-shell", "org.osgi.framework.storage=" + tmp.resolve("cache"),
                "devhost.deploy=" + tmp.resolve("deploy"), "devhost.conf=" + tmp.resolve("conf"), "devhost.devfs=off",
                "devhost.admin.socket=" + socket, "devhost.admin.group=daemon").redirectErrorStream(true);
        pb.environment().put("DEVHOST_NO_BUILD", "1");
        Process host = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Drain drained = Drain.of(host.getInputStream(), out);
        try {
            Await.until(() -> "the admin socket at " + socket + "; the host said:\n" + out, () -> Files.exists(socket));
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
            assertEquals("daemon", Files.getAttribute(socket, "posix:group").toString());
            String jar = ROOT.resolve("host/launcher/target/devhost/lib/devhost.jar").toString();
            String[] client = {java(), "-cp", jar, "org.devhost.launcher.AdminClient"};

            // the socket opens with the infrastructure, before the drivers: ask until scull is there
            Result[] last = new Result[1];
            Await.until(() -> "scull live in dev:lsmod through the socket, have: " + (last[0] == null ? "nothing" : last[0].output()),
                    () -> {
                        try {
                            last[0] = client(socket, "", concat(client, "dev:lsmod"));
                            return last[0].output().contains("\nscull ");
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    });
            Result lsmod = last[0];
            assertEquals(0, lsmod.code(), lsmod.output());
            assertTrue(lsmod.output().matches("(?s)Module +Size +State.*\nscull +\\d+  live +0  0.*"), lsmod.output());
            Result fails = client(socket, "", concat(client, "dev:rmmod", "nope"));
            assertEquals(1, fails.code(), "a command that fails gives status 1: " + fails.output());
            assertTrue(fails.output().contains("(ENOENT)"), fails.output());
            Result typed = client(socket, "dev:ls scull0\ndev:health\n", client);
            assertEquals(0, typed.code(), typed.output());
            assertTrue(typed.output().contains("scull0  char") && typed.output().contains("healthy:"), "lines typed, answered: " + typed.output());

            Result member = client(socket, "", concat(new String[] {"setpriv", "--reuid=nobody", "--regid=daemon", "--clear-groups"},
                    concat(client, "dev:health")));
            assertEquals(0, member.code(), "a member of the group by its primary group: " + member.output());
            Result sneaking = client(socket, "", concat(new String[] {"setpriv", "--reuid=nobody", "--regid=nogroup", "--groups=daemon"},
                    concat(client, "dev:lsmod")));
            assertEquals(13, sneaking.code(), sneaking.output());
            assertTrue(sneaking.output().contains("nobody is neither (EACCES)"), "refused by its credentials: " + sneaking.output());
            Result outsider = client(socket, "", concat(new String[] {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"},
                    concat(client, "dev:lsmod")));
            assertEquals(2, outsider.code(), outsider.output());
            assertTrue(outsider.output().contains("Permission denied (EACCES)"), "the socket file keeps it out: " + outsider.output());
        } finally {
            host.toHandle().destroy(); // SIGTERM: the framework stops, the socket goes
            assertTrue(host.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), "the host stops:\n" + out);
            drained.get(10, TimeUnit.SECONDS);
        }
        assertTrue(Files.notExists(socket), "the socket goes with the host");
    }

    /** A group that does not exist: the admin shell does not start, says why with ENOENT, and leaves no socket file. */
    @Test
    void aGroupThatDoesNotExistIsRefusedAndLeavesNothing() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("devhost").toString(), "org.osgi.framework.storage=" + tmp.resolve("cache"),
                "devhost.deploy=" + tmp.resolve("deploy"), "devhost.conf=" + tmp.resolve("conf"), "devhost.devfs=off",
                "devhost.admin.socket=" + tmp.resolve("run/admin.sock"), "devhost.admin.group=no-such-group-here")
                .redirectErrorStream(true);
        pb.environment().put("DEVHOST_NO_BUILD", "1");
        Result r = run(pb, "dev:dmesg -l err\n");
        assertEquals(0, r.code(), r.output());
        assertTrue(r.output().contains("devhost.admin.group=no-such-group-here names no group of this machine (ENOENT)"), r.output());
        assertTrue(Files.notExists(tmp.resolve("run")), "nothing made: no folder, no socket");
    }

    private static Result run(ProcessBuilder pb, String stdin) throws Exception {
        Process p = pb.start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(BOUND_SECONDS, TimeUnit.SECONDS), "the host ends: " + out);
        return new Result(p.exitValue(), out);
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
