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
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The review's case, end to end: {@code cat} of a devfs file whose device is a real pty (hostdev's
 * {@code host_ptmx}, nobody writes) blocks; SIGINT ends it at once, and the devfs thread that ran
 * its read leaves hostdev's code (the HAL's wait ends on the interrupt devfs sends that thread),
 * while hostdev stays live. devfs runs with a grace of ten minutes, so its own answer for a request
 * stuck in a driver cannot be what ends the client, and hostdev's watchdog is off, so no restart
 * can either. Needs root and /dev/fuse, as DevfsIT.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class HostWaitDevfsIT {
    private static final String HOSTDEV_READ = "org.devhost.drivers.hostdev.HostNodeFile";

    @Configuration
    public Option[] config() {
        String mount = "/tmp/devhost-itest-hostwait-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "/dev";
        DevfsIT.removeWhenTheTestsEnd(Path.of(mount));
        return CoreOptions.options(
                CoreOptions.composite(HostOptions.host("hostdev")),
                CoreOptions.bundle(HostOptions.jar("org.devhost.devfs")),
                CoreOptions.frameworkProperty("devhost.devfs.mount").value(mount),
                CoreOptions.frameworkProperty("devhost.devfs.interrupt_grace_ms").value("600000"),
                CoreOptions.systemProperty("itest.devfs.mount").value(mount));
    }

    @Test
    public void sigintEndsACatBlockedOnAHostPtyAndItsThreadLeavesHostdev() throws Exception {
        assumeTrue("devfs needs /dev/fuse, which this machine lacks", Files.exists(Path.of("/dev/fuse")));
        assumeTrue("devfs tests mount as root; this user is not root", "root".equals(System.getProperty("user.name")));
        assumeTrue("/dev/ptmx is absent on this machine", Files.exists(Path.of("/dev/ptmx")));
        String mount = System.getProperty("itest.devfs.mount");
        Probe probe = new Probe(getClass());
        ModuleManager modules = probe.service(ModuleManager.class);
        ConfigurationAdmin configs = probe.service(ConfigurationAdmin.class);

        org.osgi.service.cm.Configuration policy = configs.getFactoryConfiguration("org.devhost.supervision", "hostdev", "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("module", "hostdev");
        p.put("watchdog.ms", 0L);
        p.put("itest.stamp", "hostwait-devfs");
        policy.update(p);
        Await.until("hostdev's policy", () -> {
            try {
                return probe.context.getServiceReferences("org.devhost.kernel.impl.supervisor.SupervisionPolicyConfig",
                        "(itest.stamp=hostwait-devfs)") != null;
            } catch (Exception e) {
                return false;
            }
        });
        org.osgi.service.cm.Configuration hostdevConfig = configs.getConfiguration("hostdev", "?");
        Hashtable<String, Object> nodes = new Hashtable<>();
        nodes.put("nodes", new String[] {"host_null=/dev/null", "host_ptmx=/dev/ptmx"});
        hostdevConfig.update(nodes);
        Await.until("devfs mounted at " + mount + " with host_ptmx", () -> Files.exists(Path.of(mount, "host_ptmx")));

        // SIGINT at its default: a build started in the background (a shell's "&") inherits it ignored
        Process cat = new ProcessBuilder("env", "--default-signal=INT", "cat", mount + "/host_ptmx")
                .redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread drain = new Thread(() -> {
            try {
                cat.getInputStream().transferTo(out);
            } catch (IOException gone) {
                // ended
            }
        }, "itest-drain-" + cat.pid());
        drain.setDaemon(true);
        drain.start();
        try {
            Await.until(() -> "cat blocked in devfs, its read in hostdev waiting in poll; cat " + procState(cat.pid())
                    + ", in hostdev: " + threadsInHostdev(), () -> procState(cat.pid()).contains("request_wait_answer")
                    && threadsInHostdev().stream().anyMatch(t -> t.contains(" in poll")));

            new ProcessBuilder("kill", "-INT", Long.toString(cat.pid())).inheritIO().start().waitFor();
            // a bound for a broken build only (the grace is ten minutes): the interrupt ends the read
            boolean ended = cat.waitFor(10, TimeUnit.SECONDS);
            assertTrue("cat is still there 10 s after SIGINT: " + procState(cat.pid()) + "; in hostdev: " + threadsInHostdev(),
                    ended);
            assertEquals("cat ended by its SIGINT; said: " + out.toString(StandardCharsets.UTF_8), 130, cat.exitValue());
            Await.until(() -> "no devfs thread left in hostdev's read: " + threadsInHostdev(), () -> threadsInHostdev().isEmpty());

            ModuleStatus hostdev = modules.module("hostdev");
            assertEquals(ModuleStatus.State.LIVE, hostdev.state());
            assertEquals(0, hostdev.restarts());
            Process again = new ProcessBuilder("sh", "-c", "head -c 0 " + mount + "/host_null && echo ok").redirectErrorStream(true).start();
            assertTrue(again.waitFor(10, TimeUnit.SECONDS));
            assertEquals("ok\n", new String(again.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            if (cat.isAlive()) { // a broken build: unloading hostdev's nodes ends the read
                hostdevConfig.delete();
                cat.destroyForcibly();
                cat.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Threads in hostdev's file operations, each marked " in poll" when it is in the HAL backend's
     * poll call (JNA's LibC.poll and JnaSyscalls.poll, FFM's FfmSyscalls.poll around its downcall):
     * a read's only poll(2) is its wait.
     */
    private static List<String> threadsInHostdev() {
        List<String> in = new ArrayList<>();
        Thread.getAllStackTraces().forEach((t, stack) -> {
            for (StackTraceElement f : stack) {
                if (f.getClassName().equals(HOSTDEV_READ)) {
                    boolean inPoll = java.util.Arrays.stream(stack).anyMatch(s -> s.getMethodName().equals("poll")
                            && (s.getClassName().endsWith("Syscalls") || s.getClassName().endsWith(".LibC")));
                    in.add(t.getName() + " (" + t.getState() + (inPoll ? " in poll" : "") + " at " + stack[0] + ")");
                    break;
                }
            }
        });
        return in;
    }

    /** The process's state letter and where it sleeps in the kernel. */
    private static String procState(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String wchan = Files.readString(Path.of("/proc/" + pid + "/wchan"));
            return stat.charAt(stat.lastIndexOf(')') + 2) + " " + wchan;
        } catch (IOException e) {
            return "gone";
        }
    }
}
