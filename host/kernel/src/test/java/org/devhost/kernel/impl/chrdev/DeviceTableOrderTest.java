package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.Test;

/** dev:ls order, a restarted module's minors, and names and modes refused before a number is taken. */
class DeviceTableOrderTest {
    private final Kernel kernel = new Kernel();

    private static Errno errno(Runnable r) {
        return assertThrows(KernelException.class, r::run).errno();
    }

    @Test
    void devicesAreListedByNumberWhateverTheOrderTheyCameIn() {
        ModuleRegistry m = kernel.module("m");
        m.registerMisc("misc_dev", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()); // 10:256
        m.chrdevRegion("low", 1, 0, 1).register(Kernel.openOnly()); // 1:0
        m.chrdevRegion("high", 300, 0, 1).register(Kernel.openOnly()); // 300:0
        m.registerMisc("misc_fixed", 200, Kernel.openOnly()); // 10:200
        assertEquals(List.of("low", "misc_fixed", "misc_dev", "high"),
                kernel.table.devices().stream().map(Device::name).toList());
        assertEquals(List.of("low", "misc_fixed", "misc_dev", "high"), m.devices().stream().map(Device::name).toList());
    }

    @Test
    void aRestartedModuleGetsItsOwnDynamicMinorsBackInOrderAndOthersStepOverThem() {
        ModuleRegistry down = kernel.module("down");
        MiscDevice a = down.registerMisc("a", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        MiscDevice b = down.registerMisc("b", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        assertEquals(List.of(256, 257), List.of(a.device().number().minor(), b.device().number().minor()));
        kernel.module("other").registerMisc("c", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()); // 258
        kernel.table.reserve("down");
        a.close();
        b.close();

        MiscDevice d = kernel.module("third").registerMisc("d", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        assertEquals(259, d.device().number().minor(), "256 and 257 are held for the restarting module");
        assertEquals(Errno.EBUSY, errno(() -> kernel.module("fourth").registerMisc("e", 256, Kernel.openOnly())));

        ModuleRegistry back = kernel.module("down");
        MiscDevice b2 = back.registerMisc("b", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        MiscDevice a2 = back.registerMisc("a", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        assertEquals(256, b2.device().number().minor());
        assertEquals(257, a2.device().number().minor(), "each once: the first is taken");
        kernel.table.unreserve("down");
        assertEquals(260, back.registerMisc("f", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()).device().number().minor());
    }

    @Test
    void aRestartedModulesFixedMinorIsNeverHandedOutAsADynamicOne() {
        ModuleRegistry down = kernel.module("down");
        MiscDevice fixed = down.registerMisc("fixed", 200, Kernel.openOnly());
        MiscDevice dyn = down.registerMisc("dyn", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        kernel.table.reserve("down");
        fixed.close();
        dyn.close();
        ModuleRegistry back = kernel.module("down");
        assertEquals(256, back.registerMisc("dyn", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()).device().number().minor());
        assertEquals(200, back.registerMisc("fixed", 200, Kernel.openOnly()).device().number().minor());
        kernel.table.unreserve("down");
    }

    @Test
    void aRestartedModuleGetsItsOwnMinorBeforeALowerFreeOne() {
        ModuleRegistry down = kernel.module("down");
        MiscDevice gone = down.registerMisc("gone", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()); // 256
        MiscDevice kept = down.registerMisc("kept", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()); // 257
        gone.close(); // 256 is free again and no longer the module's
        kernel.table.reserve("down");
        kept.close();
        ModuleRegistry back = kernel.module("down");
        assertEquals(257, back.registerMisc("kept", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()).device().number().minor(),
                "its own number back, as its users knew it");
        assertEquals(256, kernel.module("other").registerMisc("x", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly())
                .device().number().minor());
        kernel.table.unreserve("down");
    }

    @Test
    void aFixedMiscMinorIsInRangeAndFreeAndABadModeTakesNoMinor() {
        ModuleRegistry m = kernel.module("m");
        assertEquals(Errno.EINVAL, errno(() -> m.registerMisc("neg", -1, Kernel.openOnly())));
        assertEquals(Errno.EINVAL, errno(() -> m.registerMisc("big", DeviceNumber.MINOR_LIMIT, Kernel.openOnly())));
        MiscDevice last = m.registerMisc("last", DeviceNumber.MINOR_LIMIT - 1, Kernel.openOnly());
        assertEquals(DeviceNumber.MINOR_LIMIT - 1, last.device().number().minor());
        m.registerMisc("zero", 0, Kernel.openOnly());

        KernelException taken = assertThrows(KernelException.class, () -> m.registerMisc("again", 0, Kernel.openOnly()));
        assertEquals(Errno.EBUSY, taken.errno());
        assertTrue(taken.getMessage().startsWith("misc again: minor 0 is taken by zero of module m"), taken.getMessage());

        assertEquals(Errno.EINVAL, errno(() -> m.registerMisc("setuid", 201, 04755, Kernel.openOnly())));
        assertEquals(201, m.registerMisc("fine", 201, 0644, Kernel.openOnly()).device().number().minor(),
                "the refused mode left the minor free");
    }

    @Test
    void aDeviceNameIsCheckedForEveryDeviceOfARegion() {
        ChrdevRegion r = kernel.module("mem").chrdevRegion("mem", 0, 0, 256);
        assertEquals(Errno.EINVAL, errno(() -> r.register(3, "has space", Kernel.openOnly())));
        assertEquals(Errno.EINVAL, errno(() -> r.register(3, "a/b", Kernel.openOnly())));
        assertEquals(Errno.EINVAL, errno(() -> r.register(3, "", Kernel.openOnly())));
        assertEquals("null", r.register(3, "null", Kernel.openOnly()).name());
    }
}
