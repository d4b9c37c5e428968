package org.devhost.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The ioctl numbers are Linux's, bit for bit: what a C caller's {@code <linux/ioctl.h>} makes. */
class IoctlTest {
    @Test
    void theMacrosMakeLinuxsNumbers() {
        assertEquals(0x00006b01, Ioctl.io('k', 1));
        assertEquals(0x80086b02, Ioctl.ior('k', 2, Long.BYTES));
        assertEquals(0x40046b03, Ioctl.iow('k', 3, Integer.BYTES));
        assertEquals(0xc0106b04, Ioctl.iowr('k', 4, 16));
        assertEquals(0x80045430, Ioctl.ior('T', 0x30, 4), "TIOCGPTN");
        assertEquals(0x40045431, Ioctl.iow('T', 0x31, 4), "TIOCSPTLCK");
        assertEquals(0x5401, Ioctl.io('T', 1), "TCGETS: an old command with no size");
    }

    @Test
    void theFieldsComeBackOut() {
        int cmd = Ioctl.iowr('k', 0xfe, 16383);
        assertEquals(Ioctl.READ | Ioctl.WRITE, Ioctl.dir(cmd));
        assertEquals('k', Ioctl.type(cmd));
        assertEquals(0xfe, Ioctl.nr(cmd));
        assertEquals(16383, Ioctl.size(cmd));
        assertEquals(Ioctl.NONE, Ioctl.dir(Ioctl.io(0xff, 0xff)));
        assertEquals(0xff, Ioctl.type(Ioctl.io(0xff, 0)));
    }

    @Test
    void aFieldThatDoesNotFitIsRefusedNamingTheRanges() {
        for (Runnable bad : new Runnable[] {() -> Ioctl.ior('k', 2, 16384), () -> Ioctl.io(256, 1), () -> Ioctl.io('k', 256),
                () -> Ioctl.io(-1, 0), () -> Ioctl.ioc(4, 'k', 0, 0), () -> Ioctl.ior('k', 0, -1)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, bad::run);
            assertTrue(e.getMessage().contains("out of range: dir 0-3, type and nr 0-255, size 0-16383"), e.getMessage());
        }
    }
}
