package org.devhost.kernel.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.DeviceRegistry;
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

/** The testing kit as a driver author uses it, starting with its Javadoc example. */
@Timeout(30)
class TestKernelTest {
    /** The {@link TestKernel} Javadoc example, as written there. */
    @Test
    void theJavadocExampleRuns() {
        TestKernel kernel = new TestKernel();
        DeviceRegistry driver = kernel.load("hello");
        driver.registerMisc("hello", MiscDevice.DYNAMIC_MINOR, (File f) -> null);   // init
        DeviceRegistry user = kernel.load("user");
        try (OpenFile f = user.open("hello", OpenFlags.O_RDONLY)) {
            kernel.logger("hello").info("opened {}", f.deviceName());
        }
        kernel.unload(driver);                                                     // drop
        assertTrue(user.device("hello").isEmpty());
        assertTrue(kernel.messages("hello").contains("opened hello"));
    }

    /** Registers "never": a misc device whose read waits in a kernel wait that never becomes ready. */
    private static void registerNever(DeviceRegistry driver) {
        ReentrantLock lock = new ReentrantLock();
        WaitQueue queue = driver.newWaitQueue(lock);
        driver.registerMisc("never", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            public Void open(File f) { return null; }
            public int read(Void d, File f, ByteBuffer dst, long off) {
                lock.lock();
                try {
                    queue.waitUntil(f, () -> false);
                    return 0;
                } finally {
                    lock.unlock();
                }
            }
        });
    }

    /** The {@link Caller} Javadoc example: a read parked in the wait, then interrupted: EINTR. */
    @Test
    void theCallerExampleRuns() throws Exception {
        TestKernel kernel = new TestKernel();
        DeviceRegistry driver = kernel.load("never");
        registerNever(driver);
        OpenFile file = kernel.load("user").open("never", OpenFlags.O_RDONLY);
        ByteBuffer buffer = ByteBuffer.allocate(1);
        Caller<Integer> reader = Caller.start("reader", () -> file.read(buffer)).parked();
        reader.thread().interrupt();            // EINTR, for certain in the wait
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> reader.result().get());
        assertEquals(Errno.EINTR, ((KernelException) e.getCause()).errno());
        Caller<Integer> quick = Caller.start("quick", () -> 7);
        quick.result().get();
        assertThrows(AssertionError.class, quick::parked, "a call that ended never parks");
    }

    @Test
    void aReaderParkedInAKernelWaitIsSeenAndUnloadEndsItWithEnodev() throws Exception {
        TestKernel kernel = new TestKernel(Duration.ofSeconds(10));
        DeviceRegistry driver = kernel.load("never");
        registerNever(driver);
        OpenFile f = kernel.load("user").open("never", OpenFlags.O_RDONLY);
        AtomicReference<Errno> got = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                f.read(ByteBuffer.allocate(1));
            } catch (KernelException e) {
                got.set(e.errno());
            }
        }, "reader");
        assertTrue(!TestKernel.isParked(Thread.currentThread()));
        reader.start();
        TestKernel.awaitParked(reader, Duration.ofSeconds(10));
        kernel.unload(driver);
        reader.join();
        assertEquals(Errno.ENODEV, got.get());
        assertThrows(AssertionError.class, () -> TestKernel.awaitParked(reader, Duration.ofSeconds(10)), "an ended thread");
    }
}
