package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.Operation;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * 1,000 load/use/unload cycles of every sample driver: install, start, open and use each device,
 * stop, uninstall, refresh. Afterwards nothing is registered, every number is free, the thread
 * count is back where it started and every driver class loader has been collected.
 * {@code -Ditest.soak.cycles=N} changes the count.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SoakIT {
    @Configuration
    public Option[] config() {
        return HostOptions.host();
    }

    /** Every device that the samples register, by name: the same set in every cycle. */
    static final Set<String> EXPECTED_DEVICES = new TreeSet<>(List.of("rust_chrdev0", "rust_chrdev1", "rust_miscdev",
            "rust_semaphore", "rust_random", "scull0", "scull1", "scull2", "scull3", "scullpipe0", "scullpipe1", "scullpipe2",
            "scullpipe3", "null", "zero", "full", "random", "urandom"));

    @Test
    public void thousandCyclesLeaveNothingBehind() throws Exception {
        int cycles = Integer.getInteger("itest.soak.cycles", 1000);
        Probe probe = new Probe(getClass());
        DeviceRegistry registry = probe.registry();
        List<String> supervisor = SupervisorEvents.record(getClass());
        List<String> locations = new ArrayList<>();
        for (String s : SamplesIT.SAMPLES) {
            locations.add(HostOptions.jar(HostOptions.driverArtifact(s)));
        }
        // one warm-up cycle, so that threads the framework starts once (log, event, SCR) already run
        List<WeakReference<ClassLoader>> loaders = new ArrayList<>();
        cycle(probe, registry, locations, new ArrayList<>());
        int threadsBefore = liveThreads();
        long t0 = System.nanoTime();
        long ops = 0;
        for (int i = 0; i < cycles; i++) {
            ops += cycle(probe, registry, locations, i % 100 == 0 ? loaders : null);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;

        assertTrue("devices left: " + registry.devices(), registry.devices().isEmpty());
        assertEquals("regions left: " + registry.regions(), 1, registry.regions().size());
        assertTrue(probe.context.getServiceReferences(Device.class, null).isEmpty());
        int threadsAfter = liveThreads();
        for (int i = 0; i < 50 && threadsAfter > threadsBefore; i++) {
            Thread.sleep(100);
            threadsAfter = liveThreads();
        }
        assertTrue("threads before " + threadsBefore + ", after " + threadsAfter, threadsAfter <= threadsBefore);
        for (int i = 0; i < 50 && loaders.stream().anyMatch(r -> r.get() != null); i++) {
            System.gc();
            Thread.sleep(100);
        }
        long alive = loaders.stream().filter(r -> r.get() != null).count();
        assertEquals("driver class loaders still reachable", 0, alive);
        assertEquals("device operations that answered", (long) cycles * (EXPECTED_DEVICES.size() - 1), ops);
        SupervisorEvents.assertNoneRestarted(getClass(), supervisor);
        System.out.printf("SoakIT: %d cycles of %d drivers in %d ms (%.1f ms per cycle), %d device operations, "
                + "threads %d -> %d, %d class loaders sampled and collected%n", cycles, locations.size(), ms,
                (double) ms / cycles, ops, threadsBefore, threadsAfter, loaders.size());
    }

    /** Loads every sample, uses each device once, unloads and refreshes; returns the operations done. */
    private static long cycle(Probe probe, DeviceRegistry registry, List<String> locations,
            List<WeakReference<ClassLoader>> loaders) throws Exception {
        List<Bundle> bundles = new ArrayList<>();
        long tStart = System.nanoTime();
        for (String l : locations) {
            Bundle b = probe.context.installBundle(l);
            b.start();
            bundles.add(b);
            if (loaders != null) {
                loaders.add(new WeakReference<>(b.adapt(BundleWiring.class).getClassLoader()));
            }
        }
        long tInstalled = System.nanoTime();
        if (Boolean.getBoolean("itest.soak.timing")) {
            System.out.printf("install+start %d ms, ", (tInstalled - tStart) / 1_000_000);
        }
        Set<String> names = registry.devices().stream().map(Device::name).collect(Collectors.toCollection(TreeSet::new));
        assertEquals("the devices of one cycle", EXPECTED_DEVICES, names);
        long ops = 0;
        for (Device d : registry.devices()) {
            try (OpenFile f = registry.open(d.number(), OpenFlags.O_RDWR | OpenFlags.O_NONBLOCK)) {
                if (d.operations().contains(Operation.WRITE)) {
                    f.write(ByteBuffer.allocate(1));
                }
                if (d.operations().contains(Operation.READ)) {
                    f.read(ByteBuffer.allocate(16));
                }
                ops++;
            } catch (KernelException e) {
                // only full refuses: its write is ENOSPC by definition; anything else is a failure
                if (!(d.name().equals("full") && e.errno() == Errno.ENOSPC)) {
                    throw new AssertionError(d.name() + ": " + e.getMessage(), e);
                }
            }
        }
        assertEquals("every device but full answered write and read", EXPECTED_DEVICES.size() - 1, ops);
        long tUsed = System.nanoTime();
        for (Bundle b : bundles) {
            b.uninstall();
        }
        long tUninstalled = System.nanoTime();
        CountDownLatch refreshed = new CountDownLatch(1);
        probe.context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(bundles, e -> {
            if (e.getType() == FrameworkEvent.PACKAGES_REFRESHED) {
                refreshed.countDown();
            }
        });
        assertTrue(refreshed.await(30, TimeUnit.SECONDS));
        if (Boolean.getBoolean("itest.soak.timing")) {
            System.out.printf("use %d ms, uninstall %d ms, refresh %d ms%n", (tUsed - tInstalled) / 1_000_000,
                    (tUninstalled - tUsed) / 1_000_000, (System.nanoTime() - tUninstalled) / 1_000_000);
        }
        return ops;
    }

    private static int liveThreads() {
        return Thread.getAllStackTraces().size();
    }
}
