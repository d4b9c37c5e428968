package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.WaitQueue;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Which threads are in a driver's code: what a revoke timeout names, a restart abandons and the watchdog suspects. */
@Timeout(30)
class StuckThreadsTest {
    private final Kernel kernel = new Kernel();
    private final CountDownLatch release = new CountDownLatch(1);
    private final List<Thread> started = new java.util.ArrayList<>();
    private final List<WaitQueue> queues = new java.util.ArrayList<>();

    /** Minor 0's read runs in the driver until released; minor 1's waits in a kernel wait queue. */
    private final class Driver implements FileOperations<Void> {
        final ReentrantLock lock = new ReentrantLock();
        final WaitQueue queue;

        Driver(ModuleRegistry m) {
            queue = m.newWaitQueue(lock);
            queues.add(queue);
        }

        @Override
        public Void open(File file) {
            return null;
        }

        @Override
        public int read(Void data, File file, ByteBuffer dst, long offset) {
            if (file.deviceName().equals("waits")) {
                lock.lock();
                try {
                    queue.waitUntil(file, () -> release.getCount() == 0);
                } finally {
                    lock.unlock();
                }
                return 0;
            }
            idle();
            return 0;
        }

        /** Runs in the driver's code until the test releases it. */
        void idle() {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @AfterEach
    void stop() throws InterruptedException {
        release.countDown();
        queues.forEach(WaitQueue::wakeAll);
        for (Thread t : started) {
            t.join();
        }
    }

    private Thread reader(OpenFile f, String name) {
        Thread t = new Thread(() -> {
            try {
                f.read(ByteBuffer.allocate(1));
            } catch (RuntimeException ignored) {
                // ENODEV if revoked
            }
        }, name);
        started.add(t);
        t.start();
        return t;
    }

    @Test
    void aThreadInTheDriversCodeIsNamedWithWhereItIsAndAParkedOneIsNotCountedAsRunning() throws Exception {
        ModuleRegistry m = kernel.module("d");
        Driver driver = new Driver(m);
        assertEquals("No thread is in the driver's code now.", StuckThreads.describe(driver));
        assertTrue(StuckThreads.running(driver).isEmpty());

        m.registerMisc("spins", MiscDevice.DYNAMIC_MINOR, driver);
        m.registerMisc("waits", MiscDevice.DYNAMIC_MINOR, driver);
        ModuleRegistry user = kernel.module("user");
        Thread inDriver = reader(user.open("spins", OpenFlags.O_RDONLY), "in-driver");
        Thread parked = reader(user.open("waits", OpenFlags.O_RDONLY), "parked");
        Parked.untilInKernelWait(parked);
        Parked.until(() -> inDriver.getState() == Thread.State.WAITING);

        String said = StuckThreads.describe(driver);
        assertTrue(said.startsWith("Abandoned in the driver (a Java thread cannot be stopped): "), said);
        assertTrue(said.contains("'in-driver' (WAITING) at org.devhost.kernel.impl.chrdev.StuckThreadsTest$Driver.idle(StuckThreadsTest.java:"),
                said);
        assertTrue(said.contains("'parked' (WAITING) at org.devhost.kernel.impl.chrdev.StuckThreadsTest$Driver.read("), said);
        assertTrue(said.endsWith(")."), said);

        assertEquals(List.of(inDriver), StuckThreads.running(driver), "a reader parked in a kernel wait is waiting, as it should");
        assertTrue(StuckThreads.runningInDriver(inDriver, driver));
        assertFalse(StuckThreads.runningInDriver(parked, driver));
        java.util.concurrent.atomic.AtomicReference<Thread> idle = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "idle pool thread");
            idle.set(t);
            return t;
        });
        try {
            pool.submit(() -> { }).get();
            Parked.until(() -> idle.get().getState() == Thread.State.WAITING);
            assertFalse(StuckThreads.runningInDriver(idle.get(), driver), "a thread elsewhere is not in the driver");
        } finally {
            pool.shutdownNow();
        }
        assertTrue(StuckThreads.parked(parked, parked.getStackTrace()));
        assertFalse(StuckThreads.parked(inDriver, inDriver.getStackTrace()), "waiting, but on the driver's own latch");
    }

    @Test
    void aDriversOwnThreadIsNotAnOperationAndAnEndedThreadIsNotRunning() throws Exception {
        Driver driver = new Driver(kernel.module("d"));
        Thread own = new Thread(driver::idle, "driver's own");
        started.add(own);
        own.start();
        Parked.until(() -> own.getState() == Thread.State.WAITING);
        assertTrue(StuckThreads.describe(driver).contains("'driver's own' (WAITING)"), "it is in the driver's code");
        assertTrue(StuckThreads.running(driver).isEmpty(), "but no caller waits for it: a restart does not abandon it");
        Thread ended = new Thread(() -> { }, "ended");
        ended.start();
        ended.join();
        assertFalse(StuckThreads.runningInDriver(ended, driver));
    }
}
