package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.devhost.itests.drivers.SpinningIoctl;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.junit.Assume;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * A read that waits in the HAL for a real device (hostdev's {@code host_ptmx}, a pty master nobody
 * writes to) is a wait, not a hang: the supervisor's watchdog leaves hostdev alone however long the
 * read waits, and an interrupt of the reading thread (what devfs does when its client gets Ctrl-C
 * or {@code timeout}) ends the read with EINTR while hostdev and its files stay.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class HostWaitIT {
    @Configuration
    public Option[] config() throws Exception {
        return CoreOptions.options(CoreOptions.composite(HostOptions.host("hostdev")),
                CoreOptions.systemProperty("itest.hang.jar").value(HostOptions.testDriver("itest_hang", SpinningIoctl.class)));
    }

    private Probe probe;
    private DeviceRegistry registry;
    private ModuleManager modules;
    private ConfigurationAdmin configs;
    /** Every module's supervision events, as "module TOPIC kind". */
    private final List<String> events = new CopyOnWriteArrayList<>();
    private static final AtomicInteger STAMP = new AtomicInteger();

    @Before
    public void setUp() throws Exception {
        Assume.assumeTrue("/dev/ptmx is absent on this machine", Files.exists(Path.of("/dev/ptmx")));
        probe = new Probe(getClass());
        registry = probe.registry();
        modules = probe.service(ModuleManager.class);
        configs = probe.service(ConfigurationAdmin.class);
        Dictionary<String, Object> topics = new Hashtable<>();
        topics.put(EventConstants.EVENT_TOPIC, "org/devhost/module/*");
        probe.context.registerService(EventHandler.class, e -> events.add(e.getProperty("module") + " "
                + e.getTopic().substring(e.getTopic().lastIndexOf('/') + 1) + " " + e.getProperty("kind")), topics);
    }

    /** A module's supervision policy through Configuration Admin (as SupervisionIT sets it), once the kernel has it. */
    private void policy(String module, Map<String, Object> values) throws Exception {
        org.osgi.service.cm.Configuration c = configs.getFactoryConfiguration("org.devhost.supervision", module, "?");
        Dictionary<String, Object> p = new Hashtable<>(values);
        p.put("module", module);
        String stamp = String.valueOf(STAMP.incrementAndGet());
        p.put("itest.stamp", stamp);
        c.update(p);
        Await.until("policy of " + module, () -> {
            try {
                return probe.context.getServiceReferences("org.devhost.kernel.impl.supervisor.SupervisionPolicyConfig",
                        "(itest.stamp=" + stamp + ")") != null;
            } catch (Exception e) {
                return false;
            }
        });
    }

    private long count(String module, String topic) {
        return events.stream().filter(e -> e.startsWith(module + " " + topic + " ")).count();
    }

    private static Errno errno(Runnable r) {
        try {
            r.run();
        } catch (KernelException e) {
            return e.errno();
        }
        throw new AssertionError("no KernelException");
    }

    /**
     * The watchdog (300 ms here) looks at hostdev's blocked read for as long as it takes another
     * module's spinning ioctl, begun after the read, to be found hung and restarted: by then the
     * read has stood still past the limit on more ticks than a hang needs. hostdev is not restarted
     * (before the HAL's wait counted as parked, it was, and every hostdev file went with it). Then
     * an interrupt of the reader ends its read with EINTR, and the same file still answers.
     */
    @Test
    public void aReadWaitingInTheHalIsNotAHangAndAnInterruptEndsItWithEintr() throws Exception {
        policy("hostdev", Map.of("watchdog.ms", 300L));
        policy("itest_hang", Map.of("watchdog.ms", 300L));
        org.osgi.service.cm.Configuration hostdevConfig = configs.getConfiguration("hostdev", "?");
        Hashtable<String, Object> nodes = new Hashtable<>();
        nodes.put("nodes", new String[] {"host_null=/dev/null", "host_ptmx=/dev/ptmx"});
        hostdevConfig.update(nodes);
        Await.until("host_ptmx", () -> registry.device("host_ptmx").isPresent());
        assertEquals(ModuleStatus.State.LIVE, modules.module("hostdev").state());

        OpenFile master = registry.open("host_ptmx", OpenFlags.O_RDWR);
        AtomicReference<Throwable> ended = new AtomicReference<>();
        AtomicBoolean interruptKept = new AtomicBoolean();
        Thread reader = new Thread(() -> {
            try {
                master.read(ByteBuffer.allocate(64));
                ended.set(new AssertionError("read returned although nothing was written"));
            } catch (Throwable t) {
                interruptKept.set(Thread.currentThread().isInterrupted());
                ended.set(t);
            }
        }, "hostwait-read");
        reader.setDaemon(true);
        reader.start();
        awaitInPoll(reader);

        System.clearProperty(SpinningIoctl.RELEASE);
        modules.load(System.getProperty("itest.hang.jar"), Map.of(), null);
        OpenFile hangFile = registry.open("itest_hang", OpenFlags.O_RDONLY);
        Thread spinner = new Thread(() -> {
            try {
                hangFile.ioctl(1, 0L); // spins until released at the end
            } catch (KernelException e) {
                // not what this test is about
            }
        }, "hostwait-spinner");
        try {
            spinner.start();
            Await.until("itest_hang found hung and restarted", () -> count("itest_hang", "HUNG") == 1
                    && modules.module("itest_hang").restarts() == 1
                    && modules.module("itest_hang").state() == ModuleStatus.State.LIVE);

            assertEquals("hostdev taken for hung: " + events, 0, count("hostdev", "HUNG"));
            ModuleStatus hostdev = modules.module("hostdev");
            assertEquals(0, hostdev.restarts());
            assertEquals(ModuleStatus.State.LIVE, hostdev.state());
            assertNull("the read ended: " + ended.get(), ended.get());
            assertTrue(reader.isAlive());

            reader.interrupt();
            reader.join(10_000); // a bound for a broken build only: the interrupt ends the read
            assertFalse("the reader is still blocked after Thread.interrupt(): " + Arrays.toString(reader.getStackTrace()),
                    reader.isAlive());
            assertTrue("ended with " + ended.get(), ended.get() instanceof KernelException);
            assertEquals(Errno.EINTR, ((KernelException) ended.get()).errno());
            assertTrue("the interrupt status is kept", interruptKept.get());

            assertEquals(ModuleStatus.State.LIVE, modules.module("hostdev").state());
            assertEquals(0, modules.module("hostdev").restarts());
            // the file is still open on its live node (an interrupt is not a revocation): a write goes to the pty
            assertEquals(2, master.write(ByteBuffer.wrap("x\n".getBytes())));
        } finally {
            System.setProperty(SpinningIoctl.RELEASE, "true");
            spinner.join(10_000);
            master.close();
            if (reader.isAlive()) { // a broken build: the close ends the read
                reader.join(10_000);
            }
        }
        assertEquals(Errno.ENODEV, errno(() -> hangFile.ioctl(1, 0L)));
        hangFile.close();
        modules.unload("itest_hang", true);
        System.clearProperty(SpinningIoctl.RELEASE);
        hostdevConfig.delete();
    }

    /**
     * Waits until a thread is parked in {@code poll(2)}, as the kernel sees it
     * ({@code /proc/self/task/<tid>/syscall}; the task found by its name, which HotSpot sets). A
     * thread blocked in native code shows RUNNABLE to Java, so this is the state to wait for.
     */
    private static void awaitInPoll(Thread t) throws InterruptedException {
        List<String> poll = "aarch64".equals(System.getProperty("os.arch")) ? List.of("73") : List.of("7", "271");
        String comm = t.getName().length() > 15 ? t.getName().substring(0, 15) : t.getName();
        Await.until(() -> t.getName() + " parked in poll", () -> {
            try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                return tasks.anyMatch(task -> {
                    try {
                        return Files.readString(task.resolve("comm")).trim().equals(comm)
                                && poll.contains(Files.readString(task.resolve("syscall")).trim().split(" ")[0]);
                    } catch (IOException gone) {
                        return false;
                    }
                });
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }
}
