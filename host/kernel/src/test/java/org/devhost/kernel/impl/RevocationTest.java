package org.devhost.kernel.impl;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A device taken away while in use: Linux's order for a forced unload, and the kernel waits. */
@Timeout(30)
class RevocationTest {
    private final Kernel kernel = new Kernel();
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
        ModuleRegistry module = kernel.module("driver");
        Driver driver = new Driver(module);
        ChrdevRegion region = module.chrdevRegion("revoke", 0, 0, 2);
        region.register(driver);
        region.register(driver);
        DeviceNumber blockingDev = DeviceNumber.of(region.major(), 0);
        DeviceNumber slowDev = DeviceNumber.of(region.major(), 1);

        OpenFile blocked = user.open(blockingDev, OpenFlags.O_RDONLY);
        OpenFile slow = user.open(slowDev, OpenFlags.O_RDONLY);
        OpenFile idle = user.open(slowDev, OpenFlags.O_RDONLY);

        CompletableFuture<Throwable> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                blocked.read(ByteBuffer.allocate(1));
                return null;
            } catch (Throwable t) {
                return t;
            }
        }, threads);
        CompletableFuture<Integer> inFlight = CompletableFuture.supplyAsync(() -> slow.read(ByteBuffer.allocate(1)), threads);
        assertTrue(driver.inSlowRead.await(5, TimeUnit.SECONDS));
        Thread.sleep(50); // let the waiter reach its wait

        CompletableFuture<Void> unload = CompletableFuture.runAsync(region::close, threads);

        // The blocked reader wakes with ENODEV while the in-flight read is still running.
        Throwable woken = waiter.get(5, TimeUnit.SECONDS);
        assertTrue(woken instanceof KernelException, String.valueOf(woken));
        assertEquals(Errno.ENODEV, ((KernelException) woken).errno());
        assertFalse(inFlight.isDone());
        assertFalse(unload.isDone(), "the unload waits for the read in flight");
        // New opens fail with ENODEV while the device is going away.
        assertEquals(Errno.ENODEV, assertThrows(KernelException.class, () -> user.open(slowDev, OpenFlags.O_RDONLY)).errno());
        assertEquals(2, driver.releases.get(), "release ran for the idle file and the woken waiter's, not for the one in use");

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
    void aHungOperationDelaysUnloadOnlyUpToTheBoundedWait() throws Exception {
        ModuleRegistry module = kernel.module("hung");
        Driver driver = new Driver(module);
        MiscDevice misc = module.registerMisc("hung", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            public Void open(File f) { return null; }
            public int read(Void d, File f, ByteBuffer dst, long off) { return driver.read(d, f, dst, off); }
            public void release(Void d, File f) { driver.releases.incrementAndGet(); }
        });
        OpenFile f = user.open(misc.device().number(), OpenFlags.O_RDONLY);
        // minor 256, not 0: the read parks in the driver
        CompletableFuture<Integer> stuck = CompletableFuture.supplyAsync(() -> f.read(ByteBuffer.allocate(1)), threads);
        assertTrue(driver.inSlowRead.await(5, TimeUnit.SECONDS));
        long t0 = System.nanoTime();
        misc.close(); // the table's bounded wait is 2 s in these tests
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waitedMs >= 1900, "waited " + waitedMs + " ms");
        assertTrue(user.devices().isEmpty(), "the number is free although an operation still runs");
        assertTrue(kernel.log.stream().anyMatch(l -> l.contains("still running")), kernel.log.toString());
        assertEquals(0, driver.releases.get(), "release waits for the operation");
        driver.finishSlowRead.countDown();
        assertEquals(1, stuck.get(5, TimeUnit.SECONDS));
        assertEquals(1, driver.releases.get(), "then runs once");
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
        Thread.sleep(100);
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
