package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.devhost.itests.drivers.Beating;
import org.devhost.itests.drivers.BlockingRead;
import org.devhost.itests.drivers.FaultyRead;
import org.devhost.itests.drivers.FlakyInit;
import org.devhost.itests.drivers.SpinningIoctl;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/**
 * The supervisor (MINIX 3's reincarnation server): crashed and hung drivers are restarted with
 * back-off, keep their numbers while they are down, and are given up when they keep failing.
 * Each test sets a small policy for its own test module through Configuration Admin, as a user
 * would in {@code conf/}, so that it runs in seconds.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class SupervisionIT {
    @Configuration
    public Option[] config() throws Exception {
        return CoreOptions.options(CoreOptions.composite(HostOptions.host("rust_miscdev")),
                CoreOptions.systemProperty("itest.faulty.jar").value(HostOptions.testDriver("itest_faulty", FaultyRead.class)),
                CoreOptions.systemProperty("itest.hang.jar").value(HostOptions.testDriver("itest_hang", SpinningIoctl.class)),
                CoreOptions.systemProperty("itest.block.jar").value(HostOptions.testDriver("itest_block", BlockingRead.class)),
                CoreOptions.systemProperty("itest.flaky.jar").value(HostOptions.testDriver("itest_flaky", FlakyInit.class)),
                CoreOptions.systemProperty("itest.beating.jar").value(HostOptions.testDriver("itest_beating", Beating.class)));
    }

    private Probe probe;
    private DeviceRegistry registry;
    private ModuleManager modules;
    private ConfigurationAdmin configs;
    /** itest_faulty's events, as TOPIC or TOPIC:backoff (the first test's view). */
    private final List<String> events = new CopyOnWriteArrayList<>();
    /** Every module's events, as "module TOPIC kind backoff". */
    private final List<String> all = new CopyOnWriteArrayList<>();
    private static final AtomicInteger STAMP = new AtomicInteger();

    @Before
    public void setUp() throws Exception {
        probe = new Probe(getClass());
        registry = probe.registry();
        modules = probe.service(ModuleManager.class);
        configs = probe.service(ConfigurationAdmin.class);
        Dictionary<String, Object> topics = new Hashtable<>();
        topics.put(EventConstants.EVENT_TOPIC, "org/devhost/module/*");
        probe.context.registerService(EventHandler.class, e -> {
            String topic = e.getTopic().substring(e.getTopic().lastIndexOf('/') + 1);
            if ("itest_faulty".equals(e.getProperty("module"))) {
                events.add(topic + (e.getProperty("backoff.ms") == null ? "" : ":" + e.getProperty("backoff.ms")));
            }
            all.add(e.getProperty("module") + " " + topic + " " + e.getProperty("kind") + " " + e.getProperty("backoff.ms"));
        }, topics);
        policy("itest_faulty", Map.of("fault.threshold", 3, "backoff.initial.ms", 50L, "max.restarts", 2));
    }

    /**
     * Sets a module's supervision policy (a factory configuration of org.devhost.supervision, as
     * a conf/org.devhost.supervision-NAME.cfg file would) and waits until the kernel has it.
     */
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

    private static Errno errno(Runnable r) {
        try {
            r.run();
        } catch (KernelException e) {
            return e.errno();
        }
        throw new AssertionError("no KernelException");
    }

    private ModuleStatus status(String module) {
        return modules.module(module);
    }

    private boolean live(String module, String device) {
        return status(module).state() == ModuleStatus.State.LIVE && registry.device(device).isPresent();
    }

    /** The back-offs of a module's RESTARTING events, in the order they came. */
    private List<Long> backoffs(String module) {
        List<Long> b = new ArrayList<>();
        for (String e : all) {
            String[] w = e.split(" ");
            if (w[0].equals(module) && w[1].equals("RESTARTING")) {
                b.add(Long.parseLong(w[3]));
            }
        }
        return b;
    }

    private long count(String module, String topic) {
        return all.stream().filter(e -> e.startsWith(module + " " + topic + " ")).count();
    }

    @Test
    public void aDriverWhoseReadsThrowIsRestartedWithItsNumbersAndGivenUpWhenItKeepsFailing() throws Exception {
        modules.load(System.getProperty("itest.faulty.jar"), Map.of(), null);
        DeviceNumber misc = registry.device("itest_faulty").orElseThrow().number();
        DeviceNumber region = registry.device("itest_faulty_region").orElseThrow().number();
        OpenFile old = registry.open("itest_faulty", OpenFlags.O_RDONLY);
        // The restart's init is held while another module asks for the same kinds of number: the
        // allocator would hand back the very numbers that were freed, so only a reservation keeps
        // them for the module that restarts.
        java.util.concurrent.CountDownLatch[] gate = {
            new java.util.concurrent.CountDownLatch(1), new java.util.concurrent.CountDownLatch(1)};
        System.getProperties().put(FaultyRead.GATE, gate);
        ChrdevRegion otherRegion;
        org.devhost.kernel.MiscDevice otherMisc;
        try {
            for (int i = 0; i < 3; i++) {
                assertEquals(Errno.EIO, errno(() -> old.read(ByteBuffer.allocate(1))));
            }
            assertTrue("the restart reached init", gate[0].await(30, java.util.concurrent.TimeUnit.SECONDS));
            otherRegion = registry.chrdevRegion("itest_other", DeviceRegistry.DYNAMIC_MAJOR, 0, 1);
            otherMisc = registry.registerMisc("itest_other", org.devhost.kernel.MiscDevice.DYNAMIC_MINOR,
                    new org.devhost.kernel.FileOperations<Void>() {
                        @Override
                        public Void open(org.devhost.kernel.File file) {
                            return null;
                        }
                    });
        } finally {
            System.getProperties().remove(FaultyRead.GATE);
            gate[1].countDown();
        }
        assertNotEquals("another module's dynamic major during the restart", region.major(), otherRegion.major());
        assertNotEquals("another module's misc minor during the restart", misc, otherMisc.device().number());
        Await.until("itest_faulty restarted", () -> status("itest_faulty").restarts() == 1
                && live("itest_faulty", "itest_faulty") && registry.device("itest_faulty_region").isPresent());
        assertEquals(misc, registry.device("itest_faulty").orElseThrow().number());
        assertEquals(region, registry.device("itest_faulty_region").orElseThrow().number());
        otherMisc.close();
        otherRegion.close();
        assertEquals("a file opened before the crash stays gone", Errno.ENODEV, errno(() -> old.read(ByteBuffer.allocate(1))));
        try (OpenFile fresh = registry.open(region, OpenFlags.O_RDONLY)) {
            assertEquals(Errno.EIO, errno(() -> fresh.read(ByteBuffer.allocate(1))));
        }
        ModuleStatus s = status("itest_faulty");
        assertEquals("faults", s.lastFailure().kind());
        assertTrue(s.lastFailure().reason(), s.lastFailure().reason().contains("3 faults"));
        Await.until("events", () -> events.contains("RESTARTED"));
        assertEquals(List.of("CRASHED", "RESTARTING:0", "RESTARTED"), events.subList(0, 3));

        // keeps failing: restarted after a back-off that grows, then given up (max_restarts=2)
        for (int round = 0; round < 2; round++) {
            int restarts = status("itest_faulty").restarts();
            Await.until("itest_faulty live", () -> live("itest_faulty", "itest_faulty"));
            try (OpenFile f = registry.open("itest_faulty", OpenFlags.O_RDONLY)) {
                for (int i = 0; i < 3; i++) {
                    errno(() -> f.read(ByteBuffer.allocate(1)));
                }
            }
            Await.until("next crash handled", () -> status("itest_faulty").restarts() > restarts
                    || status("itest_faulty").state() == ModuleStatus.State.FAILED);
        }
        Await.until("itest_faulty failed", () -> status("itest_faulty").state() == ModuleStatus.State.FAILED);
        assertTrue(events.toString(), events.contains("RESTARTING:50"));
        assertTrue(events.toString(), events.indexOf("RESTARTING:50") > events.indexOf("RESTARTING:0"));
        Await.until("FAILED posted", () -> events.contains("FAILED"));
        Await.until("numbers released on give-up", () -> errno(() -> registry.open(misc, OpenFlags.O_RDONLY)) == Errno.ENXIO);
        assertEquals(Errno.ENOENT, errno(() -> registry.open("itest_faulty", OpenFlags.O_RDONLY)));
        assertTrue(modules.health().attention().stream().anyMatch(m -> m.name().equals("itest_faulty")));
        assertFalse(modules.health().healthy());

        // dev:restart brings it back
        modules.restart("itest_faulty");
        assertEquals(ModuleStatus.State.LIVE, status("itest_faulty").state());
        assertTrue(registry.device("itest_faulty").isPresent());
        modules.unload("itest_faulty", true);
    }

    /**
     * An ioctl that spins is found by the watchdog and its module restarted; the spinning thread
     * cannot be stopped, so it is abandoned and counted. Meanwhile a reader blocked in a kernel
     * wait on another supervised module, blocked since before the ioctl began, is left alone, and
     * another module's device answers throughout.
     */
    @Test
    public void aSpinningIoctlIsFoundByTheWatchdogAndABlockedReaderIsNot() throws Exception {
        policy("itest_hang", Map.of("watchdog.ms", 300L));
        policy("itest_block", Map.of("watchdog.ms", 300L));
        modules.load(System.getProperty("itest.hang.jar"), Map.of(), null);
        modules.load(System.getProperty("itest.block.jar"), Map.of(), null);
        DeviceNumber hangNumber = registry.device("itest_hang").orElseThrow().number();

        // rust_miscdev (not supervised differently, not involved) is used all along
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong answered = new AtomicLong();
        AtomicReference<Throwable> otherFailed = new AtomicReference<>();
        Thread user = new Thread(() -> {
            while (!stop.get()) {
                try (OpenFile w = registry.open("rust_miscdev", OpenFlags.O_WRONLY);
                        OpenFile r = registry.open("rust_miscdev", OpenFlags.O_RDONLY)) {
                    w.write(ByteBuffer.wrap(new byte[] {1}));
                    r.read(ByteBuffer.allocate(1));
                    answered.incrementAndGet();
                } catch (Throwable t) {
                    otherFailed.set(t);
                    return;
                }
            }
        }, "itest-other-module-user");
        user.start();

        OpenFile blockedFile = registry.open("itest_block", OpenFlags.O_RDONLY);
        AtomicReference<Errno> readerGot = new AtomicReference<>();
        Thread reader = new Thread(() -> readerGot.set(errno(() -> blockedFile.read(ByteBuffer.allocate(1))))
                , "itest-blocked-reader");
        reader.start();
        Await.until("the reader parked in the kernel wait", () -> reader.getState() == Thread.State.WAITING
                && java.util.Arrays.stream(reader.getStackTrace()).anyMatch(f -> f.getClassName().endsWith("WaitQueueImpl")));

        System.clearProperty(SpinningIoctl.RELEASE);
        // the restart is held in itest_hang's init, so "during the restart" is a state, not a time
        java.util.concurrent.CountDownLatch[] gate = {
            new java.util.concurrent.CountDownLatch(1), new java.util.concurrent.CountDownLatch(1)};
        System.getProperties().put(SpinningIoctl.GATE, gate);
        OpenFile hangFile = registry.open("itest_hang", OpenFlags.O_RDONLY);
        Thread spinner = new Thread(() -> {
            try {
                hangFile.ioctl(1, 0L); // returns only when the test lets it go, long after its module restarted
            } catch (KernelException e) {
                // whatever it gets then is not what this test is about
            }
        }, "itest-spinner");
        try {
            spinner.start();
            Await.until("HUNG posted for itest_hang", () -> count("itest_hang", "HUNG") == 1);
            assertTrue("the restart reached init", gate[0].await(30, java.util.concurrent.TimeUnit.SECONDS));
            long before = answered.get();
            Await.until("the other module answered during the restart", () -> answered.get() >= before + 2);
            assertEquals(ModuleStatus.State.RESTARTING, status("itest_hang").state());
            assertNull("the other module's device kept working", otherFailed.get());
            System.getProperties().remove(SpinningIoctl.GATE);
            gate[1].countDown();
            Await.until("itest_hang restarted", () -> status("itest_hang").restarts() == 1 && live("itest_hang", "itest_hang"));
            ModuleStatus s = status("itest_hang");
            assertEquals("hang", s.lastFailure().kind());
            assertTrue(s.lastFailure().summary(), s.lastFailure().summary().contains("'itest-spinner'"));
            assertEquals("the spinning thread is abandoned and counted", 1, s.stuckThreads());
            assertTrue(spinner.isAlive());
            assertEquals(1, modules.health().stuckThreads());
            assertEquals(hangNumber, registry.device("itest_hang").orElseThrow().number());
            assertEquals(Errno.ENODEV, errno(() -> hangFile.ioctl(1, 0L)));

            // the blocked reader, blocked longer than the watchdog limit, was not taken for a hang
            assertEquals(0, count("itest_block", "HUNG"));
            assertEquals(0, status("itest_block").restarts());
            assertEquals(ModuleStatus.State.LIVE, status("itest_block").state());
            assertEquals(Thread.State.WAITING, reader.getState());
            assertNull(readerGot.get());

            assertNull("the other module's device kept working", otherFailed.get());
        } finally {
            System.getProperties().remove(SpinningIoctl.GATE);
            gate[1].countDown();
            stop.set(true);
            System.setProperty(SpinningIoctl.RELEASE, "true");
            spinner.join(10_000);
            user.join(10_000);
        }
        modules.unload("itest_block", true);
        reader.join(10_000);
        assertEquals("the blocked reader wakes with ENODEV when its module goes", Errno.ENODEV, readerGot.get());
        modules.unload("itest_hang", true);
        System.clearProperty(SpinningIoctl.RELEASE);
    }

    /**
     * An init that fails K times: restarted at once, then after back-offs that double, then up.
     * Broken for ever (by its configuration) it ends FAILED after max_restarts restarts in the
     * window, and dev:restart brings it back once the configuration is fixed.
     */
    @Test
    public void anInitThatFailsKTimesIsRestartedWithGrowingDelaysAndOneThatKeepsFailingEndsFailed() throws Exception {
        policy("itest_flaky", Map.of("fault.threshold", 1, "backoff.initial.ms", 20L, "max.restarts", 5));
        System.clearProperty(FlakyInit.TIMES);
        modules.load(System.getProperty("itest.flaky.jar"), Map.of(), null);
        try {
            System.setProperty(FlakyInit.LEFT, "3");
            try (OpenFile f = registry.open("itest_flaky", OpenFlags.O_RDONLY)) {
                assertEquals(Errno.EIO, errno(() -> f.read(ByteBuffer.allocate(1))));
            }
            Await.until("itest_flaky up after 3 failed inits", () -> count("itest_flaky", "RESTARTED") == 1
                    && live("itest_flaky", "itest_flaky"));
            assertEquals("0", System.getProperty(FlakyInit.LEFT));
            assertEquals("at once, then doubling", List.of(0L, 20L, 40L, 80L), backoffs("itest_flaky"));
            // and the delays happened: each init began at least its back-off after the one before
            // (a lower bound, which load on the machine can only lengthen)
            long[] t = java.util.Arrays.stream(System.getProperty(FlakyInit.TIMES).split(","))
                    .mapToLong(Long::parseLong).toArray();
            assertEquals("the load's init and four restarts' inits", 5, t.length);
            for (int k = 2; k < t.length; k++) {
                long waited = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(t[k] - t[k - 1]);
                long backoff = backoffs("itest_flaky").get(k - 1);
                assertTrue("restart " + k + " began " + waited + " ms after the failed init before it, its back-off is "
                        + backoff + " ms", waited >= backoff);
            }
            assertEquals(4, status("itest_flaky").restarts());
            assertEquals("init", status("itest_flaky").lastFailure().kind());

            // broken for ever: a configuration change re-runs init (DS), which fails from now on
            org.osgi.service.cm.Configuration cfg = configs.getConfiguration("itest_flaky", "?");
            cfg.update(new Hashtable<>(Map.of("broken", "true")));
            Await.until("itest_flaky failed", () -> status("itest_flaky").state() == ModuleStatus.State.FAILED);
            assertEquals("given up after max_restarts restarts within the window", 5, status("itest_flaky").restarts());
            Await.until("FAILED posted", () -> count("itest_flaky", "FAILED") == 1);
            assertEquals(Errno.ENOENT, errno(() -> registry.open("itest_flaky", OpenFlags.O_RDONLY)));
            assertEquals(ModuleStatus.State.FAILED, status("itest_flaky").state()); // it stays down

            // fixed by configuration, then dev:restart
            cfg.update(new Hashtable<>(Map.of("broken", "false")));
            modules.restart("itest_flaky");
            assertTrue(live("itest_flaky", "itest_flaky"));
        } finally {
            System.clearProperty(FlakyInit.LEFT);
        }
        modules.unload("itest_flaky", true);
    }

    /**
     * During the back-off the module's major and device name are held: opens answer EAGAIN, and
     * another module asking for a dynamic major gets another one. rmmod lets them go.
     */
    @Test
    public void duringTheBackOffItsMajorIsNotHandedToAnotherModuleAndRmmodReleasesIt() throws Exception {
        policy("itest_flaky", Map.of("fault.threshold", 1, "backoff.initial.ms", 600_000L, "backoff.max.ms", 600_000L));
        modules.load(System.getProperty("itest.flaky.jar"), Map.of(), null);
        int major = registry.device("itest_flaky").orElseThrow().number().major();
        try {
            System.setProperty(FlakyInit.LEFT, "-1");
            try (OpenFile f = registry.open("itest_flaky", OpenFlags.O_RDONLY)) {
                errno(() -> f.read(ByteBuffer.allocate(1)));
            }
            Await.until("in a long back-off", () -> backoffs("itest_flaky").contains(600_000L));
            assertEquals(ModuleStatus.State.RESTARTING, status("itest_flaky").state());
            assertEquals(Errno.EAGAIN, errno(() -> registry.open("itest_flaky", OpenFlags.O_RDONLY)));
            assertEquals(Errno.EAGAIN, errno(() -> registry.open(DeviceNumber.of(major, 0), OpenFlags.O_RDONLY)));
            try (ChrdevRegion other = registry.chrdevRegion("itest_other", DeviceRegistry.DYNAMIC_MAJOR, 0, 1)) {
                assertNotEquals("another module gets another major", major, other.major());
            }
            assertEquals(Errno.EBUSY, errno(() -> registry.chrdevRegion("itest_fixed", major, 10, 1)));

            modules.unload("itest_flaky", false);
            assertEquals(Errno.ENOENT, errno(() -> registry.open("itest_flaky", OpenFlags.O_RDONLY)));
            try (ChrdevRegion again = registry.chrdevRegion("itest_other", DeviceRegistry.DYNAMIC_MAJOR, 0, 1)) {
                assertEquals("the reservation went with rmmod", major, again.major());
            }
        } finally {
            System.clearProperty(FlakyInit.LEFT);
        }
    }

    /**
     * A load runs init once. The module's parameters are its configuration (PID = module name),
     * and Configuration Admin tells Declarative Services about a change later, on its own event
     * thread: a load that deleted or rewrote that configuration would have its module torn down
     * and initialised again when the news arrives (under load, after the load returned: an open
     * right after insmod then failed with ENOENT). The test holds that thread for the whole load,
     * so the news always comes late, for a first load, for a load with parameters and for a load
     * without them after one with them.
     */
    @Test
    public void aLoadRunsInitOnceEvenWhenConfigurationAdminReportsItLate() throws Exception {
        ConfigurationGate gate = new ConfigurationGate();
        probe.context.registerService(org.osgi.service.cm.ConfigurationListener.class, gate, null);
        String flaky = System.getProperty("itest.flaky.jar");
        List<Map<String, String>> loads = List.of(Map.of(), Map.of("itest_note", "first"), Map.of());
        for (Map<String, String> parameters : loads) {
            System.clearProperty(FlakyInit.INITS);
            gate.close();
            modules.load(flaky, parameters, null);
            assertTrue("device right after " + parameters, registry.device("itest_flaky").isPresent());
            gate.openAndDrain();
            assertEquals("inits of the load with " + parameters, "1", System.getProperty(FlakyInit.INITS));
            assertTrue(live("itest_flaky", "itest_flaky"));
            assertEquals(parameters, probe.service(org.devhost.kernel.ModuleParameters.class).stored("itest_flaky"));
            try (OpenFile f = registry.open("itest_flaky", OpenFlags.O_RDONLY)) {
                assertTrue(f != null);
            }
            modules.unload("itest_flaky", false);
        }
    }

    /**
     * Holds Configuration Admin's event thread (which delivers every ConfigurationEvent, to every
     * listener, in order) from {@link #close} until {@link #openAndDrain}, which returns once all
     * events sent meanwhile have been delivered.
     */
    private final class ConfigurationGate implements org.osgi.service.cm.ConfigurationListener {
        private final java.util.concurrent.Semaphore held = new java.util.concurrent.Semaphore(0);
        private volatile java.util.concurrent.CountDownLatch release;
        private final java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();

        @Override
        public void configurationEvent(org.osgi.service.cm.ConfigurationEvent e) {
            seen.add(e.getPid());
            if (e.getPid().startsWith("itest.gate.close.")) {
                held.release();
                try {
                    release.await(60, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        void close() throws Exception {
            release = new java.util.concurrent.CountDownLatch(1);
            send("itest.gate.close." + STAMP.incrementAndGet());
            assertTrue("Configuration Admin's event thread held",
                    held.tryAcquire(30, java.util.concurrent.TimeUnit.SECONDS));
        }

        void openAndDrain() throws Exception {
            release.countDown();
            String marker = "itest.gate.drained." + STAMP.incrementAndGet();
            send(marker);
            Await.until("events up to " + marker + " delivered", () -> seen.contains(marker));
        }

        private void send(String pid) throws Exception {
            configs.getConfiguration(pid, "?").update(new Hashtable<>(Map.of("itest", "gate")));
        }
    }

    /** A driver with a heartbeat that stops calling in is treated as hung and restarted. */
    @Test
    public void aDriverThatStopsCallingInOnItsHeartbeatIsRestarted() throws Exception {
        System.clearProperty(Beating.BEATS);
        modules.load(System.getProperty("itest.beating.jar"), Map.of(), null);
        Await.until("some periods of beats", () -> Integer.getInteger(Beating.BEATS, 0) >= 30);
        assertEquals("calling in within its period is not a hang", 0, status("itest_beating").restarts());
        assertEquals(0, count("itest_beating", "HUNG"));

        System.setProperty(Beating.SILENCE, "true");
        Await.until("HUNG posted", () -> count("itest_beating", "HUNG") == 1);
        Await.until("itest_beating restarted", () -> status("itest_beating").restarts() == 1
                && status("itest_beating").state() == ModuleStatus.State.LIVE);
        assertEquals("heartbeat", status("itest_beating").lastFailure().kind());
        int beats = Integer.getInteger(Beating.BEATS, 0);
        Await.until("the new instance beats", () -> Integer.getInteger(Beating.BEATS, 0) > beats + 10);
        assertEquals(0, status("itest_beating").stuckThreads());
        modules.unload("itest_beating", false);
        assertEquals(1, count("itest_beating", "HUNG"));
    }

    /**
     * The soak: 200 crash/restart cycles (-Ditest.supervision.cycles=N) keep the numbers and leave
     * no class loader, thread, reservation or number behind.
     */
    @Test
    public void twoHundredCrashRestartCyclesLeaveNothingBehind() throws Exception {
        int cycles = Integer.getInteger("itest.supervision.cycles", 200);
        policy("itest_faulty", Map.of("fault.threshold", 1, "backoff.initial.ms", 0L, "max.restarts", 1_000_000));
        modules.load(System.getProperty("itest.faulty.jar"), Map.of(), null);
        DeviceNumber misc = registry.device("itest_faulty").orElseThrow().number();
        DeviceNumber region = registry.device("itest_faulty_region").orElseThrow().number();
        Bundle b = probe.context.getBundle(status("itest_faulty").bundleId());
        crashAndAwaitRestart(1); // warm-up: threads the first restart starts once already run
        // Event Admin delivers the supervisor's events on a pool that grows to its bound (20 threads,
        // org.apache.felix.eventadmin.ThreadPoolSize) and keeps them: counted apart, against that bound.
        int threadsBefore = ownThreads();
        List<WeakReference<ClassLoader>> loaders = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < cycles; i++) {
            // Sampled up to 50 cycles before the end: the log service keeps its last 100 entries,
            // and a fault's entry holds the driver's exception, whose stack holds the driver's classes
            // (bounded by the log's size, so not a leak).
            if (i % 20 == 0 && i < cycles - 50) {
                loaders.add(new WeakReference<>(b.adapt(BundleWiring.class).getClassLoader()));
            }
            crashAndAwaitRestart(i + 2);
            assertEquals(misc, registry.device("itest_faulty").orElseThrow().number());
            assertEquals(region, registry.device("itest_faulty_region").orElseThrow().number());
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        int threadsAfter = ownThreads();
        for (int i = 0; i < 50 && threadsAfter > threadsBefore; i++) {
            Thread.sleep(100);
            threadsAfter = ownThreads();
        }
        assertTrue("threads before " + threadsBefore + ", after " + threadsAfter + ": " + Thread.getAllStackTraces().keySet(),
                threadsAfter <= threadsBefore);
        long eventThreads = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("EventAdminThread")).count();
        assertTrue("Event Admin's pool stays within its bound: " + eventThreads, eventThreads <= 20);
        assertEquals(0, status("itest_faulty").stuckThreads());
        modules.unload("itest_faulty", false);
        for (int i = 0; i < 50 && loaders.stream().anyMatch(r -> r.get() != null); i++) {
            System.gc();
            Thread.sleep(100);
        }
        assertEquals("driver class loaders still reachable", 0, loaders.stream().filter(r -> r.get() != null).count());
        assertTrue(registry.device("itest_faulty").isEmpty());
        assertTrue(registry.regions().stream().noneMatch(r -> r.name().equals("itest_faulty_region")));
        assertEquals(Errno.ENXIO, errno(() -> registry.open(misc, OpenFlags.O_RDONLY)));
        try (ChrdevRegion again = registry.chrdevRegion("itest_other", DeviceRegistry.DYNAMIC_MAJOR, 0, 1)) {
            assertEquals("no reservation left", region.major(), again.major());
        }
        System.out.printf("SupervisionIT soak: %d crash/restart cycles in %d ms (%.1f ms each), threads %d -> %d, %d class loaders"
                + " sampled and collected%n", cycles, ms, (double) ms / cycles, threadsBefore, threadsAfter, loaders.size());
    }

    /** Live threads, but for Event Admin's bounded delivery pool. */
    private static int ownThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> !t.getName().startsWith("EventAdminThread")).count();
    }

    private void crashAndAwaitRestart(int restarts) throws Exception {
        try (OpenFile f = registry.open("itest_faulty", OpenFlags.O_RDONLY)) {
            assertEquals(Errno.EIO, errno(() -> f.read(ByteBuffer.allocate(1))));
        }
        Await.until("restart " + restarts, () -> status("itest_faulty").restarts() == restarts
                && live("itest_faulty", "itest_faulty") && registry.device("itest_faulty_region").isPresent());
    }
}
