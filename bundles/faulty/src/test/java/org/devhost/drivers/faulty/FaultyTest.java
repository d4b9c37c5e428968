package org.devhost.drivers.faulty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.testing.Caller;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;

class FaultyTest {
    private final TestKernel kernel = new TestKernel();

    private OpenFile load(String fault) {
        DeviceRegistry module = kernel.load("faulty");
        new Faulty(module, kernel.logger("faulty"), fault == null ? Map.of() : Map.of("fault", fault));
        return kernel.load("user").open("faulty", OpenFlags.O_RDWR);
    }

    @Test
    void byDefaultNothingGoesWrong() {
        try (OpenFile f = load(null)) {
            ByteBuffer b = ByteBuffer.allocate(16);
            assertEquals(4, f.read(b), "faulty_read copies at most 4 bytes");
            assertArrayEquals(new byte[] {-1, -1, -1, -1}, java.util.Arrays.copyOf(b.array(), 4));
            assertEquals(5, f.write(ByteBuffer.wrap("hello".getBytes())));
        }
    }

    @Test
    void oopsMakesReadAndWriteDriverFaults() {
        try (OpenFile f = load("oops")) {
            assertEquals(Errno.EIO, assertThrows(KernelException.class, () -> f.write(ByteBuffer.wrap(new byte[1]))).errno());
            assertEquals(Errno.EIO, assertThrows(KernelException.class, () -> f.read(ByteBuffer.allocate(4))).errno());
        }
    }

    @Test
    void initAndUnknownFaultsFailInit() {
        DeviceRegistry module = kernel.load("faulty");
        assertEquals(Errno.ENODEV, assertThrows(KernelException.class,
                () -> new Faulty(module, kernel.logger("faulty"), Map.of("fault", "init"))).errno());
        assertEquals(Errno.EINVAL, assertThrows(KernelException.class,
                () -> new Faulty(module, kernel.logger("faulty"), Map.of("fault", "sometimes"))).errno());
    }

    /** Whether {@code t} sleeps in the driver's wait for hardware (not in a kernel wait). */
    private static boolean waitingForHardware(Thread t) {
        return t.getState() == Thread.State.TIMED_WAITING && Arrays.stream(t.getStackTrace())
                .anyMatch(f -> f.getClassName().equals(Faulty.FaultyFile.class.getName()) && f.getMethodName().equals("waitForHardware"));
    }

    /** Waits for a state of the caller's thread; fails at once if its call ends. The limit only ends a hung test. */
    private static void await(Caller<?> caller, String what, BooleanSupplier state) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!state.getAsBoolean()) {
            if (caller.result().isDone()) {
                throw new AssertionError("the call ended before " + what + ": " + outcome(caller));
            }
            assertTrue(System.nanoTime() < deadline, "not reached in 30 s: " + what);
            Thread.sleep(1);
        }
    }

    private static String outcome(Caller<?> caller) throws InterruptedException {
        try {
            return "returned " + caller.result().get();
        } catch (ExecutionException e) {
            return "threw " + e.getCause();
        }
    }

    @Test
    void hangMakesAReadThatIgnoresInterruptsAndOnlyAnUnloadTakesTheDeviceAway() throws Exception {
        // the revoke bound is the kernel's own wait for operations in flight, kept short: this one never ends
        TestKernel kernel = new TestKernel(Duration.ofMillis(200));
        DeviceRegistry module = kernel.load("faulty");
        new Faulty(module, kernel.logger("faulty"), Map.of("fault", "hang"));
        DeviceRegistry user = kernel.load("user");
        OpenFile f = user.open("faulty", OpenFlags.O_RDWR);
        Caller<Integer> reader = Caller.start("hung reader", () -> f.read(ByteBuffer.allocate(4)));
        await(reader, "the reader sleeps in the driver", () -> waitingForHardware(reader.thread()));
        assertFalse(TestKernel.isParked(reader.thread()), "it waits in the driver's code, where no wake of the kernel reaches");

        // Ctrl-C: the driver swallows the interrupt and goes back to sleep; the read goes on
        reader.thread().interrupt();
        await(reader, "the driver took the interrupt and sleeps again",
                () -> !reader.thread().isInterrupted() && waitingForHardware(reader.thread()));
        assertFalse(reader.result().isDone(), "the interrupt ended the read");

        // the unload revokes the device: the kernel waits its bound, then removes it anyway and names the thread
        kernel.unload(module);
        assertTrue(user.device("faulty").isEmpty(), "the device is still there after the unload");
        assertEquals(Errno.ENODEV, assertThrows(KernelException.class, () -> f.read(ByteBuffer.allocate(4))).errno());
        assertEquals(Errno.ENOENT, assertThrows(KernelException.class, () -> user.open("faulty", OpenFlags.O_RDONLY)).errno());
        String warning = kernel.messages("faulty").stream().filter(l -> l.startsWith("operations on faulty still running"))
                .findFirst().orElseThrow(() -> new AssertionError("no warning of the stuck read in " + kernel.messages("faulty")));
        assertTrue(warning.contains("after the revoke timeout (200 ms); removing the device anyway")
                && warning.contains("'hung reader' (")
                && warning.contains(") at " + Faulty.FaultyFile.class.getName() + ".waitForHardware("), warning);
        // a Java thread cannot be stopped: the read is abandoned in the driver (a daemon; it ends with the JVM)
        assertTrue(reader.thread().isAlive() && !reader.result().isDone(), "the hung read returned");
    }
}
