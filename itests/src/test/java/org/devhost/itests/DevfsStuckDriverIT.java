package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.devhost.itests.drivers.StuckDriver;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.ModuleManager;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Every devfs request is answered, whatever the driver does: real processes whose request is
 * stuck in driver code that ignores interrupts (a busy loop, a sleep that swallows the interrupt)
 * are ended by a signal, and a forced unload answers ENODEV to the request stuck in its driver.
 * Without that the client stays in D (uninterruptible) in the kernel's {@code
 * request_wait_answer} even after SIGKILL, for as long as the driver holds the thread.
 *
 * <p>The driver ({@link StuckDriver}) returns only when the test releases it, at the end of each
 * test; devfs must answer long before. Needs root and /dev/fuse, as DevfsIT.
 *
 * <p>And one user's clients blocked in drivers never stop another user's requests, nor anyone's
 * signals: devfs runs here with small bounds ({@value #THREADS} driver operations at once, {@value
 * #USER_THREADS} per user) so that a test can block more clients than the bound.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DevfsStuckDriverIT {
    private static final String PY = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    /** The grace this test runs with (devfs's default too): how long a stuck request may outlive its interrupt. */
    private static final String GRACE_MS = "200";
    private static final int THREADS = 16;
    private static final int USER_THREADS = 8;

    @Configuration
    public Option[] config() throws Exception {
        String mount = "/tmp/devhost-itest-stuck-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "/dev";
        DevfsIT.removeWhenTheTestsEnd(Path.of(mount));
        return CoreOptions.options(
                CoreOptions.composite(HostOptions.host("mem", "scull")),
                CoreOptions.bundle(HostOptions.jar("org.devhost.devfs")),
                CoreOptions.frameworkProperty("devhost.devfs.mount").value(mount),
                CoreOptions.frameworkProperty("devhost.devfs.allow_other").value("true"),
                CoreOptions.frameworkProperty("devhost.devfs.interrupt_grace_ms").value(GRACE_MS),
                CoreOptions.frameworkProperty("devhost.devfs.threads").value(Integer.toString(THREADS)),
                CoreOptions.frameworkProperty("devhost.devfs.user_threads").value(Integer.toString(USER_THREADS)),
                CoreOptions.systemProperty("itest.devfs.mount").value(mount),
                CoreOptions.systemProperty("itest.devfs.stuck.jar").value(HostOptions.testDriver("itest_devfs_stuck", StuckDriver.class)));
    }

    private String mount;
    private Probe probe;
    private ModuleManager modules;
    private final List<Process> clients = new ArrayList<>();
    private final Map<Process, Thread> drains = new java.util.concurrent.ConcurrentHashMap<>();

    @Before
    public void mountedWithTheStuckDriver() throws Exception {
        assumeTrue("devfs needs /dev/fuse, which this machine lacks", Files.exists(Path.of("/dev/fuse")));
        assumeTrue("devfs tests mount as root; this user is not root", "root".equals(System.getProperty("user.name")));
        mount = System.getProperty("itest.devfs.mount");
        probe = new Probe(getClass());
        modules = probe.service(ModuleManager.class);
        System.clearProperty(StuckDriver.RELEASE);
        modules.load(System.getProperty("itest.devfs.stuck.jar"), Map.of(), null);
        Await.until(() -> "devfs mounted at " + mount + " with itest_devfs_stuck's devices; have zero "
                + Files.exists(Path.of(mount, "zero")) + ", itest_spin " + Files.exists(Path.of(mount, "itest_spin"))
                + ", itest_sleep " + Files.exists(Path.of(mount, "itest_sleep")) + "; devfs threads: " + devfsThreads(),
                () -> Files.exists(Path.of(mount, "zero")) && Files.exists(Path.of(mount, "itest_spin"))
                        && Files.exists(Path.of(mount, "itest_sleep")));
    }

    /**
     * The driver lets go of every thread (they return long after their requests were answered:
     * a second reply would be written for a unique the kernel may have reused), the module goes,
     * every file is released, and the mount still answers.
     */
    @After
    public void releasedAndTheMountAnswers() throws Exception {
        if (mount == null) {
            return;
        }
        System.setProperty(StuckDriver.RELEASE, "true");
        clients.forEach(Process::destroyForcibly);
        Await.until(() -> "no thread left in the driver: " + threadsInTheDriver(), () -> threadsInTheDriver().isEmpty());
        try {
            modules.unload("itest_devfs_stuck", true);
        } catch (KernelException alreadyUnloaded) {
            // the revocation test unloaded it
        }
        DeviceRegistry registry = probe.registry();
        Await.until("every devfs file released", () -> registry.devices().stream().allMatch(d -> d.openCount() == 0));
        Result zero = run(PY, "-c", "import sys; print(open(sys.argv[1] + '/zero', 'rb').read(2))", mount);
        assertEquals(zero.out(), "b'\\x00\\x00'\n", zero.out());
    }

    // ---- a fatal signal ends the client ----

    /** The finding's Python client: an ioctl whose driver spins; SIGKILL ends it. */
    @Test
    public void sigkillEndsAClientWhoseIoctlSpinsInTheDriver() throws Exception {
        Process client = start(PY, "-c", "import os, sys, fcntl; fd = os.open(sys.argv[1] + '/itest_spin', os.O_RDWR);"
                + " fcntl.ioctl(fd, 0x7801)", mount);
        endsAfter("KILL", client, "itest_spin");
    }

    /** A cat whose read sleeps in the driver, swallowing every interrupt; SIGKILL ends it. */
    @Test
    public void sigkillEndsAClientWhoseReadSleepsInTheDriver() throws Exception {
        endsAfter("KILL", start("cat", mount + "/itest_sleep"), "itest_sleep");
    }

    /** SIGTERM (fatal at its default action) the same way, for both drivers at once. */
    @Test
    public void sigtermEndsClientsStuckInBothDrivers() throws Exception {
        Process spin = start("env", "--default-signal=TERM", "cat", mount + "/itest_spin");
        Process sleep = start("env", "--default-signal=TERM", "cat", mount + "/itest_sleep");
        blockedInTheDriver(spin, 1);
        blockedInTheDriver(sleep, 2);
        endsAfter("TERM", spin, "itest_spin");
        endsAfter("TERM", sleep, "itest_sleep");
    }

    /**
     * A signal the client catches: its read fails with EINTR (answered by devfs on the driver's
     * behalf) and it runs on, as after any interrupted system call; and the driver's late return,
     * when the test releases it, sends nothing the kernel would take for another request's reply.
     */
    @Test
    public void aCaughtSignalEndsTheStuckReadWithEintrAndTheClientRunsOn() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Process client = start(out, PY, "-c", String.join("\n",
                "import os, sys, signal, errno",
                "class Caught(Exception): pass",
                "def caught(signum, frame): raise Caught()",
                "signal.signal(signal.SIGUSR1, caught)",
                "fd = os.open(sys.argv[1] + '/itest_sleep', os.O_RDONLY)",
                "try:",
                "    os.read(fd, 1)",
                "except Caught:",
                "    print('caught', flush=True)",
                "print('zero', open(sys.argv[1] + '/zero', 'rb').read(3), flush=True)"), mount);
        blockedInTheDriver(client, 1);
        run("kill", "-USR1", Long.toString(client.pid()));
        assertTrue("the client's read is still stuck after SIGUSR1: " + procState(client.pid()),
                client.waitFor(10, TimeUnit.SECONDS));
        String said = output(client, out);
        assertEquals(said, 0, client.exitValue());
        assertEquals("caught\nzero b'\\x00\\x00\\x00'\n", said);
    }

    // ---- revocation ----

    /**
     * {@code dev:rmmod -f} of a module whose driver holds a read: the reader gets ENODEV a grace
     * after the revocation starts, not when the unload's bounded wait for the driver runs out (5 s
     * here), and not never.
     */
    @Test
    public void aForcedUnloadAnswersEnodevToAReadStuckInTheDriver() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Process client = start(out, PY, "-c", String.join("\n",
                "import os, sys, errno",
                "fd = os.open(sys.argv[1] + '/itest_spin', os.O_RDONLY)",
                "try:",
                "    os.read(fd, 1)",
                "    print('read returned', flush=True)",
                "except OSError as e:",
                "    print('ended', errno.errorcode[e.errno], flush=True)"), mount);
        blockedInTheDriver(client, 1);
        Thread rmmod = new Thread(() -> modules.unload("itest_devfs_stuck", true), "itest-rmmod-f");
        rmmod.start();
        try {
            // well inside the revoke timeout (5 s), which the unload waits out for the stuck thread
            assertTrue("the reader is still stuck 2 s after rmmod -f began: " + procState(client.pid()),
                    client.waitFor(2, TimeUnit.SECONDS));
            assertEquals("ended ENODEV\n", output(client, out));
        } finally {
            rmmod.join(30_000);
        }
    }

    // ---- one user's blocked clients and everyone else ----

    /**
     * More of one user's clients blocked in a driver (readers of an empty scullpipe, as user
     * nobody) than devfs lets one user block, and more than it has threads for driver code: the
     * user's first {@value #USER_THREADS} block, the rest get EAGAIN at once (said once in the
     * log), root's read of zero is served meanwhile, and SIGKILL ends every blocked reader (devfs
     * still reads their FUSE_INTERRUPTs). Without the bound the readers took every thread: nobody
     * read /dev/fuse, root's read waited for ever and the killed readers stayed in D.
     */
    @Test
    public void oneUsersBlockedReadersNeverStopAnotherUsersRequestsOrSignals() throws Exception {
        int readers = THREADS + 4;
        List<Process> nobody = new ArrayList<>();
        List<ByteArrayOutputStream> outs = new ArrayList<>();
        for (int i = 0; i < readers; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            outs.add(out);
            nobody.add(start(out, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "cat", mount + "/scullpipe0"));
        }
        Await.until(() -> "each of nobody's readers blocked in devfs or ended; have "
                + nobody.stream().map(p -> p.isAlive() ? procState(p.pid()) : "ended").toList(),
                () -> nobody.stream().allMatch(p -> !p.isAlive() || procState(p.pid()).contains("request_wait_answer")));

        Result zero = run(10, "head", "-c", "4", mount + "/zero");
        assertEquals("root's read of zero while nobody's readers are blocked", 4, zero.out().length());

        List<Process> blocked = nobody.stream().filter(Process::isAlive).toList();
        assertEquals("nobody's readers blocked in the driver: the bound", USER_THREADS, blocked.size());
        for (int i = 0; i < readers; i++) {
            if (!nobody.get(i).isAlive()) {
                String said = output(nobody.get(i), outs.get(i));
                assertTrue("a reader past the bound: " + said, said.contains("Resource temporarily unavailable"));
            }
        }
        KernelLog log = probe.service(KernelLog.class);
        Await.until("the refusal in the kernel log", () -> log.lines().stream().anyMatch(l -> refusal(l.message())));
        assertEquals("the refusal is logged once", 1, log.lines().stream().filter(l -> refusal(l.message())).count());

        for (Process p : blocked) {
            run(10, "kill", "-KILL", Long.toString(p.pid()));
        }
        for (Process p : blocked) {
            assertTrue("a blocked reader of nobody survived SIGKILL: " + procState(p.pid()), p.waitFor(10, TimeUnit.SECONDS));
        }
    }

    private static boolean refusal(String message) {
        return message.contains("devfs") && message.contains("user 65534") && message.contains("EAGAIN");
    }

    // ---- helpers ----

    /**
     * Waits until the client sleeps in devfs (its request read by the server) and its request is
     * held in the driver; sends the signal; the client must be gone within 1 s. Its state is
     * polled meanwhile from /proc: after a fatal signal it is D (the kernel's killable wait is
     * over, only a reply ends it), and only devfs answering on the driver's behalf ends that.
     */
    private void endsAfter(String signal, Process client, String device) throws Exception {
        blockedInTheDriver(client, 1);
        run("kill", "-" + signal, Long.toString(client.pid()));
        long killed = System.nanoTime();
        List<String> seen = new ArrayList<>();
        while (client.isAlive() && System.nanoTime() - killed < TimeUnit.SECONDS.toNanos(10)) {
            String s = procState(client.pid());
            if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(s)) {
                seen.add(s);
            }
            Thread.sleep(5);
        }
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        assertTrue("SIG" + signal + ": a client stuck in " + device + " is still there 10 s later; states seen: " + seen,
                !client.isAlive());
        assertTrue("SIG" + signal + ": a client stuck in " + device + " took " + tookMs + " ms to end (bound 1 s; grace "
                + GRACE_MS + " ms); states seen: " + seen, tookMs < 1000);
    }

    /** The client sleeps in devfs's request wait, and at least {@code threads} devfs threads are in the driver. */
    private void blockedInTheDriver(Process client, int threads) throws InterruptedException {
        Await.until(() -> "client " + client.pid() + " blocked in devfs and " + threads + " devfs thread(s) in the driver;"
                + " have " + procState(client.pid()) + ", in the driver: " + threadsInTheDriver(),
                () -> procState(client.pid()).contains("request_wait_answer") && threadsInTheDriver().size() >= threads);
    }

    /** devfs's threads, each with its state and where it is (for a failure's message). */
    private static List<String> devfsThreads() {
        List<String> all = new ArrayList<>();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            if (t.getName().startsWith("devfs")) {
                all.add(t.getName() + " " + t.getState() + (stack.length > 0 ? " at " + stack[0] : "")
                        + (stack.length > 1 ? " < " + stack[1] : "") + (stack.length > 2 ? " < " + stack[2] : ""));
            }
        });
        return all;
    }

    /** devfs's threads now running StuckDriver's code. */
    private static List<String> threadsInTheDriver() {
        List<String> in = new ArrayList<>();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            for (StackTraceElement f : stack) {
                if (f.getClassName().startsWith(StuckDriver.class.getName())) {
                    in.add(t.getName() + " (" + t.getState() + ")");
                    break;
                }
            }
        });
        return in;
    }

    /** "S request_wait_answer": the process's state letter and its kernel wait, or "gone". */
    private static String procState(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String wchan = Files.readString(Path.of("/proc/" + pid + "/wchan"));
            return stat.charAt(stat.lastIndexOf(')') + 2) + " " + wchan;
        } catch (IOException e) {
            return "gone";
        }
    }

    private Process start(String... cmd) throws IOException {
        return start(new ByteArrayOutputStream(), cmd);
    }

    /**
     * Starts a client whose output (stdout and stderr) is collected into {@code out}; read it
     * through {@link #output} once the client has ended.
     */
    private Process start(ByteArrayOutputStream out, String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        clients.add(p);
        Thread drain = new Thread(() -> {
            try {
                p.getInputStream().transferTo(out);
            } catch (IOException ignored) {
                // gone
            }
        }, "itest-drain-" + p.pid());
        drain.setDaemon(true);
        drain.start();
        drains.put(p, drain);
        return p;
    }

    /** What an ended client wrote, all of it (its output is drained by another thread). */
    private String output(Process p, ByteArrayOutputStream out) throws InterruptedException {
        drains.get(p).join(10_000);
        return out.toString(StandardCharsets.UTF_8);
    }

    private record Result(int exit, String out) {}

    private Result run(String... cmd) throws IOException, InterruptedException {
        return run(30, cmd);
    }

    /** Runs a program to its end, bounded: one that does not end is a failure. */
    private Result run(long boundSeconds, String... cmd) throws IOException, InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Process p = start(out, cmd);
        if (!p.waitFor(boundSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not end within " + boundSeconds + " s: " + out);
        }
        return new Result(p.exitValue(), output(p, out));
    }
}
