package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.Test;

/** Majors, minors and names are handed out and refused by Linux's rules. */
class NumberAllocationTest {
    private final Kernel kernel = new Kernel();
    private final ModuleRegistry reg = kernel.module("test");

    private static Errno errno(Runnable r) {
        return assertThrows(KernelException.class, r::run).errno();
    }

    @Test
    void dynamicMajorsGo254To234Then511To384AndRunOutWithEbusy() {
        List<ChrdevRegion> held = new ArrayList<>();
        List<Integer> majors = new ArrayList<>();
        for (int i = 0; i < 149; i++) {
            ChrdevRegion r = reg.chrdevRegion("dyn" + i, 0, 0, 1);
            held.add(r);
            majors.add(r.major());
        }
        assertEquals(254, majors.get(0));
        assertEquals(234, majors.get(20));
        assertEquals(511, majors.get(21));
        assertEquals(384, majors.get(148));
        KernelException e = assertThrows(KernelException.class, () -> reg.chrdevRegion("one_too_many", 0, 0, 1));
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(e.getMessage().contains("all dynamic majors"), e.getMessage());

        // Freeing one makes exactly that one available again.
        held.get(14).close(); // major 240
        assertEquals(240, reg.chrdevRegion("again", 0, 0, 1).major());
        held.get(100).close(); // major 432
        assertEquals(432, reg.chrdevRegion("again2", 0, 0, 1).major());
        assertEquals(Errno.EBUSY, errno(() -> reg.chrdevRegion("full", 0, 0, 1)));
    }

    @Test
    void aMajorWithAnyRegionIsNotDynamic() {
        reg.chrdevRegion("fixed", 254, 100, 1);
        assertEquals(253, reg.chrdevRegion("dyn", 0, 0, 1).major());
    }

    @Test
    void overlappingRegionsOnAMajorAreEbusyAdjacentOnesSucceed() {
        reg.chrdevRegion("a", 300, 10, 10); // minors 10..19
        assertEquals(Errno.EBUSY, errno(() -> reg.chrdevRegion("b", 300, 19, 5)));
        assertEquals(Errno.EBUSY, errno(() -> reg.chrdevRegion("c", 300, 5, 6)));
        assertEquals(Errno.EBUSY, errno(() -> reg.chrdevRegion("d", 300, 12, 1)));
        assertEquals(Errno.EBUSY, errno(() -> reg.chrdevRegion("e", 300, 0, 100)));
        ChrdevRegion below = reg.chrdevRegion("below", 300, 0, 10);
        ChrdevRegion above = reg.chrdevRegion("above", 300, 20, 10);
        assertEquals(300, below.major());
        assertEquals(300, above.major());
        reg.chrdevRegion("other_major", 301, 10, 10);
        assertEquals(3, reg.regions().stream().filter(r -> r.major() == 300).count());
    }

    @Test
    void badRangesAreEinval() {
        assertEquals(Errno.EINVAL, errno(() -> reg.chrdevRegion("x", 512, 0, 1)));
        assertEquals(Errno.EINVAL, errno(() -> reg.chrdevRegion("x", -1, 0, 1)));
        assertEquals(Errno.EINVAL, errno(() -> reg.chrdevRegion("x", 300, 0, 0)));
        assertEquals(Errno.EINVAL, errno(() -> reg.chrdevRegion("x", 300, -1, 1)));
        assertEquals(Errno.EINVAL, errno(() -> reg.chrdevRegion("x", 300, (1 << 20) - 1, 2)));
        assertEquals(Errno.EINVAL, errno(() -> reg.chrdevRegion("", 300, 0, 1)));
        assertEquals(Errno.EINVAL, errno(() -> reg.chrdevRegion("has space", 300, 0, 1)));
        reg.chrdevRegion("x", 300, (1 << 20) - 1, 1); // the last minor fits
        assertEquals(1, reg.regions().stream().filter(r -> r.major() == 300).count(), "nothing half-registered");
    }

    @Test
    void majorTenBelongsToMisc() {
        assertEquals(Errno.EBUSY, errno(() -> reg.chrdevRegion("mine", 10, 0, 1)));
    }

    @Test
    void miscFixedMinorConflictIsEbusyAndDynamicMinorsStartAt256() {
        MiscDevice fixed = reg.registerMisc("fixed", 200, Kernel.openOnly());
        assertEquals(DeviceNumber.of(10, 200), fixed.device().number());
        KernelException e = assertThrows(KernelException.class, () -> reg.registerMisc("again", 200, Kernel.openOnly()));
        assertEquals(Errno.EBUSY, e.errno());
        assertTrue(e.getMessage().contains("taken by fixed"), e.getMessage());

        assertEquals(256, reg.registerMisc("d0", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()).device().number().minor());
        MiscDevice d1 = reg.registerMisc("d1", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        assertEquals(257, d1.device().number().minor());
        d1.close();
        assertEquals(257, reg.registerMisc("d2", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()).device().number().minor());
        assertEquals(Errno.EINVAL, errno(() -> reg.registerMisc("neg", -2, Kernel.openOnly())));
    }

    @Test
    void namesAreUniqueAndAFailedRegistrationLeavesNothing() {
        reg.registerMisc("dup", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        assertEquals(Errno.EEXIST, errno(() -> reg.registerMisc("dup", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly())));
        // the minor the failed registration took was given back
        assertEquals(257, reg.registerMisc("next", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly()).device().number().minor());
    }

    @Test
    void chrdevRegionRegistersOneDevicePerMinorInOrder() {
        ChrdevRegion r = reg.chrdevRegion("rust_chrdev", 0, 0, 2);
        assertEquals("rust_chrdev0", r.register(Kernel.openOnly()).name());
        assertEquals(DeviceNumber.of(254, 1), r.register(Kernel.openOnly()).number());
        assertEquals(Errno.EINVAL, errno(() -> r.register(Kernel.openOnly())));
        assertEquals(List.of("added rust_chrdev0", "added rust_chrdev1"), kernel.events);
        r.close();
        r.close(); // idempotent
        assertTrue(reg.devices().isEmpty());
        assertEquals(List.of("misc"), reg.regions().stream().map(x -> x.name()).toList());
        assertEquals(Errno.ENODEV, errno(() -> r.register(Kernel.openOnly())));
    }

    @Test
    void openingAFreeNumberIsEnxioAndAnUnknownNameEnoent() {
        assertEquals(Errno.ENXIO, errno(() -> reg.open(DeviceNumber.of(254, 0), OpenFlags.O_RDONLY)));
        reg.chrdevRegion("reserved_only", 254, 0, 4); // reserved, but no device on the minor yet
        assertEquals(Errno.ENXIO, errno(() -> reg.open(DeviceNumber.of(254, 0), OpenFlags.O_RDONLY)));
        assertEquals(Errno.ENOENT, errno(() -> reg.open("nothing_here", OpenFlags.O_RDONLY)));
    }

    @Test
    void releasingAModuleFreesWhatItForgot() {
        ModuleRegistry driver = kernel.module("forgetful");
        driver.chrdevRegion("forgetful", 0, 0, 2).register(Kernel.openOnly());
        driver.registerMisc("forgetful_misc", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        var file = reg.open("forgetful0", OpenFlags.O_RDWR);
        driver.context().release();
        assertTrue(reg.devices().isEmpty());
        assertEquals(1, reg.regions().size());
        assertEquals(Errno.ENODEV, errno(() -> file.poll()));
        assertEquals(Errno.ENODEV, errno(() -> driver.registerMisc("late", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly())));
    }
}
