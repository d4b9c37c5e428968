package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Isolated modules as a user meets them, with real processes: {@code ./devhost}, a driver loaded
 * with {@code dev:insmod --isolated} into a JVM process of its own, real clients on the devfs
 * mount. A driver that hangs ignoring interrupts is ended for certain (its process is killed, the
 * client answered EIO, the module back with its number); a process killed from outside is noticed
 * and restarted; a host killed with SIGKILL leaves no child running. Needs root and /dev/fuse for
 * the devfs part, as DevfsIT.
 */
class IsolationIT {
    private static final Pattern RUNS = Pattern.compile("faulty: isolated module runs as process (\\d+)");

    @TempDir
    Path tmp;

    @Test
    void aHungIsolatedDriverIsKilledItsClientAnsweredAndItComesBack() throws Exception {
        Needs.that(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: the client reads the device through devfs");
        Path mount = tmp.resolve("mnt/dev");
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs.mount=" + mount)) {
            host.run("dev:rmmod faulty");
            String loaded = host.run("dev:insmod --isolated " + HostSession.driverJar("faulty") + " fault=hang");
            assertTrue(loaded.startsWith("faulty: loaded (bundle "), loaded);
            String number = loaded.substring(loaded.indexOf("misc ") + 5).trim();
            long first = children(host).get(0);
            assertTrue(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false), "the child runs");
            assertNotEquals(ProcessHandle.current().pid(), ProcessHandle.of(first).flatMap(ProcessHandle::parent)
                    .map(ProcessHandle::pid).orElse(-1L), "the host, not the test, is its parent");

            // a client whose read waits in a driver that never answers and ignores interrupts
            Process client = new ProcessBuilder("head", "-c", "1", mount.resolve("faulty").toString())
                    .redirectErrorStream(true).start();
            assertTrue(client.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), "the client is answered");
            String said = new String(client.getInputStream().readAllBytes());
            assertNotEquals(0, client.exitValue(), said);
            assertTrue(said.contains("Input/output error"), said);

            // the hung process is gone for certain, and a fresh one serves the same number
            ProcessHandle.of(first).ifPresent(p -> p.onExit().join());
            host.until("dev:dmesg", o -> countRuns(o) == 2);
            long second = children(host).get(1);
            assertNotEquals(first, second);
            // dev:ls names the process that serves the device, as syslog names a program: module[pid]
            String ls = host.until("dev:ls faulty", o -> o.contains("faulty[" + second + "]"));
            assertTrue(ls.contains(number), "the same number " + number + ": " + ls);
            String modinfo = host.run("dev:modinfo faulty");
            assertTrue(modinfo.contains("\nrestarts:       1\n"), modinfo);

            // a child killed from outside: the host notices at once and starts another
            ProcessHandle.of(second).orElseThrow().destroyForcibly();
            host.until("dev:dmesg", o -> countRuns(o) == 3);
            long third = children(host).get(2);
            String after = host.until("dev:ls faulty", o -> o.contains("faulty[" + third + "]"));
            assertTrue(after.contains(number), after);
            String lsmod = host.run("dev:lsmod");
            assertTrue(lsmod.contains("[isolated: pid " + third + ", "), lsmod);
            assertEquals(0, host.exit(), host.output());
        } finally {
            if (Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mount + " ")) {
                new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor();
            }
        }
    }

    @Test
    void aHostKilledWithSigkillLeavesNoChildRunning() throws Exception {
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs=off")) {
            host.run("dev:rmmod faulty");
            String loaded = host.run("dev:insmod --isolated " + HostSession.driverJar("faulty"));
            assertTrue(loaded.startsWith("faulty: loaded (bundle "), loaded);
            ProcessHandle child = ProcessHandle.of(children(host).get(0)).orElseThrow();
            ProcessHandle jvm = child.parent().orElseThrow();
            jvm.destroyForcibly(); // SIGKILL: the host runs no code of its own to stop its children
            jvm.onExit().get(HostSession.BOUND_SECONDS, TimeUnit.SECONDS);
            // the child halts when its socket ends (the host's kernel closes it), not because anything told it
            child.onExit().get(HostSession.BOUND_SECONDS, TimeUnit.SECONDS);
            assertFalse(child.isAlive());
        }
    }

    /** The pids of faulty's processes, in the order the host started them. */
    private static List<Long> children(HostSession host) throws Exception {
        List<Long> pids = new ArrayList<>();
        Matcher m = RUNS.matcher(host.run("dev:dmesg"));
        while (m.find()) {
            pids.add(Long.parseLong(m.group(1)));
        }
        assertFalse(pids.isEmpty(), "no isolated process in the log");
        return pids;
    }

    private static long countRuns(String dmesg) {
        return RUNS.matcher(dmesg).results().count();
    }
}
