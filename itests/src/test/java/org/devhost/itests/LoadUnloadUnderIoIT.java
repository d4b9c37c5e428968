package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.net.URL;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.devhost.itests.drivers.CountingDriver;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.junit.After;
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

/** Unload, update and faults of a driver while its devices are in use. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class LoadUnloadUnderIoIT {
    private static final DeviceNumber FAST = DeviceNumber.of(CountingDriver.MAJOR, 0);
    private static final DeviceNumber BLOCKING = DeviceNumber.of(CountingDriver.MAJOR, 1);

    @Configuration
    public Option[] config() throws Exception {
        return CoreOptions.options(CoreOptions.composite(HostOptions.host("rust_chrdev")),
                CoreOptions.systemProperty("itest.counting.v1").value(HostOptions.countingDriver(1)),
                CoreOptions.systemProperty("itest.counting.v2").value(HostOptions.countingDriver(2)));
    }

    private Probe probe;
    private DeviceRegistry registry;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private List<String> supervisor;

    @Before
    public void setUp() throws Exception {
        probe = new Probe(getClass());
        registry = probe.registry();
        supervisor = SupervisorEvents.record(getClass());
    }

    @After
    public void tearDown() throws Exception {
        threads.shutdownNow();
        System.clearProperty("itest.deactivate");
        SupervisorEvents.assertNoneRestarted(getClass(), supervisor);
    }

    private Bundle loadCounting() throws Exception {
        Bundle b = probe.context.installBundle(System.getProperty("itest.counting.v1"));
        b.start();
        Await.until("itest devices", () -> registry.device(FAST).isPresent());
        return b;
    }

    /**
     * 4 threads open/read/write/ioctl/close in a loop and 2 are blocked in reads while the driver
     * stops: every failure is ENODEV or ENXIO, blocked readers return within 5 s, release ran once
     * per successful open. 50 times.
     */
    @Test
    public void unloadUnderIo() throws Exception {
        long ops = 0;
        for (int round = 0; round < 50; round++) {
            Bundle b = loadCounting();
            Supplier<int[]> counters = probe.counters();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong done = new AtomicLong();
            Map<String, Integer> failures = new ConcurrentHashMap<>();
            List<Future<?>> all = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                all.add(threads.submit(() -> {
                    while (!stop.get()) {
                        try (OpenFile f = registry.open(FAST, OpenFlags.O_RDWR)) {
                            f.read(ByteBuffer.allocate(1));
                            f.write(ByteBuffer.allocate(8));
                            f.ioctl(1, 0);
                            done.incrementAndGet();
                        } catch (KernelException e) {
                            failures.merge(e.errno().name(), 1, Integer::sum);
                            if (e.errno() != Errno.ENODEV && e.errno() != Errno.ENXIO) {
                                throw e;
                            }
                            if (e.errno() == Errno.ENXIO) {
                                return; // the device is gone
                            }
                        }
                    }
                }));
            }
            List<Thread> readerThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Future<Errno>> readers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                readers.add(threads.submit(() -> {
                    readerThreads.add(Thread.currentThread());
                    try (OpenFile f = registry.open(BLOCKING, OpenFlags.O_RDONLY)) {
                        f.read(ByteBuffer.allocate(1));
                        return null;
                    } catch (KernelException e) {
                        return e.errno();
                    }
                }));
            }
            // Unload only once both readers are parked in the kernel wait and the I/O threads are
            // getting through cycles: otherwise the round could pass without reaching either path.
            Await.until("2 readers parked in the kernel wait", () -> readerThreads.size() == 2
                    && readerThreads.stream().allMatch(LoadUnloadUnderIoIT::parkedInKernelWait));
            long before = done.get();
            Await.until("I/O cycles completing", () -> done.get() >= before + 20);
            int[] opened = counters.get();
            assertTrue("opens counted: " + opened[0], opened[0] >= before + 20 + 2);
            b.stop();
            for (Future<Errno> r : readers) {
                assertEquals(Errno.ENODEV, r.get(5, TimeUnit.SECONDS));
            }
            stop.set(true);
            for (Future<?> f : all) {
                f.get(5, TimeUnit.SECONDS); // a KernelException other than ENODEV/ENXIO fails here
            }
            int[] c = counters.get();
            assertEquals("release once per open, round " + round + " " + failures, c[0], c[1]);
            assertTrue(registry.devices().stream().noneMatch(d -> d.module().equals("itest_counting")));
            ops += done.get();
            b.uninstall();
        }
        System.out.println("LoadUnloadUnderIoIT.unloadUnderIo: 50 rounds, " + ops + " open/read/write/ioctl/close cycles");
    }

    /** True while {@code t} is parked in a kernel wait queue (not running, not blocked on a lock). */
    static boolean parkedInKernelWait(Thread t) {
        return org.devhost.kernel.testing.TestKernel.isParked(t); // the testing kit's check, in the framework too
    }

    /** update while files are open: old handles ENODEV, new opens reach the new version on the same numbers. */
    @Test
    public void updateUnderIo() throws Exception {
        Bundle b = loadCounting();
        OpenFile old = registry.open(FAST, OpenFlags.O_RDONLY);
        ByteBuffer v = ByteBuffer.allocate(1);
        old.read(v);
        assertEquals(1, v.get(0));
        try (InputStream in = new URL(System.getProperty("itest.counting.v2")).openStream()) {
            b.update(in);
        }
        Await.until("version 2 devices", () -> registry.device(FAST).isPresent());
        assertEquals(Errno.ENODEV, Probe.expect(() -> old.read(ByteBuffer.allocate(1))).errno());
        old.close();
        try (OpenFile f = registry.open(FAST, OpenFlags.O_RDONLY)) {
            ByteBuffer w = ByteBuffer.allocate(1);
            f.read(w);
            assertEquals("the new version answers", 2, w.get(0));
        }
        assertEquals(FAST, registry.device("itest0").get().number());
        b.uninstall();
    }

    @Test
    public void aDriverBugIsEioTheOtherFilesWorkAndTheLogNamesTheDriver() throws Exception {
        Bundle b = loadCounting();
        KernelLog log = probe.service(KernelLog.class);
        try (OpenFile a = registry.open(FAST, OpenFlags.O_RDONLY); OpenFile other = registry.open(FAST, OpenFlags.O_RDONLY)) {
            assertEquals(Errno.EIO, Probe.expect(() -> a.read(ByteBuffer.allocate(13))).errno());
            assertEquals(1, a.read(ByteBuffer.allocate(1)));
            assertEquals(1, other.read(ByteBuffer.allocate(1)));
        }
        Await.until("the log names the driver", () -> log.lines().stream().anyMatch(
                l -> l.source().equals("itest_counting") && l.message().contains("read on itest0 threw")));
        assertEquals(Bundle.ACTIVE, probe.context.getBundle(0).getState());
        b.uninstall();
    }

    @Test
    public void aDeactivateThatThrowsStillLosesItsDevices() throws Exception {
        Bundle b = loadCounting();
        OpenFile f = registry.open(FAST, OpenFlags.O_RDONLY);
        System.setProperty("itest.deactivate", "throw");
        b.stop();
        assertEquals(Bundle.RESOLVED, b.getState());
        assertTrue(registry.device(FAST).isEmpty());
        assertTrue(registry.regions().stream().noneMatch(r -> r.major() == CountingDriver.MAJOR));
        assertEquals(Errno.ENODEV, Probe.expect(() -> f.read(ByteBuffer.allocate(1))).errno());
        System.clearProperty("itest.deactivate");
        b.uninstall();
    }

    /**
     * A read that never returns: it is stuck in the driver, not parked in a kernel wait, so
     * revocation cannot wake it. The unload still ends after the bounded wait: the devices and
     * numbers are gone, other open files get ENODEV, and the log names the abandoned thread. When
     * the read finally returns, its file is released then, once.
     */
    @Test
    public void anOperationThatNeverReturnsIsAbandonedAndTheUnloadCompletes() throws Exception {
        CountDownLatch unstick = new CountDownLatch(1);
        System.getProperties().put(CountingDriver.STUCK, unstick);
        try {
            Bundle b = loadCounting();
            Supplier<int[]> counters = probe.counters();
            KernelLog log = probe.service(KernelLog.class);
            OpenFile idle = registry.open(BLOCKING, OpenFlags.O_RDONLY);
            OpenFile busy = registry.open(FAST, OpenFlags.O_RDONLY);
            Thread stuck = new Thread(() -> {
                try {
                    busy.read(ByteBuffer.allocate(7));
                } catch (KernelException e) {
                    // whatever it gets when it comes back is not what this test is about
                }
            }, "itest-stuck-in-driver");
            stuck.start();
            Await.until("the reader stuck in the driver's read", () -> stuck.getState() == Thread.State.WAITING
                    && java.util.Arrays.stream(stuck.getStackTrace()).anyMatch(
                            f -> f.getClassName().equals(CountingDriver.class.getName()) && f.getMethodName().equals("read")));
            b.stop(); // returns after the revoke timeout, with the read still stuck
            assertTrue(stuck.isAlive());
            assertEquals(Bundle.RESOLVED, b.getState());
            assertTrue(registry.device(FAST).isEmpty() && registry.device(BLOCKING).isEmpty());
            assertTrue(registry.regions().stream().noneMatch(r -> r.major() == CountingDriver.MAJOR));
            assertEquals(Errno.ENODEV, Probe.expect(() -> idle.read(ByteBuffer.allocate(1))).errno());
            assertTrue(Await.lastLogLines(), log.lines().stream().anyMatch(l -> l.source().equals("itest_counting")
                    && l.message().contains("still running after the revoke timeout")
                    && l.message().contains("'itest-stuck-in-driver' (WAITING) at " + CountingDriver.class.getName() + ".read")));
            int[] c = counters.get();
            assertEquals("every file but the stuck one is released", c[0] - 1, c[1]);
            unstick.countDown();
            stuck.join(5000);
            assertEquals("the stuck file is released once its read returns", c[0], counters.get()[1]);
            // the numbers can be taken again at once
            b.start();
            Await.until("itest devices again", () -> registry.device(FAST).isPresent());
            b.uninstall();
        } finally {
            unstick.countDown();
            System.getProperties().remove(CountingDriver.STUCK);
        }
    }

    @Test
    public void restartingTheKernelTakesEveryDriverDownAndBringsThemBack() throws Exception {
        Await.until("rust_chrdev", () -> registry.device("rust_chrdev0").isPresent());
        OpenFile f = registry.open("rust_chrdev0", OpenFlags.O_RDONLY);
        Bundle kernel = probe.bundle("org.devhost.kernel");
        kernel.stop();
        assertEquals(Errno.ENODEV, Probe.expect(() -> f.poll()).errno());
        assertTrue(probe.context.getServiceReferences(Device.class, null).isEmpty());
        kernel.start();
        DeviceRegistry again = probe.registry();
        Await.until("rust_chrdev back", () -> again.device("rust_chrdev0").isPresent());
        assertEquals(254, again.device("rust_chrdev0").get().number().major());
    }
}
