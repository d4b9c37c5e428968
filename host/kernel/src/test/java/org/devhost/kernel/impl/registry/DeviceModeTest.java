package org.devhost.kernel.impl.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.Device;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.impl.Kernel;
import org.junit.jupiter.api.Test;

/** A device's mode: its default, the overloads that give one, what is refused, and where it shows. */
class DeviceModeTest {
    private final Kernel kernel = new Kernel();
    private final ModuleRegistry reg = kernel.module("modes");

    private static KernelException refused(Runnable r) {
        return assertThrows(KernelException.class, r::run);
    }

    @Test
    void devicesWithoutAModeGetTheDefault() {
        assertEquals(0600, Device.DEFAULT_MODE);
        Device misc = reg.registerMisc("plain", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()).device();
        ChrdevRegion region = reg.chrdevRegion("reg", 0, 0, 2);
        Device next = region.register(Kernel.openOnly());
        Device named = region.register(1, "named", Kernel.openOnly());
        assertEquals(Device.DEFAULT_MODE, misc.mode());
        assertEquals(Device.DEFAULT_MODE, next.mode());
        assertEquals(Device.DEFAULT_MODE, named.mode());
    }

    @Test
    void aGivenModeIsKeptAndPublished() {
        Device misc = reg.registerMisc("open", MiscDevice.DYNAMIC_MINOR, 0666, Kernel.openOnly()).device();
        Device none = reg.chrdevRegion("mem", 1, 0, 256).register(1, "mem", 0, Kernel.openOnly());
        assertEquals(0666, misc.mode());
        assertEquals(0, none.mode());
        assertEquals(0666, KernelCore.properties(misc).get(Device.MODE));
        assertEquals(0, KernelCore.properties(none).get(Device.MODE));
    }

    @Test
    void aModeOutsidePermissionBitsIsEinvalAndTakesNothing() {
        for (int bad : new int[] {-1, 01000, 04755, 020666}) {
            KernelException e = refused(() -> reg.registerMisc("bad", 42, bad, Kernel.openOnly()));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("give 0 to 0777 in octal"), e.getMessage());
        }
        // the fixed minor and the name were not taken by the refused attempts
        assertEquals(42, reg.registerMisc("bad", 42, 0640, Kernel.openOnly()).device().number().minor());

        ChrdevRegion region = reg.chrdevRegion("r", 0, 0, 1);
        assertEquals(Errno.EINVAL, refused(() -> region.register(0, "r", 01777, Kernel.openOnly())).errno());
        assertEquals(0777, region.register(0, "r", 0777, Kernel.openOnly()).mode());
    }

    @Test
    void theWhiteboardReadsAnIntegerOrAnOctalString() {
        assertEquals(0666, MiscWhiteboard.mode(0666));
        assertEquals(0644, MiscWhiteboard.mode("0644"));
        assertEquals(Errno.EINVAL, refused(() -> MiscWhiteboard.mode("rw-rw-rw-")).errno());
    }
}
