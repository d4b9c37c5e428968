package com.example.counter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.PollEvents;
import org.devhost.kernel.testing.Caller;
import org.devhost.kernel.testing.LoadedModule;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;

class CounterTest {
    private final TestKernel kernel = new TestKernel();
    private final DeviceRegistry user = kernel.load("user");

    private static String read(OpenFile f) {
        ByteBuffer b = ByteBuffer.allocate(32);
        int n = f.read(b, 0);
        return new String(b.array(), 0, n, StandardCharsets.US_ASCII);
    }

    private static void write(OpenFile f, String text) {
        f.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void countsFromItsStartAndTheIoctlsResetAndGetIt() {
        // loaded as the host loads it: its annotations, its parameters, its misc device
        LoadedModule<Counter> counter = kernel.load(Counter.class, "start=3");
        assertEquals(0666, user.device("counter").orElseThrow().mode());
        try (OpenFile f = user.open("counter", OpenFlags.O_RDWR)) {
            assertEquals("3\n", read(f));
            write(f, "4");
            assertEquals("7\n", read(f));
            // native order, as devfs hands a caller's memory to the driver
            ByteBuffer value = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.nativeOrder());
            f.ioctl(Counter.GET, value);
            assertEquals(7, value.getLong(0));
            f.ioctl(Counter.RESET, 0);
            assertEquals("3\n", read(f));
            KernelException notANumber = assertThrows(KernelException.class, () -> write(f, "many"));
            assertEquals(Errno.EINVAL, notANumber.errno());
            KernelException tooSmall = assertThrows(KernelException.class, () -> f.ioctl(Counter.GET, ByteBuffer.allocate(4)));
            assertEquals(Errno.EINVAL, tooSmall.errno(), "a caller's buffer too small for a long");
        }
        kernel.unload(counter);
        assertTrue(user.device("counter").isEmpty());
    }

    @Test
    void pollSaysReadableWhenTheCountChanged() throws Exception {
        LoadedModule<Counter> counter = kernel.load(Counter.class);
        try (OpenFile watcher = user.open("counter", OpenFlags.O_RDONLY);
                OpenFile writer = user.open("counter", OpenFlags.O_WRONLY)) {
            read(watcher); // seen: 0
            Caller<Integer> poll = Caller.start("poller", () -> watcher.poll(PollEvents.POLLIN, 10_000)).parked();
            write(writer, "1");
            assertTrue((poll.result().get() & PollEvents.POLLIN) != 0, "woken by the change");
        }
        kernel.unload(counter);
    }

    @Test
    void aStartThatIsNotANumberFailsTheLoadWithEinval() {
        KernelException e = assertThrows(KernelException.class, () -> kernel.load(Counter.class, "start=three"));
        assertEquals(Errno.EINVAL, e.errno());
        assertTrue(user.device("counter").isEmpty());
    }
}
