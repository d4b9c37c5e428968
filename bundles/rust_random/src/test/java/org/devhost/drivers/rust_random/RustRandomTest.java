package org.devhost.drivers.rust_random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;

class RustRandomTest {
    @Test
    void readsFillTheBufferWithDifferentBytesAndWritesTakeEverything() {
        TestKernel kernel = new TestKernel();
        DeviceRegistry user = kernel.load("user");
        RustRandom driver = new RustRandom(kernel.load("rust_random"));
        try (OpenFile f = user.open("rust_random", OpenFlags.O_RDWR)) {
            ByteBuffer a = ByteBuffer.allocate(4096);
            ByteBuffer b = ByteBuffer.allocate(4096);
            assertEquals(4096, f.read(a));
            assertEquals(4096, f.read(b));
            assertFalse(Arrays.equals(a.array(), b.array()));
            assertEquals(1000, f.write(ByteBuffer.allocate(1000)));
        }
        driver.drop();
    }
}
