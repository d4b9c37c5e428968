package org.devhost.kernel.impl.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.devhost.kernel.Device;
import org.devhost.kernel.Errno;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDeviceProperties;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.FakeFramework.FakeBundle;
import org.devhost.kernel.impl.FakeFramework;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.junit.jupiter.api.Test;
import org.osgi.framework.ServiceReference;

/** The one-class driver: a FileOperations service with misc properties is a misc device while the service is there. */
class MiscWhiteboardTest {
    private final FakeFramework fw = new FakeFramework();
    private final KernelCore core = fw.kernelCore();
    private final MiscWhiteboard board = new MiscWhiteboard(core, fw.context);

    private ServiceReference<FileOperations<?>> service(FakeBundle from, FileOperations<?> ops, Object... props) {
        Map<String, Object> p = new java.util.HashMap<>();
        for (int i = 0; i < props.length; i += 2) {
            p.put((String) props[i], props[i + 1]);
        }
        return fw.reference(from, ops, p);
    }

    private Device device(String name) {
        return core.devices().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aServiceWithMiscPropertiesIsADeviceOfItsBundlesModuleUntilTheServiceGoes() {
        FakeBundle b = fw.module("rust_miscdev");
        ServiceReference<FileOperations<?>> ref = service(b, Kernel.openOnly(), MiscDeviceProperties.NAME, "rust_miscdev",
                MiscDeviceProperties.MINOR, " 201 ", MiscDeviceProperties.MODE, "0640");
        board.add(ref);
        Device d = device("rust_miscdev");
        assertEquals("10:201", d.number().toString());
        assertEquals(0640, d.mode());
        assertEquals("rust_miscdev", d.module());
        assertTrue(core.module(b.bundle) != null);
        OpenFile f = new ModuleRegistry(new ModuleContext("user", core.table())).open("rust_miscdev", OpenFlags.O_RDONLY);

        board.remove(ref);
        assertTrue(core.devices().isEmpty());
        assertEquals(1, fw.ungets.get(), "the service is given back");
        assertEquals(null, core.module(b.bundle), "the module's count is back to none");
        assertEquals(Errno.ENODEV, assertThrows(KernelException.class, () -> f.read(java.nio.ByteBuffer.allocate(1))).errno());
        board.remove(ref); // twice: nothing more
        assertEquals(1, fw.ungets.get());
    }

    /**
     * The hybrid one-class driver (WRITING-DRIVERS.md 7.8): its misc device from the whiteboard and
     * a region its constructor registered through its registry are one module; the misc device
     * goes when the service does, the region when the registry is released, and nothing is left.
     */
    @Test
    void aOneClassDriverWhoseConstructorRegistersARegionIsOneModuleAndLeavesNothing() {
        FakeBundle b = fw.module("hybrid");
        ModuleContext context = core.attach(b.bundle); // what the bundle's RegistryComponent does
        new ModuleRegistry(context).chrdevRegion("hybrid", 240, 0, 2).register(0, "hybrid0", Kernel.openOnly());
        ServiceReference<FileOperations<?>> ref = service(b, Kernel.openOnly(), MiscDeviceProperties.NAME, "hybrid");
        board.add(ref);
        assertEquals("hybrid", device("hybrid").module());
        assertEquals("hybrid", device("hybrid0").module());
        assertEquals("240:0", device("hybrid0").number().toString());
        assertTrue(core.module(b.bundle) == context, "one module context for both");

        board.remove(ref); // the component stops: DS unregisters its service first
        assertEquals(java.util.List.of("hybrid0"), core.devices().stream().map(Device::name).toList());
        core.detach(b.bundle, context); // then its registry is released
        assertTrue(core.devices().isEmpty());
        assertEquals(null, core.module(b.bundle));
        new ModuleRegistry(new ModuleContext("next", core.table())).chrdevRegion("next", 240, 0, 2); // the major is free
    }

    @Test
    void withoutMinorOrModeTheDeviceGetsADynamicMinorAndTheDefaultMode() {
        FakeBundle b = fw.module("m");
        board.add(service(b, Kernel.openOnly(), MiscDeviceProperties.NAME, "m", MiscDeviceProperties.MODE, 0444));
        board.add(service(b, Kernel.openOnly(), MiscDeviceProperties.NAME, "n"));
        assertEquals(0444, device("m").mode());
        assertEquals(Device.DEFAULT_MODE, device("n").mode());
        assertTrue(device("n").number().minor() >= 256);
        board.deactivate();
        assertTrue(core.devices().isEmpty(), "every whiteboard device goes with the whiteboard");
        assertEquals(null, core.module(b.bundle));
    }

    @Test
    void aServiceThatCannotBeADeviceIsRefusedWithTheReasonAndLeavesNothing() {
        FakeBundle b = fw.module("bad");
        board.add(service(b, Kernel.openOnly(), MiscDeviceProperties.NAME, "bad", MiscDeviceProperties.MODE, "rw-"));
        assertTrue(fw.logged("ERROR bad: misc device bad from the whiteboard not registered: devhost.misc.mode=rw- is not a number;"
                + " give permission bits 0 to 0777, e.g. 0666"), fw.log.toString());
        board.add(service(b, null, MiscDeviceProperties.NAME, "inactive"));
        assertTrue(fw.logged("ERROR bad: misc device inactive from the whiteboard not registered:"
                + " java.lang.IllegalStateException: its component did not activate (see the log above)"), fw.log.toString());
        board.add(service(b, Kernel.openOnly(), MiscDeviceProperties.NAME, "first", MiscDeviceProperties.MINOR, 202));
        board.add(service(b, Kernel.openOnly(), MiscDeviceProperties.NAME, "second", MiscDeviceProperties.MINOR, 202));
        assertTrue(fw.logged("ERROR bad: misc device second from the whiteboard not registered: misc second: minor 202"),
                fw.log.toString());
        assertEquals(1, fw.ungets.get(), "the refused device's service is given back");
        assertEquals(1, core.devices().size());
        board.add(service(null, Kernel.openOnly(), MiscDeviceProperties.NAME, "gone")); // unregistered already
        assertEquals(1, core.devices().size());
        board.remove(service(b, Kernel.openOnly(), MiscDeviceProperties.NAME, "never"));
        assertEquals(1, fw.ungets.get());
    }

    @Test
    void theModeIsAnIntegerOrOctalOrDecimalText() {
        assertEquals(0666, MiscWhiteboard.mode(0666));
        assertEquals(0666, MiscWhiteboard.mode(" 0666 "));
        assertEquals(420, MiscWhiteboard.mode("420"));
        assertEquals(Errno.EINVAL, assertThrows(KernelException.class, () -> MiscWhiteboard.mode("0x")).errno());
    }
}
