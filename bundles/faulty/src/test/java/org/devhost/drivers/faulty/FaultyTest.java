package org.devhost.drivers.faulty;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Map;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
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
}
