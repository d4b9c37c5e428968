package org.devhost.kernel.impl.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Dictionary;
import org.devhost.kernel.Device;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.impl.FakeFramework.FakeBundle;
import org.devhost.kernel.impl.FakeFramework.Registered;
import org.devhost.kernel.impl.FakeFramework;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.osgi.service.event.Event;

/** The kernel inside a framework: each device an OSGi service and two events, its log, modules shared per bundle. */
@Timeout(30)
class KernelCoreComponentTest {
    private final FakeFramework fw = new FakeFramework();

    @Test
    void aDeviceIsAServiceWithItsPropertiesWhileItIsRegisteredAndItsArrivalAndDepartureArePosted() {
        KernelCore core = fw.kernelCore();
        FakeBundle scull = fw.module("scull");
        ModuleContext ctx = core.attach(scull.bundle);
        MiscDevice misc = new ModuleRegistry(ctx).registerMisc("scullx", 200, 0640, Kernel.openOnly());

        assertEquals(1, fw.services.size());
        Registered r = fw.services.get(0);
        assertSame(misc.device(), r.service);
        Dictionary<?, ?> p = r.properties;
        assertEquals("scullx", p.get(Device.NAME));
        assertEquals(10, p.get(Device.MAJOR));
        assertEquals(200, p.get(Device.MINOR));
        assertEquals("misc", p.get(Device.TYPE));
        assertEquals("scull", p.get(Device.MODULE));
        assertEquals(0640, p.get(Device.MODE));
        Event added = fw.events(Device.TOPIC_ADDED).get(0);
        assertEquals("scullx", added.getProperty(Device.NAME));
        assertEquals(200, added.getProperty(Device.MINOR));
        assertTrue(fw.logged("INFO scull: registered misc device scullx 10:200"), fw.log.toString());
        assertFalse(r.unregistered);

        misc.close();
        assertTrue(r.unregistered, "the service goes with the device");
        Event removed = fw.events(Device.TOPIC_REMOVED).get(0);
        assertEquals("scullx", removed.getProperty(Device.NAME));
        assertEquals("scull", removed.getProperty(Device.MODULE));
        assertTrue(fw.logged("INFO scull: removed device scullx 10:200"), fw.log.toString());
    }

    @Test
    void aDeviceWhoseServiceTheFrameworkTookDownFirstStillGoesQuietly() {
        KernelCore core = fw.kernelCore();
        MiscDevice misc = new ModuleRegistry(core.attach(fw.module("m").bundle)).registerMisc("m", MiscDevice.DYNAMIC_MINOR,
                Kernel.openOnly());
        fw.services.get(0).unregistered = true; // the kernel bundle is stopping: the framework was first
        misc.close();
        assertEquals(1, fw.events(Device.TOPIC_REMOVED).size());
        assertTrue(core.devices().isEmpty());
    }

    @Test
    void theRevokeTimeoutIsTheFrameworkPropertyAndATypoFallsBackToTheDefaultWithAWarning() {
        assertEquals(KernelCore.DEFAULT_REVOKE_TIMEOUT_MS, fw.kernelCore().table().revokeTimeoutMillis());
        fw.properties.put(KernelCore.REVOKE_TIMEOUT_PROPERTY, " 250 ");
        assertEquals(250, fw.kernelCore().table().revokeTimeoutMillis());
        fw.properties.put(KernelCore.REVOKE_TIMEOUT_PROPERTY, "0");
        assertEquals(0, fw.kernelCore().table().revokeTimeoutMillis());
        assertFalse(fw.logged("is not a number"), fw.log.toString());

        fw.properties.put(KernelCore.REVOKE_TIMEOUT_PROPERTY, "5s");
        assertEquals(KernelCore.DEFAULT_REVOKE_TIMEOUT_MS, fw.kernelCore().table().revokeTimeoutMillis());
        assertTrue(fw.logged("WARN kernel: devhost.revoke.timeout.ms=5s is not a number of milliseconds (0 or more); using 5000"),
                fw.log.toString());
        fw.properties.put(KernelCore.REVOKE_TIMEOUT_PROPERTY, "-1");
        assertEquals(KernelCore.DEFAULT_REVOKE_TIMEOUT_MS, fw.kernelCore().table().revokeTimeoutMillis());
        assertTrue(fw.logged("devhost.revoke.timeout.ms=-1 is not a number"), fw.log.toString());
    }

    @Test
    void kernelLinesGoToTheLogServiceAtTheirLevelUnderTheirModule() {
        KernelCore core = fw.kernelCore();
        core.log("ERROR", "a", "one", null);
        core.log("WARN", "b", "two", null);
        core.log("DEBUG", "c", "three", null);
        core.log("INFO", "d", "four", null);
        core.log("NOTICE", "e", "five", null);
        assertEquals(java.util.List.of("ERROR a: one", "WARN b: two", "DEBUG c: three", "INFO d: four", "INFO e: five"), fw.log);
        FakeFramework.inject(core, "loggers", null); // the Log Service went away: lines are dropped, nothing throws
        core.log("ERROR", "a", "lost", null);
        assertEquals(5, fw.log.size());
    }

    @Test
    void aBundlesUsersShareOneModuleAndTheLastToLeaveReleasesIt() {
        KernelCore core = fw.kernelCore();
        FakeBundle b = fw.module("shared");
        assertNull(core.module(b.bundle));
        ModuleContext first = core.attach(b.bundle);
        ModuleContext second = core.attach(b.bundle);
        assertSame(first, second, "the registry and a whiteboard device of one bundle share its module");
        assertSame(first, core.module(b.bundle));
        assertEquals("shared", first.name());
        new ModuleRegistry(first).registerMisc("shared", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());

        core.detach(b.bundle, first);
        assertFalse(first.isReleased());
        assertEquals(1, core.devices().size(), "one user is still there");
        core.detach(b.bundle, second);
        assertTrue(first.isReleased());
        assertTrue(core.devices().isEmpty(), "the last user's leaving released what the module held");
        assertNull(core.module(b.bundle));

        ModuleContext again = core.attach(b.bundle);
        assertNotSame(first, again, "a released module is never handed out again");
    }

    @Test
    void whatIsStillRegisteredWhenTheKernelStopsIsReleased() {
        KernelCore core = fw.kernelCore();
        ModuleContext m = core.attach(fw.module("left").bundle);
        new ModuleRegistry(m).chrdevRegion("left", 0, 0, 1).register(Kernel.openOnly());
        core.deactivate();
        assertTrue(m.isReleased());
        assertTrue(core.devices().isEmpty());
        assertTrue(fw.services.get(0).unregistered);
    }

    @Test
    void aModuleIsNamedByItsKernelModuleNameElseItsSymbolicName() {
        assertEquals("scull", KernelCore.moduleName(fw.module("scull").bundle));
        assertEquals("org.example.plain", KernelCore.moduleName(fw.plain("org.example.plain").bundle));
    }
}
