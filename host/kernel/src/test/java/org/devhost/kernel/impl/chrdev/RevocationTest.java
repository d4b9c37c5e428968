package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.WaitQueue;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A device taken away while in use: Linux's order for a forced unload, and the kernel waits. */
@Timeout(30)
class RevocationTest {
    private final Kernel kernel = new Kernel();
    /** A revoke timeout that no test reaches: what must happen before it is asserted without racing it. */
    private final Kernel patient = new Kernel(3_600_000);
    private final ModuleRegistry user = kernel.module("user");
    /** One thread per task: the common pool has a single worker on a 2-core machine. */
    private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();

    @org.junit.jupiter.api.AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    /**
     * A device with two ways to read: from minor 0 a read blocks in a kernel wait until data
     * arrives (never, here); from minor 1 a read parks inside the driver until the test lets it go.
     */
    private final class Driver implements FileOperations<Void> {
        final ReentrantLock lock = new ReentrantLock();
        final WaitQueue queue;
        final CountDownLatch inSlowRead = new CountDownLatch(1);
        final CountDownLatch finishSlowRead = new CountDownLatch(1);
        final AtomicInteger opens = new AtomicInteger();
        final AtomicInteger releases = new AtomicInteger();

        Driver(ModuleRegistry module) {
            queue = module.newWaitQueue(lock);
        }

        @Override
        public Void open(File file) {
            opens.incrementAndGet();
            return null;
        }

        @Override
        public void release(Void data, File file) {
            releases.incrementAndGet();
        }

        @Override
        public int read(Void data, File file, ByteBuffer dst, long offset) {
            if (file.device().minor() == 0) {
                lock.lock();
                try {
                    queue.waitUntil(file, () -> false);
                    return 0;
                } finally {
                    lock.unlock();
                }
            }
            inSlowRead.countDown();
            try {
                finishSlowRead.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            dst.put((byte) 7);
            return 1;
        }
    }

    @Test
    void blockedWaiterGetsEnodevInFlightReadCompletesReleaseRunsOnceAndStaleHandlesGetEnodev() throws Exception {
        ModuleRegistry user = patient.module("user");
        ModuleRegistry module = patient.module("driver");
        Driver driver = new Driver(module);
        ChrdevRegion region = module.chrdevRegion("revoke", 0, 0, 2);
        region.register(driver);
        region.register(driver);
        DeviceNumber blockingDev = DeviceNumber.of(region.major(), 0);
        DeviceNumber slowDev = DeviceNumber.of(region.major(), 1);

        OpenFile blocked = user.open(blockingDev, OpenFlags.O_RDONLY);
        OpenFile slow = user.open(slowDev, OpenFlags.O_RDONLY);
        OpenFile idle = user.open(slowDev, OpenFlags.O_RDONLY);

        java.util.concurrent.atomic.AtomicReference<Thread> waiterThread = new java.util.concurrent.atomic.AtomicReference<>();
        CompletableFuture<Throwable> waiter = CompletableFuture.supplyAsync(() -> {
            waiterThread.set(Thread.currentThread());
            try {
                blocked.read(ByteBuffer.allocate(1));
                return null;
            } catch (Throwable t) {
                return t;
            }
        }, threads);
        CompletableFuture<Integer> inFlight = CompletableFuture.supplyAsync(() -> slow.read(ByteBuffer.allocate(1)), threads);
        assertTrue(driver.inSlowRead.await(5, TimeUnit.SECONDS));
        Parked.until(() -> waiterThread.get() != null);
        Parked.untilInKernelWait(waiterThread.get());

        CompletableFuture<Void> unload = CompletableFuture.runAsync(region::close, threads);

        // The blocked reader wakes with ENODEV while the in-flight read is still running.
        Throwable woken = waiter.get(5, TimeUnit.SECONDS);
        assertTrue(woken instanceof KernelException, String.valueOf(woken));
        assertEquals(Errno.ENODEV, ((KernelException) woken).errno());
        assertFalse(inFlight.isDone());
        assertFalse(unload.isDone(), "the unload waits for the read in flight");
        // New opens fail with ENODEV while the device is going away.
        assertEquals(Errno.ENODEV, assertThrows(KernelException.class, () -> user.open(slowDev, OpenFlags.O_RDONLY)).errno());
        // release runs for the idle file and the woken waiter's, not for the one in use, which the unload waits for
        Parked.until(() -> driver.releases.get() == 2);
        assertFalse(inFlight.isDone());
        assertFalse(unload.isDone(), "the unload still waits for the read in flight");
        assertEquals(2, driver.releases.get());

        driver.finishSlowRead.countDown();
        assertEquals(1, inFlight.get(5, TimeUnit.SECONDS), "the in-flight read completes with its data");
        unload.get(5, TimeUnit.SECONDS);

        assertEquals(3, driver.opens.get());
        assertEquals(3, driver.releases.get(), "release exactly once per file");
        for (OpenFile f : new OpenFile[] {blocked, slow, idle}) {
            assertEquals(Errno.ENODEV, assertThrows(KernelException.class, () -> f.read(ByteBuffer.allocate(1))).errno());
            f.close();
        }
        assertEquals(3, driver.releases.get(), "closing a revoked handle does not release again");
        assertEquals(Errno.ENXIO, assertThrows(KernelException.class, () -> user.open(slowDev, OpenFlags.O_RDONLY)).errno());
        assertTrue(user.devices().isEmpty());
    }

