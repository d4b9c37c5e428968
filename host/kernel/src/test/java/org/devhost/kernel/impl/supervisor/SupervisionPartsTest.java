package org.devhost.kernel.impl.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.Heartbeat;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.chrdev.HeartbeatImpl;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.devhost.kernel.impl.chrdev.OpenFileImpl;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.Test;

/** The supervisor's parts that need no framework: back-off, reservations, heartbeats, the watchdog's owner slot. */
class SupervisionPartsTest {
    @Test
    void backOffIsAtOnceThenDoublesUpToTheMaximum() {
        Policy p = new Policy(true, 5, 10_000, 10_000, 5, 60_000, 1000, 30_000, 60_000);
        assertEquals(List.of(0L, 1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L),
                List.of(p.backoff(0), p.backoff(1), p.backoff(2), p.backoff(3), p.backoff(4), p.backoff(5), p.backoff(6),
                        p.backoff(40)));
    }

    @Test
    void aReservationKeepsMajorMinorAndNameForTheModuleUntilItGoes() {
        Kernel k = new Kernel();
        ModuleRegistry down = k.module("down");
        ChrdevRegion r = down.chrdevRegion("down", 0, 0, 1);
        r.register(Kernel.openOnly());
        MiscDevice m = down.registerMisc("down_misc", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        int major = r.major();
        int minor = m.device().number().minor();
        k.table.reserve("down");
        r.close();
        m.close();

        ModuleRegistry other = k.module("other");
        assertEquals(Errno.EAGAIN, assertThrows(KernelException.class, () -> other.open("down", OpenFlags.O_RDONLY)).errno());
        assertEquals(Errno.EAGAIN, assertThrows(KernelException.class,
                () -> other.open(DeviceNumber.of(major, 0), OpenFlags.O_RDONLY)).errno());
        try (ChrdevRegion o = other.chrdevRegion("other", 0, 0, 1)) {
            assertNotEquals(major, o.major());
        }
        try (MiscDevice o = other.registerMisc("other_misc", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly())) {
            assertNotEquals(minor, o.device().number().minor());
        }
        ModuleRegistry back = k.module("down"); // the restarted instance
        assertEquals(major, back.chrdevRegion("down", 0, 0, 1).major());
        assertEquals(minor, back.registerMisc("down_misc", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()).device().number().minor());
        k.table.unreserve("down");
        assertNull(k.table.reservedName("down"));
    }

    @Test
    void aHeartbeatIsOverdueAfterItsPeriodAndGoesWithItsModule() {
        Kernel k = new Kernel();
        ModuleContext ctx = new ModuleContext("beating", k.table);
        ModuleRegistry reg = new ModuleRegistry(ctx);
        assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> reg.heartbeat(0)).errno());
        Heartbeat h = reg.heartbeat(100);
        HeartbeatImpl impl = (HeartbeatImpl) h;
        long now = System.nanoTime();
        h.beat();
        assertEquals(-1, impl.overdueMillis(System.nanoTime()));
        assertTrue(impl.overdueMillis(now + 1_000_000_000L) >= 100, "a second without a beat is past 100 ms");
        assertTrue(k.table.heartbeats.contains(impl));
        ctx.release();
        assertTrue(k.table.heartbeats.isEmpty(), "the module's end closes its heartbeat");
        assertEquals(-1, impl.overdueMillis(now + 1_000_000_000L));
        assertEquals(Errno.ENODEV, assertThrows(KernelException.class, () -> reg.heartbeat(100)).errno());
    }

    @Test
    void theOwnerSlotNamesTheThreadInTheLastOperationUntilItLeaves() throws Exception {
        Kernel k = new Kernel();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch out = new CountDownLatch(1);
        k.module("slow").registerMisc("slow", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public int read(Void data, File file, ByteBuffer dst, long offset) {
                inside.countDown();
                try {
                    out.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 0;
            }
        });
        OpenFileImpl f = (OpenFileImpl) (OpenFile) k.module("user").open("slow", OpenFlags.O_RDONLY);
        assertNull(f.lastEntrant());
        Thread reader = new Thread(() -> f.read(ByteBuffer.allocate(1)), "reader");
        reader.start();
        inside.await();
        assertSame(reader, f.lastEntrant());
        assertTrue(f.operationInFlight());
        out.countDown();
        reader.join();
        assertNull(f.lastEntrant(), "cleared by the thread on its way out");
        f.close();
    }
}
