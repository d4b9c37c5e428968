package org.devhost.itests.drivers;

import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDevice;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * A test driver whose init registers a misc device and a chrdev region, then fails, as a driver
 * does when a later step of its init hits an error. Built into its own bundle by the test.
 */
@KernelModule(name = "failing_init", description = "init registers, then throws")
@Component(immediate = true)
public final class FailingInit {
    @Activate
    public FailingInit(@Reference DeviceRegistry registry) {
        registry.registerMisc("failing_init", MiscDevice.DYNAMIC_MINOR, (FileOperations<Void>) (File f) -> null);
        registry.chrdevRegion("failing_init_region", 300, 0, 4);
        throw new IllegalStateException("failing_init: init failed after registering (on purpose)");
    }
}
