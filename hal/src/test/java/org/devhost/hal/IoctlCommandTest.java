package org.devhost.hal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class IoctlCommandTest {
    @Test
    void encodesAsLinuxIocDoes() {
        IoctlCommand c = IoctlCommand.ior('T', 0x30, 4); // TIOCGPTN, the Javadoc example
        assertEquals(0x80045430, c.value());
        assertEquals(IoctlCommand.READ, c.dir());
        assertEquals(4, c.size());
        assertEquals('T', c.type());
        assertEquals(0x30, c.nr());
        assertEquals(KnownIoctls.TIOCSPTLCK, IoctlCommand.iow('T', 0x31, 4).value());
        assertEquals(KnownIoctls.KVM_GET_API_VERSION, IoctlCommand.io(0xAE, 0x00).value());
        assertEquals(KnownIoctls.BLKGETSIZE64, IoctlCommand.ior(0x12, 114, 8).value());
        assertEquals(KnownIoctls.EVIOCGNAME_256, IoctlCommand.ior('E', 0x06, 256).value());
        assertEquals(KnownIoctls.RTC_RD_TIME, IoctlCommand.ior('p', 0x09, 36).value());
        assertEquals(KnownIoctls.GPIO_GET_CHIPINFO_IOCTL, IoctlCommand.ior(0xB4, 0x01, 68).value());
        assertEquals("0x80045430 (_IOR('T', 0x30, 4))", c.toString());
    }

    @Test
    void oldCommandsCarryNoDirectionOrSizeAlthoughTheyMoveData() {
        IoctlCommand tcgets = KnownIoctls.byName("tcgets").orElseThrow().command();
        assertEquals(IoctlCommand.NONE, tcgets.dir());
        assertEquals(0, tcgets.size());
        assertEquals(60, KnownIoctls.byName("TCGETS").orElseThrow().size(), "the table knows the real size");
        assertEquals("TIOCGWINSZ", KnownIoctls.byValue(0x5413).orElseThrow().name());
    }
}