    @Test
    void aHungOperationDelaysUnloadOnlyUpToTheBoundedWaitAndItsThreadIsNamed() throws Exception {
        ModuleRegistry module = kernel.module("hung");
        Driver driver = new Driver(module);
        MiscDevice misc = module.registerMisc("hung", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            public Void open(File f) { return null; }
            public int read(Void d, File f, ByteBuffer dst, long off) { return driver.read(d, f, dst, off); }
            public void release(Void d, File f) { driver.releases.incrementAndGet(); }
        });
        OpenFile f = user.open(misc.device().number(), OpenFlags.O_RDONLY);
        // minor 256, not 0: the read parks in the driver, outside any kernel wait
        CompletableFuture<Integer> stuck = CompletableFuture.supplyAsync(() -> {
            Thread.currentThread().setName("itest-stuck-reader");
            return f.read(ByteBuffer.allocate(1));
        }, threads);
        assertTrue(driver.inSlowRead.await(5, TimeUnit.SECONDS));
        misc.close(); // returns after the table's bounded wait (2 s in these tests), not when the read ends
        assertTrue(user.devices().isEmpty(), "the number is free although an operation still runs");
        assertFalse(stuck.isDone(), "the read is still in the driver");
        String warning = kernel.log.stream().filter(l -> l.contains("still running after the revoke timeout")).findFirst()
                .orElseThrow(() -> new AssertionError(kernel.log.toString()));
        assertTrue(warning.contains("'itest-stuck-reader' (WAITING) at org.devhost.kernel.impl.chrdev.RevocationTest$Driver.read"), warning);
        assertEquals(0, driver.releases.get(), "release waits for the operation");
        driver.finishSlowRead.countDown();
        assertEquals(1, stuck.get(5, TimeUnit.SECONDS));
        assertEquals(1, driver.releases.get(), "then runs once");
    }

