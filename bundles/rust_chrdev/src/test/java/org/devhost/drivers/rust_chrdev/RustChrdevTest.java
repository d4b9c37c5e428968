package org.devhost.drivers.rust_chrdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;

class RustChrdevTest {
    @Test
    void twoMinorsUnderTheFirstDynamicMajorThatOpenAndNothingElse() {
        TestKernel kernel = new TestKernel();
        DeviceRegistry user = kernel.load("user");
        RustChrdev driver = new RustChrdev(kernel.load("rust_chrdev"), kernel.logger("rust_chrdev"));
        List<Device> devices = user.devices();
        assertEquals(List.of("rust_chrdev0", "rust_chrdev1"), devices.stream().map(Device::name).toList());
        assertEquals(DeviceNumber.of(254, 0), devices.get(0).number());
        assertEquals(DeviceNumber.of(254, 1), devices.get(1).number());
        try (OpenFile f = user.open(DeviceNumber.of(254, 1), OpenFlags.O_RDWR)) {
            KernelException e = org.junit.jupiter.api.Assertions.assertThrows(KernelException.class,
                    () -> f.read(ByteBuffer.allocate(1)));
            assertEquals(Errno.EINVAL, e.errno());
        }
        driver.drop();
        assertTrue(user.devices().isEmpty());
        assertEquals(List.of("Rust character device sample (init)", "Rust character device sample (exit)"),
                kernel.log().lines().stream().map(LogLine::message).toList());
    }
}
