package org.devhost.itests.drivers;

import java.nio.ByteBuffer;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDevice;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * A test driver with one misc device, {@code takes_nothing}, whose write accepts no bytes (returns
 * 0) and whose read is at end of file: what a copying command must not loop on for ever. Its module
 * also uses the package {@link org.devhost.itests.drivers.shared}, exported by another test module,
 * so that module is "used by" this one. Built into its own bundle by the test.
 */
@KernelModule(name = "takes_nothing", description = "write takes no bytes")
@Component(immediate = true)
public final class TakesNothing implements FileOperations<Void> {
    private final MiscDevice device;

    @Activate
    public TakesNothing(@Reference DeviceRegistry registry) {
        device = registry.registerMisc(org.devhost.itests.drivers.shared.Names.takesNothing(), MiscDevice.DYNAMIC_MINOR, this);
    }

    @Deactivate
    void drop() {
        device.close();
    }

    @Override
    public Void open(File file) {
        return null;
    }

    @Override
    public int read(Void data, File file, ByteBuffer dst, long offset) {
        return 0;
    }

    @Override
    public int write(Void data, File file, ByteBuffer src, long offset) {
        return 0;
    }
}
