package org.devhost.kernel.impl.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.Device;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.FakeFramework.FakeBundle;
import org.devhost.kernel.impl.FakeFramework;
import org.devhost.kernel.impl.Kernel;
import org.junit.jupiter.api.Test;
import org.osgi.service.component.ComponentContext;

/** The DeviceRegistry service a driver bundle gets: its own module, released when the bundle lets it go. */
class RegistryComponentTest {
    private final FakeFramework fw = new FakeFramework();
    private final KernelCore core = fw.kernelCore();

    private RegistryComponent registryFor(FakeBundle b) {
        RegistryComponent r = new RegistryComponent();
        FakeFramework.inject(r, "core", core);
        r.activate(FakeFramework.proxy(ComponentContext.class, (p, m, a) -> switch (m.getName()) {
            case "getUsingBundle" -> b.bundle;
            default -> FakeFramework.standard(p, m.getName(), a, "component context");
        }));
        return r;
    }

    @Test
    void everyCallActsForTheUsingBundlesModuleAndDeactivationReleasesIt() {
        FakeBundle b = fw.module("scull");
        RegistryComponent r = registryFor(b);
        assertEquals("scull", r.moduleName());
        ChrdevRegion region = r.chrdevRegion("scull", 0, 0, 2);
        Device d0 = region.register(Kernel.openOnly());
        MiscDevice misc = r.registerMisc("scull_misc", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        MiscDevice misc2 = r.registerMisc("scull_misc2", MiscDevice.DYNAMIC_MINOR, 0666, Kernel.openOnly());
        assertEquals(0666, misc2.device().mode());
        assertEquals(List.of("scull0", "scull_misc", "scull_misc2"), r.devices().stream().map(Device::name).sorted().toList());
        assertSame(d0, r.device("scull0").orElseThrow());
        assertSame(misc.device(), r.device(misc.device().number()).orElseThrow());
        assertTrue(r.regions().stream().anyMatch(g -> g.name().equals("scull") && g.count() == 2));
        assertTrue(r.newWaitQueue(new ReentrantLock()) != null);
        assertTrue(r.heartbeat(60_000) != null);
        try (OpenFile f = r.open("scull0", OpenFlags.O_RDONLY); OpenFile g = r.open(misc.device().number(), OpenFlags.O_RDONLY)) {
            assertEquals("scull0", f.deviceName());
            assertEquals("scull_misc", g.deviceName());
        }
        assertSame(core.module(b.bundle), core.attach(b.bundle), "one module per bundle");
        core.detach(b.bundle, core.module(b.bundle));

        r.deactivate();
        assertTrue(core.devices().isEmpty(), "what the bundle still held is released");
        assertEquals(Errno.ENODEV, assertThrows(KernelException.class, () -> r.chrdevRegion("again", 0, 0, 1)).errno());
    }
}