    /** Three devices of one module, each with a read stuck in the driver: one bounded wait for all. */
    @Test
    void stuckDevicesOfOneModuleShareOneRevokeTimeout() throws Exception {
        ModuleRegistry module = kernel.module("stuck3");
        CountDownLatch finish = new CountDownLatch(1);
        CountDownLatch inRead = new CountDownLatch(3);
        FileOperations<Void> stuckRead = new FileOperations<>() {
            public Void open(File f) { return null; }
            public int read(Void d, File f, ByteBuffer dst, long off) {
                inRead.countDown();
                try {
                    finish.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 0;
            }
        };
        for (int i = 0; i < 3; i++) {
            MiscDevice m = module.registerMisc("stuck" + i, MiscDevice.DYNAMIC_MINOR, stuckRead);
            OpenFile f = user.open(m.device().number(), OpenFlags.O_RDONLY);
            threads.submit(() -> f.read(ByteBuffer.allocate(1)));
        }
        assertTrue(inRead.await(5, TimeUnit.SECONDS));
        module.context().release(); // the module goes: three registrations, closed one after another
        assertTrue(user.devices().isEmpty());
        assertEquals(1, kernel.log.stream().filter(l -> l.contains("still running after the revoke timeout")).count(),
                kernel.log.toString());
        assertEquals(2, kernel.log.stream().filter(l -> l.contains("not waiting again")).count(), kernel.log.toString());
        assertTrue(module.context().revocationStuck());
        finish.countDown();
        Parked.until(() -> !module.context().revocationStuck()); // once they return, later waits get their own bound
    }

    /** Ctrl-C on the unloading thread does not cut the bounded wait short: numbers are never reused under a running read. */
    @Test
    void anInterruptedUnloadStillWaitsForTheOperationInFlight() throws Exception {
        ModuleRegistry user = patient.module("user");
        ModuleRegistry module = patient.module("driver");
        Driver driver = new Driver(module);
        MiscDevice misc = module.registerMisc("slow", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            public Void open(File f) { return null; }
            public int read(Void d, File f, ByteBuffer dst, long off) { return driver.read(d, f, dst, off); }
        });
        OpenFile f = user.open(misc.device().number(), OpenFlags.O_RDONLY);
        CompletableFuture<Integer> inFlight = CompletableFuture.supplyAsync(() -> f.read(ByteBuffer.allocate(1)), threads);
        assertTrue(driver.inSlowRead.await(5, TimeUnit.SECONDS));
        java.util.concurrent.atomic.AtomicBoolean stillInterrupted = new java.util.concurrent.atomic.AtomicBoolean();
        Thread unload = new Thread(() -> {
            misc.close();
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        }, "unload");
        unload.start();
        Parked.until(() -> unload.getState() == Thread.State.TIMED_WAITING);
        unload.interrupt();
        // The flag clears only when the wait throws; a correct unload then parks again (until the
        // read ends), a wrong one goes on and ends. Wait for one or the other, not for a time.
        Parked.until(() -> !unload.isAlive()
                || (!unload.isInterrupted() && unload.getState() == Thread.State.TIMED_WAITING));
        assertTrue(unload.isAlive(), "the unload still waits for the read");
        assertTrue(user.device("slow").isPresent(), "the number is not free while the read runs");
        driver.finishSlowRead.countDown();
        assertEquals(1, inFlight.get(5, TimeUnit.SECONDS));
        unload.join();
        assertTrue(user.device("slow").isEmpty());
        assertTrue(stillInterrupted.get(), "the interrupt is kept for the caller");
        assertTrue(patient.log.stream().noneMatch(l -> l.contains("still running")), patient.log.toString());
        f.close();
    }

    @Test
    void waitsEndWithEagainWhenNonBlockingAndEintrWhenInterrupted() throws Exception {
        ModuleRegistry module = kernel.module("driver");
        Driver driver = new Driver(module);
        ChrdevRegion region = module.chrdevRegion("waits", 0, 0, 1);
        region.register(driver);
        try (OpenFile nb = user.open("waits", OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK)) {
            assertEquals(Errno.EAGAIN, assertThrows(KernelException.class, () -> nb.read(ByteBuffer.allocate(1))).errno());
        }
        OpenFile f = user.open("waits", OpenFlags.O_RDONLY);
        CompletableFuture<Throwable> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.read(ByteBuffer.allocate(1));
                result.complete(null);
            } catch (Throwable e) {
                result.complete(e);
            }
        });
        t.start();
        Parked.untilInKernelWait(t);
        t.interrupt();
        Throwable e = result.get(5, TimeUnit.SECONDS);
        assertEquals(Errno.EINTR, ((KernelException) e).errno());
        f.close();
        assertEquals(2, driver.releases.get());
        region.close();
    }

    @Test
    void closeRacingWithUseReleasesExactlyOnce() throws InterruptedException, ExecutionException {
        ModuleRegistry module = kernel.module("race");
        AtomicInteger opens = new AtomicInteger();
        AtomicInteger releases = new AtomicInteger();
        MiscDevice misc = module.registerMisc("race", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            public Void open(File f) { opens.incrementAndGet(); return null; }
            public void release(Void d, File f) { releases.incrementAndGet(); }
            public int poll(Void d, File f) { return 1; }
        });
        for (int round = 0; round < 200; round++) {
            OpenFile f = user.open("race", OpenFlags.O_RDONLY);
            CompletableFuture<Void> a = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 100; i++) {
                    try {
                        f.poll();
                    } catch (KernelException e) {
                        assertEquals(Errno.EBADF, e.errno());
                    }
                }
            }, threads);
            f.close();
            a.get();
        }
        misc.close();
        assertEquals(200, opens.get());
        assertEquals(200, releases.get());
    }
}
