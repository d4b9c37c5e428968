package org.devhost.drivers.scull;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.PollEvents;
import org.devhost.kernel.impl.StandaloneKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ScullTest {
    private final StandaloneKernel kernel = new StandaloneKernel();
    private final DeviceRegistry user = kernel.load("user");
    private final DeviceRegistry module = kernel.load("scull");
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
        kernel.unload(module);
    }

    /** Module parameters, as Configuration Admin would give them. */
    static Scull.Config config(int quantum, int qset, int pipeBuffer) {
        return new Scull.Config() {
            public Class<? extends Annotation> annotationType() { return Scull.Config.class; }
            public int scull__quantum() { return quantum; }
            public int scull__qset() { return qset; }
            public int scull__nr__devs() { return 4; }
            public int scull__p__nr__devs() { return 4; }
            public int scull__p__buffer() { return pipeBuffer; }
        };
    }

    private Scull load(int quantum, int qset, int pipeBuffer) {
        return new Scull(module, kernel.logger("scull"), config(quantum, qset, pipeBuffer));
    }

    private static byte[] readAll(OpenFile f, int max) {
        ByteBuffer b = ByteBuffer.allocate(max);
        while (b.hasRemaining()) {
            if (f.read(b) == 0) {
                break;
            }
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    private static void writeAll(OpenFile f, byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
            f.write(b);
        }
    }

    @Test
    void fourScullAndFourPipesOnDynamicMajors() {
        load(4000, 1000, 4000);
        List<String> names = user.devices().stream().map(Device::name).sorted().toList();
        assertEquals(List.of("scull0", "scull1", "scull2", "scull3", "scullpipe0", "scullpipe1", "scullpipe2", "scullpipe3"), names);
        assertEquals(254, user.device("scull0").orElseThrow().number().major());
        assertEquals(253, user.device("scullpipe0").orElseThrow().number().major());
    }

    @Test
    void dataSpansQuantaAndQuantumSetsAndStopsAtQuantumEdges() {
        load(16, 4, 4000); // 64 bytes per quantum set
        byte[] data = new byte[300];
        new Random(1).nextBytes(data);
        try (OpenFile w = user.open("scull1", OpenFlags.O_WRONLY)) {
            assertEquals(16, w.write(ByteBuffer.wrap(data)), "a write stops at the quantum's end");
            ByteBuffer rest = ByteBuffer.wrap(data, 16, data.length - 16);
            while (rest.hasRemaining()) {
                w.write(rest);
            }
        }
        try (OpenFile r = user.open("scull1", OpenFlags.O_RDONLY)) {
            assertArrayEquals(data, readAll(r, 1000));
            assertEquals(0, r.read(ByteBuffer.allocate(10)), "end of data");
            assertEquals(100, r.seek(100, OpenFile.SEEK_SET));
            ByteBuffer b = ByteBuffer.allocate(5);
            assertEquals(5, r.read(b));
            assertArrayEquals(Arrays.copyOfRange(data, 100, 105), b.array());
            assertEquals(95, r.seek(-10, OpenFile.SEEK_CUR));
            assertEquals(290, r.seek(-10, OpenFile.SEEK_END));
            assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> r.seek(-301, OpenFile.SEEK_END)).errno());
        }
        // another device holds its own data
        try (OpenFile other = user.open("scull2", OpenFlags.O_RDONLY)) {
            assertEquals(0, other.read(ByteBuffer.allocate(10)));
        }
    }

    @Test
    void writeOnlyWithTruncEmptiesTheDevice() {
        load(4000, 1000, 4000);
        try (OpenFile w = user.open("scull0", OpenFlags.O_WRONLY)) {
            writeAll(w, "hello".getBytes());
        }
        try (OpenFile rw = user.open("scull0", OpenFlags.O_RDWR | OpenFlags.O_TRUNC)) {
            assertArrayEquals("hello".getBytes(), readAll(rw, 100), "O_TRUNC only empties on O_WRONLY, as LDD3");
        }
        try (OpenFile w = user.open("scull0", OpenFlags.O_WRONLY | OpenFlags.O_TRUNC)) {
            writeAll(w, "hi".getBytes());
        }
        try (OpenFile r = user.open("scull0", OpenFlags.O_RDONLY)) {
            assertArrayEquals("hi".getBytes(), readAll(r, 100));
        }
    }

    @Test
    void theIoctlFamilySetsTellsGetsQueriesExchangesAndShifts() {
        load(4000, 1000, 4000);
        try (OpenFile f = user.open("scull0", OpenFlags.O_RDWR)) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            assertEquals(4000, f.ioctl(ScullIoctl.QQUANTUM, 0));
            assertEquals(1000, f.ioctl(ScullIoctl.QQSET, 0));
            b.putInt(0, 123);
            f.ioctl(ScullIoctl.SQUANTUM, b);
            f.ioctl(ScullIoctl.GQUANTUM, b);
            assertEquals(123, b.getInt(0));
            f.ioctl(ScullIoctl.TQSET, 7);
            assertEquals(7, f.ioctl(ScullIoctl.QQSET, 0));
            b.putInt(0, 500);
            f.ioctl(ScullIoctl.XQUANTUM, b);
            assertEquals(123, b.getInt(0), "exchange gives back the old value");
            assertEquals(500, f.ioctl(ScullIoctl.HQUANTUM, 64), "shift returns the old value");
            assertEquals(64, f.ioctl(ScullIoctl.QQUANTUM, 0));
            b.putInt(0, 9);
            f.ioctl(ScullIoctl.XQSET, b);
            assertEquals(7, b.getInt(0));
            assertEquals(9, f.ioctl(ScullIoctl.HQSET, 3));
            f.ioctl(ScullIoctl.GQSET, b);
            assertEquals(3, b.getInt(0));
            assertEquals(0, f.ioctl(ScullIoctl.RESET, 0));
            assertEquals(4000, f.ioctl(ScullIoctl.QQUANTUM, 0));
            assertEquals(1000, f.ioctl(ScullIoctl.QQSET, 0));

            assertEquals(Errno.ENOTTY, assertThrows(KernelException.class, () -> f.ioctl(0x5413, 0)).errno());
            assertEquals(Errno.ENOTTY, assertThrows(KernelException.class, () -> f.ioctl(0x6b0f, 0)).errno(), "nr above MAXNR");
            assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> f.ioctl(ScullIoctl.TQUANTUM, 0)).errno());
            assertEquals(Errno.EFAULT, assertThrows(KernelException.class, () -> f.ioctl(ScullIoctl.GQUANTUM, 0)).errno(),
                    "a pointer command given a plain value");
        }
    }

    @Test
    void aNewQuantumAppliesWhenTheDeviceIsEmptied() {
        load(4000, 1000, 4000);
        try (OpenFile f = user.open("scull3", OpenFlags.O_RDWR)) {
            f.ioctl(ScullIoctl.TQUANTUM, 8);
        }
        try (OpenFile w = user.open("scull3", OpenFlags.O_WRONLY | OpenFlags.O_TRUNC)) {
            assertEquals(8, w.write(ByteBuffer.allocate(100)), "writes now stop at 8-byte quanta");
        }
    }

    @Test
    void scullpipeIsABlockingFifo() throws Exception {
        load(4000, 1000, 64);
        try (OpenFile r = user.open("scullpipe0", OpenFlags.O_RDONLY);
                OpenFile nb = user.open("scullpipe0", OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK);
                OpenFile w = user.open("scullpipe0", OpenFlags.O_WRONLY)) {
            assertEquals(Errno.EAGAIN, assertThrows(KernelException.class, () -> nb.read(ByteBuffer.allocate(1))).errno());
            assertEquals(PollEvents.POLLOUT | PollEvents.POLLWRNORM, w.poll());

            CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
                ByteBuffer b = ByteBuffer.allocate(5);
                r.read(b);
                return Arrays.copyOf(b.array(), b.position());
            }, threads);
            Thread.sleep(50);
            assertEquals(false, reader.isDone(), "the reader waits for data");
            w.write(ByteBuffer.wrap("hello".getBytes()));
            assertArrayEquals("hello".getBytes(), reader.get(5, TimeUnit.SECONDS));

            // fill it: 64 bytes fit (a write stops where the ring wraps, so it takes two), then a
            // non-blocking writer gets EAGAIN and a blocking one waits
            try (OpenFile wnb = user.open("scullpipe0", OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK)) {
                ByteBuffer big = ByteBuffer.allocate(100);
                int total = 0;
                while (true) {
                    try {
                        total += wnb.write(big);
                    } catch (KernelException e) {
                        assertEquals(Errno.EAGAIN, e.errno());
                        break;
                    }
                }
                assertEquals(64, total);
            }
            CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> w.write(ByteBuffer.allocate(10)), threads);
            Thread.sleep(50);
            assertEquals(false, writer.isDone(), "the writer waits for room");
            assertEquals(PollEvents.POLLIN | PollEvents.POLLRDNORM, r.poll());
            assertTrue(r.read(ByteBuffer.allocate(20)) > 0);
            assertTrue(writer.get(5, TimeUnit.SECONDS) > 0, "a read woke the writer");
        }
    }

    @Test
    void aMegabyteThroughThePipeArrivesIntact() throws Exception {
        load(4000, 1000, 4000);
        byte[] data = new byte[1 << 20];
        new Random(7).nextBytes(data);
        try (OpenFile r = user.open("scullpipe1", OpenFlags.O_RDONLY); OpenFile w = user.open("scullpipe1", OpenFlags.O_WRONLY)) {
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> writeAll(w, data), threads);
            assertArrayEquals(data, readAll(r, data.length));
            writer.get(10, TimeUnit.SECONDS);
        }
    }
}
