package org.devhost.itests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
 * devfs over io_uring as a user meets it: {@code ./devhost devhost.devfs.transport=uring} with the
 * kernel's {@code enable_uring} switched on (and put back after), real clients on the mount. The
 * ring serves (dev:mounts says so and its counter rises), a queue whose entries are held by
 * blocked readers grows so the writer that frees them still gets through, an interrupt and a poll
 * notification work, the host stops cleanly with a request in flight on every queue; where the
 * kernel does not offer it, devfs stays on /dev/fuse and says why. Both HAL backends have the
 * ring: CI runs these tests on JDK 17 (JNA) and on JDK 25 (FFM).
 */
class UringIT {
    private static final Path ENABLE = Path.of("/sys/module/fuse/parameters/enable_uring");
    private static final Pattern ON_RINGS = Pattern.compile("requests on the rings (\\d+)");

    @TempDir
    Path tmp;

    @Test
    void theRingServesReadsWritesInterruptsPollsAndBlockedReaders() throws Exception {
        needs();
        Path mount = tmp.resolve("mnt/dev");
        String before = Files.readString(ENABLE).trim();
        Files.writeString(ENABLE, "Y");
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs.mount=" + mount,
                "devhost.devfs.transport=uring")) {
            String mounts = host.until("dev:mounts", o -> o.contains("transport: "));
            assertTrue(mounts.contains("transport: io_uring, " + possibleCpus() + " queues"), mounts);
            long first = onRings(mounts);

            assertEquals("\0\0\0\0", sh("head -c 4 " + mount.resolve("zero")));
            sh("printf hello > " + mount.resolve("scull0"));
            assertEquals("hello", sh("cat " + mount.resolve("scull0")));
            assertTrue(onRings(host.run("dev:mounts")) > first, "the requests came through the rings");

            // an interrupted reader (SIGINT to head blocked on an empty pipe) ends at once; SIGINT at
            // its default: a build started in the background (a shell's "&") inherits it ignored
            Process reader = new ProcessBuilder("env", "--default-signal=INT", "head", "-c", "1",
                    mount.resolve("scullpipe0").toString()).start();
            host.until("dev:ls scullpipe0", o -> o.matches("(?s).*scullpipe0 .* 1 .*"));
            new ProcessBuilder("kill", "-INT", Long.toString(reader.pid())).start().waitFor();
            assertTrue(reader.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), "the interrupted reader ends");
            assertNotEquals(0, reader.exitValue());

            // a poll on the pipe is woken by a write
            Process poller = new ProcessBuilder("python3", "-c", "import os,select\n"
                    + "fd=os.open('" + mount.resolve("scullpipe1") + "', os.O_RDONLY|os.O_NONBLOCK)\n"
                    + "p=select.poll(); p.register(fd, select.POLLIN); print('ready' if p.poll(60000) else 'timeout')")
                    .redirectErrorStream(true).start();
            host.until("dev:ls scullpipe1", o -> o.matches("(?s).*scullpipe1 .* 1 .*"));
            assertEquals("", host.run("dev:write scullpipe1 x").trim());
            assertTrue(poller.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), "the poller is woken");
            assertEquals("ready", new String(poller.getInputStream().readAllBytes()).trim());

            // more readers blocked on one CPU than its queue has entries: the writer of that CPU still gets through
            List<Process> readers = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                readers.add(new ProcessBuilder("taskset", "-c", "0", "head", "-c", "1", mount.resolve("scullpipe2").toString()).start());
            }
            host.until("dev:ls scullpipe2", o -> o.matches("(?s).*scullpipe2 .* 12 .*"));
            sh("taskset -c 0 sh -c 'printf 0123456789ab > " + mount.resolve("scullpipe2") + "'");
            StringBuilder got = new StringBuilder();
            for (Process r : readers) {
                assertTrue(r.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), "every blocked reader has its byte");
                got.append(new String(r.getInputStream().readAllBytes()));
            }
            assertEquals(12, got.length(), got.toString());

            // the host stops with a request in flight on every queue (a reader on each CPU): each is answered, nothing stays mounted
            int cpus = possibleCpus();
            List<Process> left = new ArrayList<>();
            for (int cpu = 0; cpu < cpus; cpu++) {
                left.add(new ProcessBuilder("taskset", "-c", Integer.toString(cpu), "head", "-c", "1",
                        mount.resolve("scullpipe3").toString()).start());
            }
            host.until("dev:ls scullpipe3", o -> o.matches("(?s).*scullpipe3 .* " + cpus + " .*"));
            assertEquals(0, host.exit(), host.output());
            for (Process r : left) {
                assertTrue(r.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), "every reader in flight is answered");
            }
            assertTrue(!Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mount + " "), "nothing stays mounted");
        } finally {
            Files.writeString(ENABLE, before);
            unmount(mount);
        }
    }

    @Test
    void withoutTheKernelsOfferDevfsStaysOnDevFuseAndSaysWhy() throws Exception {
        needs();
        Path mount = tmp.resolve("mnt/dev");
        String before = Files.readString(ENABLE).trim();
        Files.writeString(ENABLE, "N");
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs.mount=" + mount,
                "devhost.devfs.transport=uring")) {
            String mounts = host.until("dev:mounts", o -> o.contains("transport: "));
            assertTrue(mounts.contains("transport: /dev/fuse (the kernel does not offer FUSE over io_uring"), mounts);
            assertTrue(host.run("dev:dmesg").contains("devfs: requests come through /dev/fuse: the kernel does not offer"));
            assertEquals("\0", sh("head -c 1 " + mount.resolve("zero")));
            assertEquals(0, host.exit(), host.output());
        } finally {
            Files.writeString(ENABLE, before);
            unmount(mount);
        }
    }

    /** The kernel's parts skip wherever they are missing (no install step makes them), CI included. */
    private static void needs() {
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: the clients use the devfs mount");
        assumeTrue(Files.isWritable(ENABLE), "no writable " + ENABLE + " (needs root and Linux 6.14+ with CONFIG_FUSE_IO_URING)");
        Needs.that(Needs.onPath("python3") && Needs.onPath("taskset"), "no python3 or taskset on the PATH");
    }

    private static int possibleCpus() throws Exception {
        int n = 0;
        for (String range : Files.readString(Path.of("/sys/devices/system/cpu/possible")).trim().split(",")) {
            String[] ends = range.split("-");
            n += ends.length == 1 ? 1 : Integer.parseInt(ends[1]) - Integer.parseInt(ends[0]) + 1;
        }
        return n;
    }

    private static long onRings(String mounts) {
        Matcher m = ON_RINGS.matcher(mounts);
        assertTrue(m.find(), mounts);
        return Long.parseLong(m.group(1));
    }

    /** Runs a shell command as a client; its output (the command must succeed). */
    private static String sh(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).start();
        assertTrue(p.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), command);
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.exitValue(), command + ": " + new String(p.getErrorStream().readAllBytes()));
        return out;
    }

    private static void unmount(Path mount) throws Exception {
        if (Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mount + " ")) {
            new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor();
        }
    }
}
