package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.Parked;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.devhost.kernel.testing.Caller;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a module's end (unload, or a failed init) does with what it holds, and in which order. */
@Timeout(30)
class ModuleReleaseTest {
    private final Kernel kernel = new Kernel(3_600_000);
    private final ModuleRegistry module = kernel.module("m");
    private final ModuleRegistry user = kernel.module("user");

    private List<String> removals() {
        return kernel.events.stream().filter(e -> e.startsWith("removed ")).toList();
    }

    @Test
    void whatTheModuleLeftIsClosedNewestFirstAndSaidSo() {
        ChrdevRegion region = module.chrdevRegion("first", 0, 0, 2);
        region.register(Kernel.openOnly());
        region.register(Kernel.openOnly());
        module.registerMisc("second", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        module.context().release();
        assertEquals(List.of("removed second", "removed first1", "removed first0"), removals(),
                "the reverse of init, as Rust drops fields; a region's devices newest first too");
        assertTrue(kernel.log.contains("INFO m: releasing 2 registration(s) left open by the module"), kernel.log.toString());

        ModuleRegistry empty = kernel.module("empty");
        empty.context().release();
        assertTrue(kernel.log.stream().noneMatch(l -> l.startsWith("INFO empty:")), "nothing left: nothing to say");
    }

    @Test
    void aFailedInitsRegistrationsGoButTheModuleStaysUsableForTheNextInit() {
        module.registerMisc("a", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        module.chrdevRegion("b", 0, 0, 1);
        assertEquals(2, module.context().registrationCount());
        assertEquals(2, module.context().reapAfterFailedInit());
        assertTrue(kernel.log.contains("INFO m: init failed; releasing 2 registration(s) left open by the module"),
                kernel.log.toString());
        assertEquals(0, module.context().registrationCount());
        assertEquals(0, module.context().reapAfterFailedInit());
        module.registerMisc("a", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()); // SCR's retry of the init
        assertEquals(1, module.context().registrationCount());
    }

    @Test
    void aRegistrationTheDriverClosedIsNoLongerTheModules() {
        MiscDevice misc = module.registerMisc("a", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        ChrdevRegion region = module.chrdevRegion("b", 0, 0, 1);
        org.devhost.kernel.Heartbeat beat = module.heartbeat(60_000);
        assertEquals(3, module.context().registrationCount());
        misc.close();
        region.close();
        beat.close();
        assertEquals(0, module.context().registrationCount(), "closed by drop: nothing left for the release to close");
    }

    @Test
    void everyDeviceOfTheModuleIsRevokedBeforeTheReleaseWaitsForAnyOfThem() throws Exception {
        CountDownLatch inRead = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        module.chrdevRegion("older", 0, 0, 1).register(Kernel.openOnly());
        module.registerMisc("busy", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public int read(Void data, File file, ByteBuffer dst, long offset) {
                inRead.countDown();
                try {
                    finish.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 0;
            }
        });
        OpenFile busy = user.open("busy", OpenFlags.O_RDONLY);
        Caller<Integer> reader = Caller.start("reader", () -> busy.read(ByteBuffer.allocate(1)));
        assertTrue(inRead.await(10, TimeUnit.SECONDS));
        Caller<Void> release = Caller.start("release", () -> {
            module.context().release();
            return null;
        });
        // The release waits for the read on "busy" (the newest); "older" must already be revoked.
        Parked.until(() -> release.thread().getState() == Thread.State.TIMED_WAITING);
        assertEquals(Errno.ENODEV, assertThrows(KernelException.class, () -> user.open("older", OpenFlags.O_RDONLY)).errno());
        finish.countDown();
        assertEquals(0, reader.result().get(10, TimeUnit.SECONDS));
        release.result().get(10, TimeUnit.SECONDS);
        assertTrue(kernel.table.devices().isEmpty());
    }

    @Test
    void theFilesAModuleOpenedOnOtherDevicesAreClosedWhenItGoes() {
        AtomicInteger releases = new AtomicInteger();
        module.registerMisc("target", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            @Override
            public Void open(File file) {
                return null;
            }

            @Override
            public void release(Void data, File file) {
                releases.incrementAndGet();
            }
        });
        OpenFile f = user.open("target", OpenFlags.O_RDONLY);
        assertEquals(1, kernel.table.lookup("target").openCount());
        user.context().release();
        assertEquals(1, releases.get(), "the user module's file was closed with it");
        assertEquals(0, kernel.table.lookup("target").openCount());
        assertEquals(Errno.EBADF, assertThrows(KernelException.class, () -> f.read(ByteBuffer.allocate(1))).errno());
    }
}
