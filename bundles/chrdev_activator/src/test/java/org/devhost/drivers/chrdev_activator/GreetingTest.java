package org.devhost.drivers.chrdev_activator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;

/** The sample's file operations on the testing kit: each open reads its line once, in any piece size. */
class GreetingTest {
    @Test
    void eachOpenReadsItsMinorsLineOnceThenEndOfFile() {
        TestKernel kernel = new TestKernel();
        DeviceRegistry driver = kernel.load("chrdev_activator");
        ChrdevRegion region = driver.chrdevRegion("chrdev_activator", DeviceRegistry.DYNAMIC_MAJOR, 0, 2);
        region.register(new ChrdevActivator.Greeting());
        region.register(new ChrdevActivator.Greeting());
        DeviceRegistry user = kernel.load("user");
        for (int round = 0; round < 2; round++) {
            try (OpenFile f = user.open("chrdev_activator1", OpenFlags.O_RDONLY)) {
                StringBuilder got = new StringBuilder();
                ByteBuffer b = ByteBuffer.allocate(5);
                for (int n; (n = f.read(b.clear())) > 0;) {
                    got.append(new String(b.array(), 0, n, StandardCharsets.US_ASCII));
                }
                assertEquals("chrdev_activator: minor 1\n", got.toString());
            }
        }
        kernel.unload(driver);
    }
}
