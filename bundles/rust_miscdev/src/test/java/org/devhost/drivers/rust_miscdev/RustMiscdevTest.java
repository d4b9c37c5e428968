package org.devhost.drivers.rust_miscdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.testing.Caller;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RustMiscdevTest {
    private final TestKernel kernel = new TestKernel(java.time.Duration.ofMillis(5000));
    private final DeviceRegistry user = kernel.load("user");
    private final DeviceRegistry module = kernel.load("rust_miscdev");
    private final RustMiscdev driver = publish(new RustMiscdev(module, kernel.logger("rust_miscdev")));

    /** What the host's whiteboard does with the component's service (@MiscDeviceProperties name rust_miscdev). */
    private RustMiscdev publish(RustMiscdev d) {
        module.registerMisc("rust_miscdev", MiscDevice.DYNAMIC_MINOR, d);
        return d;
    }
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
        kernel.unload(module);
    }

    private int readToken(int flags) {
        try (OpenFile f = user.open("rust_miscdev", OpenFlags.O_RDONLY | flags)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            int n = f.read(b);
            if (n == 1) {
                assertEquals(1, b.get(0), "a token reads as the byte 0x01");
            }
            return n;
        }
    }

    private void writeToken(OpenFile f) {
        assertEquals(3, f.write(ByteBuffer.wrap("abc".getBytes())), "write returns the full length");
    }

    @Test
    void aMiscDeviceOnADynamicMinor() {
        assertEquals(DeviceNumber.of(MiscDevice.MISC_MAJOR, 256), user.device("rust_miscdev").orElseThrow().number());
    }

    @Test
    void tokensGoInAndOutAndAreCappedAtThree() {
        try (OpenFile w = user.open("rust_miscdev", OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK)) {
            writeToken(w);
            writeToken(w);
            writeToken(w);
            assertEquals(3, driver.tokens());
            assertEquals(Errno.EAGAIN, assertThrows(KernelException.class, () -> writeToken(w)).errno());
        }
        assertEquals(1, readToken(0));
        assertEquals(2, driver.tokens());
        try (OpenFile f = user.open("rust_miscdev", OpenFlags.O_RDONLY)) {
            assertEquals(0, f.read(ByteBuffer.allocate(0)), "empty buffer reads 0");
            assertEquals(1, f.read(ByteBuffer.allocate(1)));
            assertEquals(0, f.read(ByteBuffer.allocate(1)), "at offset 1 a read returns 0");
        }
        assertEquals(1, readToken(0));
        assertEquals(Errno.EAGAIN, assertThrows(KernelException.class, () -> readToken(OpenFlags.O_NONBLOCK)).errno());
    }

    @Test
    void anInterruptedWaitIsEintr() throws Exception {
        Caller<Errno> reader = Caller.start("reader", () -> {
            try {
                readToken(0);
                return null;
            } catch (KernelException e) {
                return e.errno();
            }
        }).parked(); // really blocked in the kernel wait: no token is held
        reader.thread().interrupt();
        assertEquals(Errno.EINTR, reader.result().get(5, TimeUnit.SECONDS));
    }

    /** 4 writers and 4 readers move 10,000 tokens; never more than 3 are held; everyone finishes. */
    @Test
    void fourWritersAndFourReadersMoveTenThousandTokens() throws Exception {
        AtomicInteger read = new AtomicInteger();
        List<Future<?>> all = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            all.add(threads.submit(() -> {
                try (OpenFile w = user.open("rust_miscdev", OpenFlags.O_WRONLY)) {
                    for (int i = 0; i < 2500; i++) {
                        writeToken(w);
                    }
                }
            }));
            all.add(threads.submit(() -> {
                for (int i = 0; i < 2500; i++) {
                    read.addAndGet(readToken(0));
                }
            }));
        }
        for (Future<?> f : all) {
            f.get(30, TimeUnit.SECONDS);
        }
        assertEquals(10_000, read.get());
        assertEquals(0, driver.tokens());
        int maxSeen = driver.maxSeen();
        assertTrue(maxSeen >= 1 && maxSeen <= RustMiscdev.MAX_TOKENS, "tokens held at most: " + maxSeen);
    }

    /**
     * Traffic, then the driver unloaded in the middle of it: the writers hold open files, so each
     * ends with ENODEV; a reader opens per token, so it ends with ENODEV (open or waiting when the
     * device went) or ENOENT (opening after it went). Every token moved is accounted for.
     */
    @Test
    void unloadInTheMiddleEndsEveryWriterWithEnodevAndEveryReaderWithEnodevOrEnoent() throws Exception {
        AtomicInteger written = new AtomicInteger();
        AtomicInteger read = new AtomicInteger();
        List<Future<Errno>> writers = new ArrayList<>();
        List<Future<Errno>> readers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            OpenFile w = user.open("rust_miscdev", OpenFlags.O_WRONLY); // open before the unload, on this thread
            writers.add(threads.submit(() -> {
                try (w) {
                    while (true) {
                        writeToken(w);
                        written.incrementAndGet();
                    }
                } catch (KernelException e) {
                    return e.errno();
                }
            }));
            readers.add(threads.submit(() -> {
                try {
                    while (true) {
                        read.addAndGet(readToken(0));
                    }
                } catch (KernelException e) {
                    return e.errno();
                }
            }));
        }
        while (read.get() < 2000) { // the traffic is really flowing: wait for the counter, not for a time
            for (Future<Errno> f : readers) {
                assertFalse(f.isDone(), () -> "a reader ended before the unload: " + get(f));
            }
            Thread.yield();
        }
        kernel.unload(module); // the bundle stops: the whiteboard device goes, then drop runs
        driver.drop();
        for (Future<Errno> w : writers) {
            assertEquals(Errno.ENODEV, w.get(10, TimeUnit.SECONDS), "a writer with an open file");
        }
        int enodev = 0;
        for (Future<Errno> r : readers) {
            Errno e = r.get(10, TimeUnit.SECONDS);
            assertTrue(e == Errno.ENODEV || e == Errno.ENOENT, "a reader ended with " + e);
            enodev += e == Errno.ENODEV ? 1 : 0;
        }
        assertTrue(read.get() >= 2000);
        assertEquals(written.get() - read.get(), driver.tokens(), "every token written was read or is still held");
        assertTrue(driver.maxSeen() <= RustMiscdev.MAX_TOKENS);
        assertTrue(user.device("rust_miscdev").isEmpty());
        System.out.printf("rust_miscdev unload: %d tokens moved; readers ended with ENODEV %d, ENOENT %d%n",
                read.get(), enodev, 4 - enodev);
    }

    private static Object get(Future<?> f) {
        try {
            return f.get();
        } catch (Exception e) {
            return e;
        }
    }
}
