package org.devhost.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class DeviceNumberTest {

    @Test
    void userSpaceEncodingMatchesGlibcMakedev() {
        // makedev(511, 300) from <sys/sysmacros.h>
        assertEquals(0x11ff2cL, DeviceNumber.of(511, 300).userEncoding());
        assertEquals(DeviceNumber.of(511, 300), DeviceNumber.fromUserEncoding(0x11ff2cL));
        // /dev/null is 1:3, which stat shows as 0x103
        assertEquals(0x103L, DeviceNumber.of(1, 3).userEncoding());
        // the largest number both ways
        DeviceNumber max = DeviceNumber.of(511, (1 << 20) - 1);
        assertEquals(max, DeviceNumber.fromUserEncoding(max.userEncoding()));
    }

    @Test
    void kernelEncodingIsMkdev() {
        assertEquals(254 << 20 | 1, DeviceNumber.of(254, 1).kernelEncoding());
        assertEquals(DeviceNumber.of(254, 1), DeviceNumber.fromKernelEncoding(254 << 20 | 1));
        assertEquals(0x1ff0012c, DeviceNumber.of(511, 300).kernelEncoding());
    }

    @Test
    void outOfRangeNumbersAreEinval() {
        assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> DeviceNumber.of(512, 0)).errno());
        assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> DeviceNumber.of(-1, 0)).errno());
        assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> DeviceNumber.of(1, 1 << 20)).errno());
        assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> DeviceNumber.fromKernelEncoding(512 << 20)).errno());
        KernelException e = assertThrows(KernelException.class, () -> DeviceNumber.of(600, 1));
        assertEquals("device number 600:1: major must be 0..511: Invalid argument (EINVAL)", e.getMessage());
    }

    @Test
    void parsesMajorColonMinor() {
        assertEquals(DeviceNumber.of(10, 256), DeviceNumber.parse("10:256"));
        assertEquals("10:256", DeviceNumber.of(10, 256).toString());
        assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> DeviceNumber.parse("10")).errno());
        assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> DeviceNumber.parse("a:b")).errno());
    }

    @Test
    void errnoNumbersAreLinuxs() {
        assertEquals(6, Errno.ENXIO.number());
        assertEquals(19, Errno.ENODEV.number());
        assertEquals(25, Errno.ENOTTY.number());
        assertEquals(75, Errno.EOVERFLOW.number());
        assertEquals(Errno.EBUSY, Errno.of(16));
    }
}
