package org.devhost.drivers.scull;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.PollEvents;
import org.devhost.kernel.Region;
import org.devhost.kernel.testing.Caller;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/** scull and scullpipe behave as LDD3's scull/main.c and scull/pipe.c. */
@Timeout(60)
class ScullTest {
    private final TestKernel kernel = new TestKernel();
    private final DeviceRegistry user = kernel.load("user");
    private final DeviceRegistry module = kernel.load("scull");

    @AfterEach
    void stop() {
        kernel.unload(module);
    }

    /** Loads scull with these parameters (name, value, ...), as Configuration Admin gives them. */
    private Scull load(Object... params) {
        Map<String, Object> props = new HashMap<>();
        for (int i = 0; i < params.length; i += 2) {
            props.put((String) params[i], params[i + 1]);
        }
        return new Scull(module, kernel.logger("scull"), props);
    }

    private List<String> log() {
        return kernel.log().lines().stream().map(LogLine::message).toList();
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

    private static int fillNonBlocking(OpenFile w) {
        ByteBuffer big = ByteBuffer.allocate(1 << 16);
        int total = 0;
        while (true) {
            try {
                total += w.write(big);
            } catch (KernelException e) {
                assertEquals(Errno.EAGAIN, e.errno());
                return total;
            }
        }
    }

    @Test
    void scullIsMinorsZeroToThreeAndThePipesFourToSevenOfOneMajor() {
        load();
        List<String> names = user.devices().stream().map(d -> d.name() + " " + d.number()).toList();
        assertEquals(List.of("scull0 254:0", "scull1 254:1", "scull2 254:2", "scull3 254:3",
                "scullpipe0 254:4", "scullpipe1 254:5", "scullpipe2 254:6", "scullpipe3 254:7"), names);
        List<String> regions = user.regions().stream().filter(r -> r.major() == 254).map(Region::name).toList();
        assertEquals(List.of("scull", "scullp"), regions, "/proc/devices lists 254 scull and 254 scullp");
        assertTrue(log().contains("major 254: scull0-3 minors 0-3, scullpipe minors 4-7, quantum 4000, qset 1000, at most 67108864 bytes"),
                log().toString());
        assertTrue(log().stream().noneMatch(l -> l.startsWith("scull:")), "the log source already names scull: " + log());
    }

    @Test
    void aFixedMajorAndAFirstMinorAreParameters() {
        load("scull_major", 240, "scull_minor", "0x10");
        assertEquals(DeviceNumber.of(240, 16), user.device("scull0").orElseThrow().number());
        assertEquals(DeviceNumber.of(240, 19), user.device("scull3").orElseThrow().number());
        assertEquals(DeviceNumber.of(240, 20), user.device("scullpipe0").orElseThrow().number());
        assertEquals(DeviceNumber.of(240, 23), user.device("scullpipe3").orElseThrow().number());
    }

    @Test
    void aTakenFixedMajorFailsInitAndSaysSo() {
        DeviceRegistry other = kernel.load("other");
        other.chrdevRegion("other", 240, 0, 1);
        KernelException e = assertThrows(KernelException.class, () -> load("scull_major", 240));
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.level() == KernLevel.WARNING
                && l.message().equals("can't get major 240")), log().toString());
    }

    @Test
    void withoutRoomForThePipesScullLoadsWithoutThem() {
        DeviceRegistry other = kernel.load("other");
        other.chrdevRegion("other", 240, 4, 1);
        load("scull_major", 240);
        assertTrue(user.device("scull3").isPresent());
        assertTrue(user.device("scullpipe0").isEmpty());
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.level() == KernLevel.NOTICE
                && l.message().startsWith("Unable to get scullp region, error ") && l.message().contains("EBUSY")), log().toString());
    }

    @Test
    void badParametersFailInitWithEinvalNamingThemAndRegisterNothing() {
        for (Object[] bad : List.of(new Object[] {"scull_quantum", 0}, new Object[] {"scull_qset", "0"},
                new Object[] {"scull_p_buffer", 1}, new Object[] {"scull_nr_devs", 0}, new Object[] {"scull_major", 512},
                new Object[] {"scull_max_bytes", 0}, new Object[] {"scull_quantum", "#10"})) {
            KernelException e = assertThrows(KernelException.class, () -> load(bad));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().startsWith("parameter '" + bad[0] + "'"), e.getMessage());
            assertTrue(user.devices().isEmpty());
        }
    }

    @Test
    void parametersAreReadOnlyOnceLoaded() {
        Scull scull = load("scull_quantum", 100);
        writeAll(user.open("scull0", OpenFlags.O_WRONLY), "kept".getBytes());
        scull.modified(Map.of("scull_quantum", 8, "scull_major", 0, "scull_minor", 3));
        try (OpenFile f = user.open("scull0", OpenFlags.O_RDONLY)) {
            assertEquals(100, f.ioctl(ScullIoctl.QQUANTUM, 0));
            assertArrayEquals("kept".getBytes(), readAll(f, 100), "nothing was reloaded");
        }
        assertTrue(log().contains("parameter scull_quantum is read-only once scull is loaded; keeping 100 (unload and load scull to change it)"),
                log().toString());
        assertTrue(log().contains("parameter scull_minor is read-only once scull is loaded; keeping 0 (unload and load scull to change it)"));
        assertTrue(log().stream().noneMatch(l -> l.contains("scull_major")), "scull_major 0 asked for the major scull has");
    }

    @Test
    void dataSpansQuantaAndQuantumSetsAndStopsAtQuantumEdges() {
        load("scull_quantum", 16, "scull_qset", 4); // 64 bytes per quantum set
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
            assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> r.seek(0, 3)).errno(),
                    "scull_llseek knows SEEK_SET, SEEK_CUR and SEEK_END only");
        }
        try (OpenFile other = user.open("scull2", OpenFlags.O_RDONLY)) {
            assertEquals(0, other.read(ByteBuffer.allocate(10)), "another device holds its own data");
        }
    }

    /** scull_open: "trim to 0 the length of the device if open was write-only". */
    @Test
    void everyWriteOnlyOpenEmptiesTheDeviceAndNoOtherOpenDoes() {
        load();
        try (OpenFile w = user.open("scull0", OpenFlags.O_WRONLY)) {
            writeAll(w, "hello devhost".getBytes());
        }
        try (OpenFile w = user.open("scull0", OpenFlags.O_WRONLY)) {
            writeAll(w, "bye".getBytes());
        }
        try (OpenFile r = user.open("scull0", OpenFlags.O_RDONLY)) {
            assertArrayEquals("bye".getBytes(), readAll(r, 100), "LDD3 gives \"bye\", not \"byelo devhost\"");
        }
        try (OpenFile rw = user.open("scull0", OpenFlags.O_RDWR | OpenFlags.O_TRUNC)) {
            assertArrayEquals("bye".getBytes(), readAll(rw, 100), "read-write, even with O_TRUNC, keeps the data");
        }
    }

    /** scull_read: "don't fill holes". */
    @Test
    void aReadAtAHoleReturnsZero() {
        load("scull_quantum", 16, "scull_qset", 4);
        try (OpenFile f = user.open("scull0", OpenFlags.O_RDWR)) {
            f.seek(40, OpenFile.SEEK_SET);
            writeAll(f, "x".getBytes());
            f.seek(0, OpenFile.SEEK_SET);
            assertEquals(0, f.read(ByteBuffer.allocate(10)), "offset 0 was never written");
            f.seek(40, OpenFile.SEEK_SET);
            assertArrayEquals("x".getBytes(), readAll(f, 10));
        }
    }

    @Test
    void scullMaxBytesBoundsAllDevicesTogetherWithEnospc() {
        // room for three 16-byte quanta in two sets of 4 pointers, what each costs the heap
        load("scull_quantum", 16, "scull_qset", 4, "scull_max_bytes", 3 * ScullQuota.quantumBytes(16) + 2 * ScullQuota.setBytes(4));
        try (OpenFile a = user.open("scull0", OpenFlags.O_WRONLY); OpenFile b = user.open("scull1", OpenFlags.O_WRONLY)) {
            writeAll(a, new byte[32]);
            writeAll(b, new byte[16]);
            KernelException e = assertThrows(KernelException.class, () -> a.write(ByteBuffer.allocate(1)));
            assertEquals(Errno.ENOSPC, e.errno());
            assertTrue(e.getMessage().contains("scull_max_bytes"), e.getMessage());
            assertEquals(Errno.ENOSPC, assertThrows(KernelException.class, () -> b.write(ByteBuffer.allocate(1))).errno());
        }
        user.open("scull0", OpenFlags.O_WRONLY).close(); // a write-only open trims scull0 and gives its two quanta and set back
        try (OpenFile b = user.open("scull1", OpenFlags.O_RDWR)) {
            b.seek(0, OpenFile.SEEK_END);
            writeAll(b, new byte[32]);
        }
    }

    @Test
    void theIoctlFamilySetsTellsGetsQueriesExchangesAndShifts() {
        load();
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
            assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> f.ioctl(ScullIoctl.P_TSIZE, 1)).errno());
            assertEquals(Errno.EFAULT, assertThrows(KernelException.class, () -> f.ioctl(ScullIoctl.GQUANTUM, 0)).errno(),
                    "a pointer command given a plain value");
        }
    }

    @Test
    void aNewQuantumAppliesWhenTheDeviceIsTrimmed() {
        load();
        try (OpenFile f = user.open("scull3", OpenFlags.O_RDWR)) {
            f.ioctl(ScullIoctl.TQUANTUM, 8);
            assertEquals(100, f.write(ByteBuffer.allocate(100)), "the data held keeps its 4000-byte quanta");
        }
        try (OpenFile w = user.open("scull3", OpenFlags.O_WRONLY)) {
            assertEquals(8, w.write(ByteBuffer.allocate(100)), "trimmed: writes now stop at 8-byte quanta");
        }
    }

    @Test
    void scullpipeIsABlockingFifoThatHoldsOneByteLessThanItsBuffer() throws Exception {
        load("scull_p_buffer", 64);
        try (OpenFile r = user.open("scullpipe0", OpenFlags.O_RDONLY);
                OpenFile nb = user.open("scullpipe0", OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK);
                OpenFile w = user.open("scullpipe0", OpenFlags.O_WRONLY);
                OpenFile wnb = user.open("scullpipe0", OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK)) {
            assertEquals(Errno.EAGAIN, assertThrows(KernelException.class, () -> nb.read(ByteBuffer.allocate(1))).errno());
            assertEquals(PollEvents.POLLOUT | PollEvents.POLLWRNORM, w.poll());
            assertEquals(Errno.ESPIPE, assertThrows(KernelException.class, () -> r.seek(0, OpenFile.SEEK_SET)).errno());

            Caller<byte[]> reader = Caller.start("reader", () -> readAll(r, 5)).parked();
            w.write(ByteBuffer.wrap("hello".getBytes()));
            assertArrayEquals("hello".getBytes(), reader.result().get(5, TimeUnit.SECONDS));

            // spacefree: a 64-byte ring holds 63 (a write stops where the ring wraps, so it takes two)
            assertEquals(63, fillNonBlocking(wnb));
            Caller<Integer> writer = Caller.start("writer", () -> w.write(ByteBuffer.allocate(10))).parked();
            assertEquals(PollEvents.POLLIN | PollEvents.POLLRDNORM, r.poll());
            assertTrue(r.read(ByteBuffer.allocate(20)) > 0);
            assertTrue(writer.result().get(5, TimeUnit.SECONDS) > 0, "a read woke the writer");
        }
    }

    /** scull_p_poll names inq and outq: a poller parked on an empty pipe wakes with POLLIN when a writer writes. */
    @Test
    void aPollOnAnEmptyPipeWakesWithPollinAfterAWrite() throws Exception {
        load("scull_p_buffer", 8);
        try (OpenFile r = user.open("scullpipe2", OpenFlags.O_RDONLY);
                OpenFile w = user.open("scullpipe2", OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK)) {
            assertEquals(0, r.poll(PollEvents.POLLIN, 0));
            Caller<Integer> poller = Caller.start("poller", () -> r.poll(PollEvents.POLLIN, -1)).parked();
            w.write(ByteBuffer.wrap("x".getBytes()));
            assertEquals(PollEvents.POLLIN, poller.result().get(5, TimeUnit.SECONDS));

            // a full pipe: a writer's subscription runs once a read makes room (outq)
            fillNonBlocking(w);
            AtomicInteger room = new AtomicInteger();
            assertEquals(0, w.poll(room::incrementAndGet) & PollEvents.POLLOUT);
            assertEquals(0, room.get());
            assertTrue(r.read(ByteBuffer.allocate(1)) > 0);
            assertEquals(1, room.get());
            assertEquals(PollEvents.POLLOUT, w.poll(PollEvents.POLLOUT, 0));
        }
    }

    /** LDD3's scull_load: chmod 664 on every node. */
    @Test
    void everyScullNodeIsMode0664() {
        load();
        for (String name : new String[] {"scull0", "scull3", "scullpipe0", "scullpipe3"}) {
            assertEquals(0664, user.device(name).orElseThrow().mode(), name);
        }
    }

    /** scull_p_open: "rd and wr from the beginning". */
    @Test
    void everyOpenEmptiesThePipe() {
        load();
        try (OpenFile w = user.open("scullpipe1", OpenFlags.O_WRONLY)) {
            writeAll(w, "lost".getBytes());
            try (OpenFile r = user.open("scullpipe1", OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK)) {
                assertEquals(Errno.EAGAIN, assertThrows(KernelException.class, () -> r.read(ByteBuffer.allocate(10))).errno(),
                        "written before the reader opened: gone");
                writeAll(w, "kept".getBytes());
                assertArrayEquals("kept".getBytes(), readAll(r, 4));
            }
        }
    }

    /** scull_p_release: the last close frees the buffer. */
    @Test
    void theLastCloseDropsWhatNobodyRead() {
        load();
        try (OpenFile rw = user.open("scullpipe2", OpenFlags.O_RDWR)) {
            writeAll(rw, "unread".getBytes());
        }
        try (OpenFile r = user.open("scullpipe2", OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK)) {
            assertEquals(Errno.EAGAIN, assertThrows(KernelException.class, () -> r.read(ByteBuffer.allocate(10))).errno());
        }
    }

    /** SCULL_P_IOCTSIZE changes scull_p_buffer, which scull_p_open uses. */
    @Test
    void aNewPipeSizeAppliesAtTheNextOpen() {
        load("scull_p_buffer", 64);
        try (OpenFile w = user.open("scullpipe3", OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK)) {
            w.ioctl(ScullIoctl.P_TSIZE, 8);
            assertEquals(8, w.ioctl(ScullIoctl.P_QSIZE, 0));
            assertEquals(63, fillNonBlocking(w), "the open pipe keeps its buffer");
        }
        try (OpenFile w = user.open("scullpipe3", OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK)) {
            assertEquals(7, fillNonBlocking(w), "the next open takes the new size");
        }
        try (OpenFile w = user.open("scull0", OpenFlags.O_RDWR)) {
            assertEquals(8, w.ioctl(ScullIoctl.P_QSIZE, 0), "scull_p_buffer is module-wide, as in LDD3");
        }
    }

    @Test
    void aMegabyteThroughThePipeArrivesIntact() throws Exception {
        load();
        byte[] data = new byte[1 << 20];
        new Random(7).nextBytes(data);
        try (OpenFile r = user.open("scullpipe1", OpenFlags.O_RDONLY); OpenFile w = user.open("scullpipe1", OpenFlags.O_WRONLY)) {
            Caller<Void> writer = Caller.start("writer", () -> {
                writeAll(w, data);
                return null;
            });
            assertArrayEquals(data, readAll(r, data.length));
            writer.result().get(10, TimeUnit.SECONDS);
        }
    }

    /** Writes zeros from {@code f}'s position until scull_max_bytes refuses one; returns the bytes written. */
    private static long fillUntilEnospc(OpenFile f) {
        ByteBuffer zeros = ByteBuffer.allocate(4096);
        long total = 0;
        while (true) {
            try {
                total += f.write(zeros.clear());
            } catch (KernelException e) {
                assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
                return total;
            }
        }
    }

    /** The heap this thread has allocated so far (HotSpot's per-thread counter): "allocates nothing" measured without a GC. */
    private static long allocatedByThisThread() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /**
     * Review finding: a write refused with ENOSPC kept the quantum set it had allocated first, so
     * 1-byte writes at new quantum-set offsets of a full scull0 filled the heap until the host ended
     * with OutOfMemoryError. A refused write allocates nothing and changes nothing.
     */
    @Test
    void refusedWritesAllocateNothingAndLeaveTheDeviceAndTheQuotaAsTheyWere() {
        int qset = 100_000; // a quantum set holds 100,000 pointers: 400 KB of heap or more
        load("scull_qset", qset, "scull_max_bytes", 2 << 20);
        long setSpan = 4000L * qset;
        long held;
        try (OpenFile w = user.open("scull0", OpenFlags.O_RDWR)) {
            held = fillUntilEnospc(w);
            String full = assertThrows(KernelException.class, () -> w.write(ByteBuffer.allocate(1))).getMessage(); // warms the path
            long before = allocatedByThisThread();
            for (int k = 1; k <= 100; k++) {
                long offset = k * setSpan;
                KernelException e = assertThrows(KernelException.class, () -> w.write(ByteBuffer.allocate(1), offset));
                assertEquals(Errno.ENOSPC, e.errno());
                assertEquals(full, e.getMessage(), "a refused write changes what the quota holds");
            }
            long spent = allocatedByThisThread() - before;
            assertTrue(spent < 10L * 4 * qset, "100 refused writes allocated " + spent + " bytes: each kept a quantum set");
            assertEquals(held, w.seek(0, OpenFile.SEEK_END), "refused writes leave the size as it was");
        }
        user.open("scull0", OpenFlags.O_WRONLY).close(); // a write-only open empties scull0
        try (OpenFile w = user.open("scull0", OpenFlags.O_WRONLY)) {
            assertEquals(held, fillUntilEnospc(w), "emptied, scull0 holds as much as before: nothing stayed reserved");
        }
    }

    /**
     * Review finding: only quanta counted against scull_max_bytes, not the pointer arrays of the
     * quantum sets, so a 1-byte quantum in a new set of 1000 pointers was counted as 1 byte and took
     * 4 to 8 KB of heap. Every set's array counts (8 bytes a pointer), and emptying gives it back.
     */
    @Test
    void quantumSetPointerArraysCountAgainstScullMaxBytes() {
        load("scull_quantum", 1, "scull_qset", 1000, "scull_max_bytes", 1 << 20); // a set: 1000 pointers, 8000 bytes
        for (int round = 1; round <= 2; round++) { // the second after emptying: every set was given back
            try (OpenFile w = user.open("scull0", OpenFlags.O_WRONLY)) {
                int taken = 0;
                while (taken < 1000) {
                    try {
                        w.write(ByteBuffer.allocate(1), taken * 1000L); // one byte in a new quantum set
                        taken++;
                    } catch (KernelException e) {
                        assertEquals(Errno.ENOSPC, e.errno(), e.getMessage());
                        break;
                    }
                }
                assertTrue(taken <= (1 << 20) / 8000 && taken >= 100, "round " + round + ": " + taken
                        + " one-byte writes each in a new set of 1000 pointers fit in 1 MiB");
            }
        }
    }

    /**
     * Review finding: SCULL_IOCTQSET(300000000) from a process that may only open scull made the next
     * write allocate 300 million pointers (OutOfMemoryError). Every form of the quantum and qset ioctls
     * refuses more than LDD3's kmalloc could give (4 MiB: a quantum of 4194304 bytes, a set of 524288
     * pointers) with EINVAL, and the settings stay as they were.
     */
    @Test
    void aHugeQuantumOrQsetIsEinvalFromEveryIoctlAndChangesNothing() {
        load();
        try (OpenFile r = user.open("scull0", OpenFlags.O_RDONLY)) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            int[] hugeQset = {300_000_000, (1 << 19) + 1};
            int[] hugeQuantum = {Integer.MAX_VALUE, (4 << 20) + 1};
            for (int v : hugeQset) {
                for (Executable call : List.<Executable>of(() -> r.ioctl(ScullIoctl.TQSET, v), () -> r.ioctl(ScullIoctl.HQSET, v),
                        () -> r.ioctl(ScullIoctl.SQSET, b.putInt(0, v)), () -> r.ioctl(ScullIoctl.XQSET, b.putInt(0, v)))) {
                    KernelException e = assertThrows(KernelException.class, call, "qset " + v);
                    assertEquals(Errno.EINVAL, e.errno());
                    assertTrue(e.getMessage().contains("qset must be from 1 to 524288"), e.getMessage());
                }
            }
            for (int v : hugeQuantum) {
                for (Executable call : List.<Executable>of(() -> r.ioctl(ScullIoctl.TQUANTUM, v), () -> r.ioctl(ScullIoctl.HQUANTUM, v),
                        () -> r.ioctl(ScullIoctl.SQUANTUM, b.putInt(0, v)), () -> r.ioctl(ScullIoctl.XQUANTUM, b.putInt(0, v)))) {
                    KernelException e = assertThrows(KernelException.class, call, "quantum " + v);
                    assertEquals(Errno.EINVAL, e.errno());
                    assertTrue(e.getMessage().contains("quantum must be from 1 to 4194304"), e.getMessage());
                }
            }
            assertEquals(1000, r.ioctl(ScullIoctl.QQSET, 0));
            assertEquals(4000, r.ioctl(ScullIoctl.QQUANTUM, 0));
        }
        try (OpenFile w = user.open("scull0", OpenFlags.O_WRONLY)) { // root's ordinary write, after a trim that takes the settings
            assertEquals(4000, w.write(ByteBuffer.allocate(5000)), "the quantum is still 4000");
        }
    }

    /** The same bounds at load: a module parameter cannot ask for more than an ioctl can. */
    @Test
    void aHugeQuantumQsetOrPipeBufferFailsInitWithEinval() {
        for (Object[] bad : List.of(new Object[] {"scull_qset", 300_000_000}, new Object[] {"scull_quantum", "0x7fffffff"},
                new Object[] {"scull_p_buffer", (4 << 20) + 1})) {
            KernelException e = assertThrows(KernelException.class, () -> load(bad), bad[0] + "=" + bad[1]);
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().startsWith("parameter '" + bad[0] + "'"), e.getMessage());
            assertTrue(user.devices().isEmpty());
        }
    }

    /**
     * A write whose new quantum and quantum set need more than all of scull_max_bytes can never
     * succeed, however empty the devices: ENOMEM, as LDD3's failed kmalloc, naming what to change.
     */
    @Test
    void aWriteThatNeedsMoreThanScullMaxBytesIsEnomemAndAllocatesNothing() {
        load("scull_max_bytes", 1 << 20);
        try (OpenFile r = user.open("scull0", OpenFlags.O_RDONLY)) {
            r.ioctl(ScullIoctl.TQSET, 1 << 19); // the largest qset: 4 MiB of pointers, more than the quota
        }
        try (OpenFile w = user.open("scull0", OpenFlags.O_WRONLY)) { // the trim takes the new qset
            KernelException e = assertThrows(KernelException.class, () -> w.write(ByteBuffer.allocate(1)));
            assertEquals(Errno.ENOMEM, e.errno());
            assertTrue(e.getMessage().contains("qset") && e.getMessage().contains("scull_max_bytes"), e.getMessage());
            assertEquals(0, w.seek(0, OpenFile.SEEK_END));
            w.ioctl(ScullIoctl.RESET, 0);
        }
        try (OpenFile w = user.open("scull0", OpenFlags.O_WRONLY)) {
            assertEquals(1, w.write(ByteBuffer.allocate(1)), "with the default qset the same write fits");
        }
    }

    /** The pipe's buffer, allocated at the next open of any scullpipe, is bounded as a quantum is. */
    @Test
    void aHugePipeBufferIsEinvalAndTheNextOpenStillWorks() {
        load();
        try (OpenFile r = user.open("scull0", OpenFlags.O_RDONLY)) {
            KernelException e = assertThrows(KernelException.class, () -> r.ioctl(ScullIoctl.P_TSIZE, Integer.MAX_VALUE));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("scull_p_buffer must be from 2 to 4194304"), e.getMessage());
            assertEquals(4000, r.ioctl(ScullIoctl.P_QSIZE, 0));
        }
        try (OpenFile w = user.open("scullpipe0", OpenFlags.O_WRONLY | OpenFlags.O_NONBLOCK)) {
            assertEquals(3999, fillNonBlocking(w));
        }
    }

    @Test
    void devicesAreGoneAfterUnload() {
        Scull scull = load();
        scull.drop();
        assertTrue(user.devices().isEmpty());
        assertFalse(user.regions().stream().anyMatch(r -> r.name().startsWith("scull")));
        assertTrue(user.devices().stream().map(Device::name).noneMatch(n -> n.startsWith("scull")));
    }
}
