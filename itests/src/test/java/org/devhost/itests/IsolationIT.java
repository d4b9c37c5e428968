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
            int before = children(host).size() - 1; // faulty asks to be isolated: it ran in a process from the boot on
            long first = children(host).get(before);
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
            host.until("dev:dmesg", o -> countRuns(o) == before + 2);
            long second = children(host).get(before + 1);
            assertNotEquals(first, second);
            // dev:ls names the process that serves the device, as syslog names a program: module[pid]
            String ls = host.until("dev:ls faulty", o -> o.contains("faulty[" + second + "]"));
            assertTrue(ls.contains(number), "the same number " + number + ": " + ls);
            String modinfo = host.run("dev:modinfo faulty");
            assertTrue(modinfo.contains("\nrestarts:       1\n"), modinfo);

            // a child killed from outside: the host notices at once and starts another
            ProcessHandle.of(second).orElseThrow().destroyForcibly();
            host.until("dev:dmesg", o -> countRuns(o) == before + 3);
            long third = children(host).get(before + 2);
            String after = host.until("dev:ls faulty", o -> o.contains("faulty[" + third + "]"));
            assertTrue(after.contains(number), after);
            String lsmod = host.run("dev:lsmod");
            assertTrue(lsmod.contains("[isolated: pid " + third + ", "), lsmod);
            assertEquals(0, host.exit(), host.output());
        } finally {
            unmount(mount);
        }
    }

    @Test
    void aReaderBlockedInTheChildsKernelWaitIsNeverAHang() throws Exception {
        Needs.that(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: the clients read through devfs");
        Path mount = tmp.resolve("mnt/dev");
        // a short watchdog for every module; conf/ as the launcher wants it (owner-only)
        Path conf = Files.createDirectory(tmp.resolve("conf"),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        Files.writeString(conf.resolve("org.devhost.supervision-all.cfg"), "module=*\nwatchdog.ms=1000\n");
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs.mount=" + mount)) {
            host.until("dev:dmesg", o -> o.contains("hot deploy applied " + conf.resolve("org.devhost.supervision-all.cfg")));
            host.run("dev:rmmod scull");
            assertTrue(host.run("dev:insmod --isolated " + HostSession.driverJar("scull")).startsWith("scull: loaded"));
            host.run("dev:rmmod faulty");
            assertTrue(host.run("dev:insmod --isolated " + HostSession.driverJar("faulty") + " fault=hang").startsWith("faulty: loaded"));

            // a reader parked in scull's wait queue in scull's process, from before faulty's hang began
            Process reader = new ProcessBuilder("head", "-c", "1", mount.resolve("scullpipe0").toString()).start();
            host.until("dev:ls scullpipe0", o -> o.matches("(?s).*scullpipe0 .* 1 .*"));
            // faulty's hang is the witness: once the watchdog has called it (after 1 s and two looks),
            // it has looked at the reader for longer than that too
            Process hung = new ProcessBuilder("head", "-c", "1", mount.resolve("faulty").toString()).redirectErrorStream(true).start();
            assertTrue(hung.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), "faulty's client is answered");
            // an error (EIO from the kill; ENODEV when the device's revocation reaches devfs first):
            // the witness here is only that the watchdog has acted (the EIO itself: the first test)
            String answer = new String(hung.getInputStream().readAllBytes());
            assertNotEquals(0, hung.exitValue(), answer);
            assertTrue(answer.contains("Input/output error") || answer.contains("No such device"), answer);
            assertTrue(reader.isAlive(), "the reader still waits, as it should");
            String scull = host.run("dev:modinfo scull");
            assertFalse(scull.contains("restarts:"), "a reader in a kernel wait is never a hang: " + scull);

            assertEquals("", host.run("dev:write scullpipe0 x").trim());
            assertTrue(reader.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), "the reader has its byte");
            assertEquals("x", new String(reader.getInputStream().readAllBytes()));
            assertEquals(0, host.exit(), host.output());
        } finally {
            unmount(mount);
        }
    }

    @Test
    void anInterruptedReaderEndsItsReadNotTheProcess() throws Exception {
        Needs.that(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: the client reads through devfs");
        Path mount = tmp.resolve("mnt/dev");
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs.mount=" + mount)) {
            host.run("dev:rmmod scull");
            assertTrue(host.run("dev:insmod --isolated " + HostSession.driverJar("scull")).startsWith("scull: loaded"));
            String before = host.run("dev:lsmod");
            // a reader parked in scull's wait queue in scull's process, then ^C (SIGINT, as a shell
            // sends it; a build started in the background would have it ignored: put back)
            Process reader = new ProcessBuilder("env", "--default-signal=INT", "head", "-c", "1",
                    mount.resolve("scullpipe0").toString()).start();
            host.until("dev:ls scullpipe0", o -> o.matches("(?s).*scullpipe0 .* 1 .*"));
            new ProcessBuilder("kill", "-INT", String.valueOf(reader.pid())).start().waitFor();
            assertTrue(reader.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), "the interrupted reader ends");
            // the read was interrupted there (EINTR, the driver's answer), and nothing else: the same
            // process serves on, with nothing restarted
            host.until("dev:ls scullpipe0", o -> o.matches("(?s).*scullpipe0 .* 0 .*"));
            assertEquals(before.replaceAll("cpu [0-9.]+ s|[0-9.]+ MiB", ""),
                    host.run("dev:lsmod").replaceAll("cpu [0-9.]+ s|[0-9.]+ MiB", ""), host.run("dev:dmesg"));
            // and a reader after it has its byte (scullpipe keeps data only while someone has it open)
            Process next = new ProcessBuilder("head", "-c", "1", mount.resolve("scullpipe0").toString()).start();
            host.until("dev:ls scullpipe0", o -> o.matches("(?s).*scullpipe0 .* 1 .*"));
            assertEquals("", host.run("dev:write scullpipe0 x").trim());
            assertTrue(next.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), "the next reader has its byte");
            assertEquals("x", new String(next.getInputStream().readAllBytes()));
            assertEquals(0, host.exit(), host.output());
        } finally {
            unmount(mount);
        }
    }

    /** The samples and hostdev (real nodes through the HAL), unchanged jars, as they answer in the host's process and in processes of their own. */
    private static final List<String> SAMPLES = List.of("hostdev", "mem", "rust_chrdev", "rust_minimal", "rust_miscdev",
            "rust_module_parameters", "rust_print", "rust_random", "rust_semaphore", "rust_sync", "scull"); // the boot's order: the same numbers
    /** Commands whose output does not depend on the run (rust_random's bytes do: only their count is looked at). */
    private static final List<String> USES = List.of("dev:write scull0 devhost", "dev:cat scull0", "dev:hexdump -n 8 zero",
            "dev:write full x", "dev:cat rust_chrdev1", "dev:write rust_miscdev x", "dev:hexdump -n 1 rust_miscdev",
            "dev:write rust_semaphore xy", "dev:hexdump -n 1 rust_semaphore", "dev:hexdump -n 8 host_zero",
            "dev:write host_full x", "dev:ls", "dev:majors", "dev:misc");

    @Test
    void everySampleAnswersTheSameIsolatedAsInTheHostsProcess() throws Exception {
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs=off")) {
            List<String> inProcess = new ArrayList<>();
            for (String c : USES) {
                inProcess.add(ReadmeTourIT.mask(host.run(c)).replaceAll("(\\w+)\\[<pid>\\]", "$1"));
            }
            for (String m : SAMPLES) {
                assertEquals("", host.run("dev:rmmod " + m).trim(), "rmmod " + m);
            }
            for (String m : SAMPLES) {
                String loaded = host.run("dev:insmod --isolated " + HostSession.driverJar(m));
                assertTrue(loaded.startsWith(m + ": loaded (bundle "), loaded);
            }
            String lsmod = host.run("dev:lsmod");
            for (String m : SAMPLES) {
                assertTrue(lsmod.matches("(?s).*\\n" + m + " +\\d+ +live .*\\[isolated: pid \\d+.*"), m + " runs isolated: " + lsmod);
            }
            for (int i = 0; i < USES.size(); i++) {
                String isolated = ReadmeTourIT.mask(host.run(USES.get(i))).replaceAll("(\\w+)\\[<pid>\\]", "$1");
                assertEquals(inProcess.get(i), isolated, "'" + USES.get(i) + "' isolated");
            }
            String random = host.run("dev:hexdump -n 64 rust_random").trim();
            assertTrue(random.endsWith("\n00000040"), "64 random bytes, in 4 lines and the end's offset: " + random);
            String dmesg = host.run("dev:dmesg");
            for (String line : List.of("rust_minimal: Rust minimal sample (init)", "rust_sync: Value: 10",
                    "rust_module_parameters:   my_i32:     42", "rust_print: Emergency message (level 0) with args",
                    "rust_print: Info message (level 6) with args")) {
                assertTrue(dmesg.contains(line), "the sample's own line from its process: " + line);
            }
            // unloaded, they leave nothing: no device, no process but faulty's
            for (String m : SAMPLES) {
                assertEquals("", host.run("dev:rmmod -f " + m).trim(), "rmmod " + m);
            }
            List<String> owners = host.run("dev:ls").lines().skip(1).map(l -> l.split(" +")[4].replaceAll("\\[\\d+\\]", "")).toList();
            assertTrue(owners.stream().noneMatch(SAMPLES::contains), "no sample's device is left: " + owners);
            assertTrue(host.run("dev:dmesg").contains("rust_minimal: My numbers are [72, 108, 200]"), "drop ran in its process");
            assertEquals(0, host.exit(), host.output());
        }
    }

    @Test
    void aHostKilledWithSigkillLeavesNoChildRunning() throws Exception {
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs=off")) {
            host.run("dev:rmmod faulty");
            String loaded = host.run("dev:insmod --isolated " + HostSession.driverJar("faulty"));
            assertTrue(loaded.startsWith("faulty: loaded (bundle "), loaded);
            List<Long> pids = children(host);
            ProcessHandle child = ProcessHandle.of(pids.get(pids.size() - 1)).orElseThrow();
            ProcessHandle jvm = child.parent().orElseThrow();
            jvm.destroyForcibly(); // SIGKILL: the host runs no code of its own to stop its children
            jvm.onExit().get(HostSession.BOUND_SECONDS, TimeUnit.SECONDS);
            // the child halts when its socket ends (the host's kernel closes it), not because anything told it
            child.onExit().get(HostSession.BOUND_SECONDS, TimeUnit.SECONDS);
            assertFalse(child.isAlive());
        }
    }

    @Test
    void aSpinningIoctlIsEndedWithItsProcessAndNoThreadIsLeftInTheHost() throws Exception {
        Needs.that(Files.exists(Path.of("/dev/fuse")), "no /dev/fuse: the client calls ioctl through devfs");
        Needs.that(Needs.onPath("python3"), "no python3: the client's ioctl is Python's");
        Path mount = tmp.resolve("mnt/dev");
        String jar = HostOptions.testDriver("itest_hang_isolated", org.devhost.itests.drivers.SpinningIoctl.class);
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs.mount=" + mount)) {
            String loaded = host.run("dev:insmod --isolated " + jar);
            assertTrue(loaded.startsWith("itest_hang: loaded (bundle "), loaded);
            String number = loaded.substring(loaded.indexOf("misc ") + 5).trim();
            Process client = new ProcessBuilder("python3", "-c", "import fcntl,os,sys\n"
                    + "fd = os.open(sys.argv[1], os.O_RDONLY)\n"
                    + "try:\n    fcntl.ioctl(fd, 0)\nexcept OSError as e:\n    print('errno', e.errno)\n",
                    mount.resolve("itest_hang").toString()).redirectErrorStream(true).start();
            assertTrue(client.waitFor(HostSession.BOUND_SECONDS, TimeUnit.SECONDS), "the client is answered");
            String said = new String(client.getInputStream().readAllBytes()).trim();
            assertEquals("errno 5", said, "EIO");
            host.until("dev:modinfo itest_hang", o -> o.contains("\nrestarts:       1\n"));
            host.until("dev:ls itest_hang", o -> o.contains(" " + number + " ")); // the same number, served again
            // the spinning thread died with its process: none is stuck (abandoned) in the host
            String health = host.run("dev:health");
            assertTrue(health.contains(" 0 stuck thread(s)"), health);
            assertEquals(0, host.exit(), host.output());
        } finally {
            unmount(mount);
        }
    }

    @Test
    void aDriverAllocatingWithoutEndKillsOnlyItsOwnProcess() throws Exception {
        String jar = HostOptions.testDriver("itest_hog", org.devhost.itests.drivers.Hog.class);
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs=off")) {
            String loaded = host.run("dev:insmod --isolated " + jar);
            assertTrue(loaded.startsWith("itest_hog: loaded (bundle "), loaded);
            String read = host.run("dev:cat itest_hog");
            assertTrue(read.contains("(EIO)"), "the caller is answered EIO: " + read);
            String dmesg = host.until("dev:dmesg", o -> o.contains("itest_hog: isolated module's process")
                    && o.contains("(out of memory)"));
            assertTrue(dmesg.contains("ended with status 3 (out of memory)"), dmesg);
            // the host and the other modules are untouched
            assertTrue(host.run("dev:hexdump -n 4 zero").contains("00 00 00 00"), "mem still serves");
            String lsmod = host.run("dev:lsmod");
            assertTrue(lsmod.contains("\nscull ") && !lsmod.contains("failed"), lsmod);
            assertEquals(0, host.exit(), host.output());
        }
    }

    @Test
    void aDropThatNeverReturnsEndsWithItsProcessAndRmmodReturns() throws Exception {
        String jar = HostOptions.testDriver("itest_endless_drop", org.devhost.itests.drivers.EndlessDrop.class);
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs=off")) {
            String loaded = host.run("dev:insmod --isolated " + jar);
            assertTrue(loaded.startsWith("itest_endless_drop: loaded (bundle "), loaded);
            long pid = Long.parseLong(host.run("dev:modinfo itest_endless_drop").replaceAll("(?s).*process: +isolated, pid (\\d+),.*", "$1"));
            String rmmod = host.run("dev:rmmod itest_endless_drop");
            assertEquals("", rmmod.trim(), "rmmod returns, and says nothing went wrong");
            assertTrue(ProcessHandle.of(pid).isEmpty() || !ProcessHandle.of(pid).get().isAlive(), "the process is gone");
            assertTrue(host.run("dev:dmesg").contains("itest_endless_drop: its drop did not end within 5000 ms"),
                    "the log says why it was killed");
            assertFalse(host.run("dev:lsmod").contains("itest_endless_drop"));
            assertEquals(0, host.exit(), host.output());
        }
    }

    @Test
    void manyKillsAndRestartsLeaveNothingBehind() throws Exception {
        int cycles = Integer.getInteger("itest.isolation.cycles", 200);
        try (HostSession host = new HostSession(tmp, HostSession.ROOT, "devhost.devfs=off")) {
            host.run("dev:rmmod faulty");
            host.run("dev:insmod --isolated " + HostSession.driverJar("faulty"));
            List<Long> pids = children(host);
            long jvm = ProcessHandle.of(pids.get(pids.size() - 1)).orElseThrow().parent().orElseThrow().pid();
            for (int i = 0; i < 3; i++) { // the first restarts load the classes they use once
                assertEquals("faulty: restarted", host.run("dev:restart faulty").trim());
            }
            Resources before = Resources.of(jvm, tmp);
            for (int i = 0; i < cycles; i++) {
                String r = host.run("dev:restart faulty");
                assertEquals("faulty: restarted", r.trim(), "cycle " + i);
            }
            host.until("dev:ls faulty", o -> o.contains("faulty["));
            // what a cycle's end lets go of goes at once or soon (a killed child's pipes close when the
            // JDK reaps it): wait for the state, bounded, rather than look once
            Resources[] after = {null};
            within(() -> "no descriptor, thread or process per cycle: " + before + " then " + after[0], () -> {
                try {
                    after[0] = Resources.of(jvm, tmp);
                } catch (Exception e) {
                    return false; // a folder went while it was walked: look again
                }
                return after[0].fds() <= before.fds() + 4 && after[0].threads() <= before.threads() + 4
                        && after[0].children() == 1;
            });
            assertEquals(1, after[0].childFolders(), "one child's folder, the live one's: " + after[0]);
            assertEquals(0, host.exit(), host.output());
        }
    }

    /** What a host process holds: its descriptors, threads, child processes (zombies included) and its children's folders. */
    record Resources(long fds, long threads, long children, long childFolders) {
        static Resources of(long pid, Path own) throws Exception {
            long fds;
            try (var s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
                fds = s.count();
            }
            long threads; // the JDK's pooled process reapers and Gogo's session pool come and go on their own
            try (var s = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
                threads = s.filter(t -> {
                    try {
                        String name = Files.readString(t.resolve("comm")).trim();
                        return !name.startsWith("process reaper") && !name.startsWith("session-");
                    } catch (Exception gone) {
                        return false;
                    }
                }).count();
            }
            long children = ProcessHandle.allProcesses().filter(p -> p.parent().map(ProcessHandle::pid).orElse(-1L) == pid)
                    .count();
            long folders;
            try (var s = Files.walk(own.resolve("cache"), 5)) { // cache/bundleN/data/isolation/cK
                folders = s.filter(p -> Files.isDirectory(p) && p.getParent() != null
                        && p.getParent().getFileName().toString().equals("isolation")).count();
            }
            return new Resources(fds, threads, children, folders);
        }
    }

    /** Waits until {@code done}, bounded by the session's bound; the failure says what was reached. */
    private static void within(java.util.function.Supplier<String> what, java.util.function.BooleanSupplier done)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HostSession.BOUND_SECONDS);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("within " + HostSession.BOUND_SECONDS + " s: " + what.get());
            }
            Thread.sleep(100);
        }
    }

    private static void unmount(Path mount) throws Exception {
        if (Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mount + " ")) {
            new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor();
        }
    }

    @Test
    void laterProcessesStartFromAClassArchiveTheHostMadeOnce() throws Exception {
        // a cache folder of the test's own, as a user's ~/.cache: the archive is made there, mode 0700
        Path cache = tmp.resolve("xdg-cache");
        try (HostSession host = new HostSession(java.util.Map.of("XDG_CACHE_HOME", cache.toString()), tmp, HostSession.ROOT)) {
            // faulty's process, the boot's, started without one; the host made it beside
            String made = host.until("dev:dmesg", o -> o.contains("class archive for isolated modules' processes made: "));
            Matcher m = java.util.regex.Pattern.compile("processes made: (\\S+\\.jsa)").matcher(made);
            assertTrue(m.find(), made);
            Path archive = Path.of(m.group(1));
            assertEquals(cache.resolve("devhost"), archive.getParent());
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(archive.getParent())));
            host.run("dev:rmmod faulty");
            assertTrue(host.run("dev:insmod --isolated " + HostSession.driverJar("faulty")).startsWith("faulty: loaded"));
            List<Long> pids = children(host);
            long pid = pids.get(pids.size() - 1);
            // the new process maps the archive: its classes come from there, not from the jars
            assertTrue(Files.readString(Path.of("/proc/" + pid + "/maps")).contains(archive.toString()),
                    "process " + pid + " does not map " + archive);
            assertEquals(0, host.exit(), host.output());
        }
    }

    @Test
    void anIsolatedModuleFollowsTheHostsConfigurationTheHalsRulesAndParametersChangedWhileItRuns() throws Exception {
        // conf/ as the launcher wants it (owner-only)
        Path conf = Files.createDirectory(tmp.resolve("conf"),
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        Path hal = conf.resolve("org.devhost.hal.cfg");
        try (HostSession host = new HostSession(tmp, HostSession.ROOT)) {
            host.run("dev:rmmod hostdev");
            assertTrue(host.run("dev:insmod --isolated " + HostSession.driverJar("hostdev")).startsWith("hostdev: loaded"));
            String zeros = host.run("dev:hexdump -n 8 host_zero");
            assertTrue(zeros.contains("00 00 00 00 00 00 00 00"), zeros + host.run("dev:dmesg"));

            // the host's HAL rules narrowed while it runs: its process follows at once, as the host's HAL does
            Files.writeString(hal, "allowed.prefixes=/dev/null\n");
            String refused = host.until("dev:hexdump -n 8 host_zero", o -> o.contains("EACCES"));
            assertTrue(refused.contains("outside the allowed prefixes [/dev/null]"), refused);
            assertEquals("", host.run("dev:write host_null x").trim(), "what the rules allow still works");

            // the same refusal in the host's process, and in a fresh process from its first open on
            host.run("dev:rmmod hostdev");
            assertTrue(host.run("dev:insmod " + HostSession.driverJar("hostdev")).startsWith("hostdev: loaded"));
            assertEquals(refused, host.run("dev:hexdump -n 8 host_zero"));
            host.run("dev:rmmod hostdev");
            assertTrue(host.run("dev:insmod --isolated " + HostSession.driverJar("hostdev")).startsWith("hostdev: loaded"));
            String fresh = host.run("dev:hexdump -n 8 host_zero");
            assertEquals(refused, fresh, host.run("dev:dmesg"));

            // a module's parameters changed while it runs in a process of its own reach its driver
            host.run("dev:rmmod rust_module_parameters");
            assertTrue(host.run("dev:insmod --isolated " + HostSession.driverJar("rust_module_parameters"))
                    .startsWith("rust_module_parameters: loaded"));
            Files.writeString(conf.resolve("rust_module_parameters.cfg"), "my_i32=8\n");
            host.until("dev:dmesg", o -> o.contains("parameters now: my_i32=8 "));
            assertEquals(0, host.exit(), host.output());
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
