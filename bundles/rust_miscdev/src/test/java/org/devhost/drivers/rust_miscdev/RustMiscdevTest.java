package org.devhost.drivers.rust_miscdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.StandaloneKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class RustMiscdevTest {
    private final StandaloneKernel kernel = new StandaloneKernel(5000);
    private final DeviceRegistry user = kernel.load("user");
    private final DeviceRegistry module = kernel.load("rust_miscdev");
    private final RustMiscdev driver = new RustMiscdev(module, kernel.logger("rust_miscdev"));
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
        Future<Throwable> reader = threads.submit(() -> {
            try {
                readToken(0);
                return null;
            } catch (KernelException e) {
                return e;
            }
        });
        Thread.sleep(100);
        threads.shutdownNow(); // interrupts the blocked reader
        Throwable t = reader.get(5, TimeUnit.SECONDS);
        assertEquals(Errno.EINTR, ((KernelException) t).errno());
    }

    /** 4 writers and 4 readers move 10,000 tokens; never more than 3 are held; everyone finishes. */
    @Test
    void fourWritersAndFourReadersMoveTenThousandTokens() throws Exception {
        AtomicBoolean overCap = new AtomicBoolean();
        AtomicBoolean done = new AtomicBoolean();
        Future<?> watcher = threads.submit(() -> {
            while (!done.get()) {
                if (driver.tokens() > RustMiscdev.MAX_TOKENS) {
                    overCap.set(true);
                }
            }
        });
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
        done.set(true);
        watcher.get(5, TimeUnit.SECONDS);
        assertEquals(10_000, read.get());
        assertEquals(0, driver.tokens());
        assertTrue(!overCap.get(), "more than 3 tokens were held at some point");
    }

    /** The same traffic with the driver unloaded in the middle: every thread ends, with success or ENODEV. */
    @Test
    void unloadInTheMiddleEndsEveryThreadWithSuccessOrEnodev() throws Exception {
        AtomicInteger enodev = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        List<Future<?>> all = new ArrayList<>();
        Runnable writer = () -> {
            try (OpenFile w = user.open("rust_miscdev", OpenFlags.O_WRONLY)) {
                for (int i = 0; i < 2500; i++) {
                    writeToken(w);
                }
            } catch (KernelException e) {
                (e.errno() == Errno.ENODEV || e.errno() == Errno.ENOENT ? enodev : other).incrementAndGet();
            }
        };
        Runnable reader = () -> {
            try {
                for (int i = 0; i < 2500; i++) {
                    readToken(0);
                }
            } catch (KernelException e) {
                // ENOENT: the device name is gone once the unload finished
                (e.errno() == Errno.ENODEV || e.errno() == Errno.ENOENT ? enodev : other).incrementAndGet();
            }
        };
        for (int t = 0; t < 4; t++) {
            all.add(threads.submit(writer));
            all.add(threads.submit(reader));
        }
        Thread.sleep(20);
        driver.drop();
        for (Future<?> f : all) {
            f.get(10, TimeUnit.SECONDS); // none hangs
        }
        assertEquals(0, other.get(), "only ENODEV (or ENOENT after removal) is allowed");
        assertTrue(user.device("rust_miscdev").isEmpty());
    }
}
