package org.devhost.drivers.rust_semaphore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.testing.Caller;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RustSemaphoreTest {
    private final TestKernel kernel = new TestKernel();
    private final DeviceRegistry user = kernel.load("user");
    private final RustSemaphore driver = new RustSemaphore(kernel.load("rust_semaphore"), kernel.logger("rust_semaphore"));

    private static long readCount(OpenFile f) {
        ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        assertEquals(0, f.ioctl(RustSemaphore.IOCTL_GET_READ_COUNT, b));
        return b.getLong(0);
    }

    @Test
    void writesAddToTheCountReadsTakeOneAndCountPerFile() {
        try (OpenFile w = user.open("rust_semaphore", OpenFlags.O_WRONLY)) {
            assertEquals(3, w.write(ByteBuffer.allocate(3)));
        }
        assertEquals(3, driver.maxSeen());
        try (OpenFile r = user.open("rust_semaphore", OpenFlags.O_RDONLY)) {
            ByteBuffer b = ByteBuffer.allocate(4);
            b.put(0, (byte) 9);
            assertEquals(1, r.read(b));
            assertEquals(0, b.get(0), "a read returns one 0x00 byte");
            assertEquals(1, readCount(r));
            assertEquals(0, r.read(ByteBuffer.allocate(4)), "at offset 1 a read returns 0");
            assertEquals(1, readCount(r));

            ByteBuffer set = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).putLong(0, 42);
            assertEquals(0, r.ioctl(RustSemaphore.IOCTL_SET_READ_COUNT, set));
            assertEquals(42, readCount(r));
            assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> r.ioctl(0x1234, 0)).errno());
        }
        try (OpenFile other = user.open("rust_semaphore", OpenFlags.O_RDONLY)) {
            assertEquals(0, readCount(other), "the read count belongs to the file");
        }
    }

    @Test
    void aReadWaitsForAWrite() throws Exception {
        try (OpenFile r = user.open("rust_semaphore", OpenFlags.O_RDONLY);
                OpenFile nb = user.open("rust_semaphore", OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK)) {
            assertEquals(Errno.EAGAIN, assertThrows(KernelException.class, () -> nb.read(ByteBuffer.allocate(1))).errno());
            Caller<Integer> waiting = Caller.start("reader", () -> r.read(ByteBuffer.allocate(1))).parked();
            try (OpenFile w = user.open("rust_semaphore", OpenFlags.O_WRONLY)) {
                w.write(ByteBuffer.allocate(1));
            }
            assertEquals(1, waiting.result().get(5, TimeUnit.SECONDS));
            assertEquals(1, readCount(r));
        }
    }

    @Test
    void anInterruptedReadIsEintr() throws Exception {
        try (OpenFile r = user.open("rust_semaphore", OpenFlags.O_RDONLY)) {
            Caller<Errno> waiting = Caller.start("reader", () -> {
                try {
                    r.read(ByteBuffer.allocate(1));
                    return null;
                } catch (KernelException e) {
                    return e.errno();
                }
            }).parked();
            waiting.thread().interrupt();
            assertEquals(Errno.EINTR, waiting.result().get(5, TimeUnit.SECONDS));
            assertEquals(0, readCount(r), "a read that did not consume is not counted");
        }
    }
}
