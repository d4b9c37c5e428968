package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.function.Supplier;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every Throwable from driver code is a driver fault: the caller gets EIO, the log names the driver
 * and the operation, and no reference is kept (an unload then has nothing to wait for). Only the
 * JVM's own errors (OutOfMemoryError) go through.
 */
@Timeout(30)
class DriverFaultTest {
    private final Kernel kernel = new Kernel(3_600_000); // a kept reference would hang the unload, not pass after a timeout
    private final ModuleRegistry user = kernel.module("user");

    private static final List<Supplier<Throwable>> ERRORS = List.of(
            StackOverflowError::new,
            () -> new NoClassDefFoundError("org/example/Gone"),
            () -> new AssertionError("invariant broken"),
            () -> new ExceptionInInitializerError(new IllegalStateException("static init")),
            () -> new Exception("a checked exception, thrown sneakily"));

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    /** A driver whose open or read throws what {@code thrown} gives. */
    private static FileOperations<Void> throwing(String where, Supplier<Throwable> thrown) {
        return new FileOperations<>() {
            public Void open(File f) {
                if (where.equals("open")) {
                    throw DriverFaultTest.<RuntimeException>sneaky(thrown.get());
                }
                return null;
            }

            public int read(Void d, File f, ByteBuffer dst, long off) {
                throw DriverFaultTest.<RuntimeException>sneaky(thrown.get());
            }
        };
    }

    @Test
    void anErrorInReadIsEioLoggedWithDriverAndOperation() {
        for (Supplier<Throwable> error : ERRORS) {
            ModuleRegistry driver = kernel.module("faulty");
            driver.registerMisc("faulty", MiscDevice.DYNAMIC_MINOR, throwing("read", error));
            String type = error.get().getClass().getName();
            try (OpenFile f = user.open("faulty", OpenFlags.O_RDONLY)) {
                KernelException e = assertThrows(KernelException.class, () -> f.read(ByteBuffer.allocate(1)), type);
                assertEquals(Errno.EIO, e.errno(), type);
                assertTrue(e.getMessage().contains("driver faulty failed"), e.getMessage());
            }
            assertTrue(kernel.log.stream().anyMatch(l -> l.startsWith("ERROR faulty: read on faulty threw " + type)),
                    type + ": " + kernel.log);
            driver.context().release();
            assertTrue(kernel.log.stream().noneMatch(l -> l.contains("still running")), kernel.log.toString());
            kernel.log.clear();
        }
    }

    @Test
    void anErrorInOpenIsEioAndKeepsNoReferenceSoUnloadDoesNotWait() {
        for (Supplier<Throwable> error : ERRORS) {
            ModuleRegistry driver = kernel.module("faulty");
            driver.registerMisc("faulty", MiscDevice.DYNAMIC_MINOR, throwing("open", error));
            String type = error.get().getClass().getName();
            KernelException e = assertThrows(KernelException.class, () -> user.open("faulty", OpenFlags.O_RDONLY), type);
            assertEquals(Errno.EIO, e.errno(), type);
            assertTrue(kernel.log.stream().anyMatch(l -> l.startsWith("ERROR faulty: open on faulty threw " + type)),
                    type + ": " + kernel.log);
            assertEquals(0, driver.device("faulty").orElseThrow().openCount());
            driver.context().release(); // with the open's reference kept, this would wait for ever (no timeout here)
            assertTrue(user.devices().isEmpty());
            kernel.log.clear();
        }
    }

    @Test
    void outOfMemoryIsTheJvmsAndGoesThroughAfterTheReferencesAreReleased() {
        ModuleRegistry driver = kernel.module("hungry");
        OutOfMemoryError oom = new OutOfMemoryError("Java heap space (thrown by the test)");
        driver.registerMisc("hungry", MiscDevice.DYNAMIC_MINOR, throwing("read", () -> oom));
        OpenFile f = user.open("hungry", OpenFlags.O_RDONLY);
        assertSame(oom, assertThrows(OutOfMemoryError.class, () -> f.read(ByteBuffer.allocate(1))));
        assertTrue(kernel.log.stream().anyMatch(l -> l.startsWith("ERROR hungry: read on hungry threw java.lang.OutOfMemoryError")),
                kernel.log.toString());
        f.close();
        driver.context().release();
        assertTrue(user.devices().isEmpty());
    }
}
