package org.devhost.kernel.impl.registry;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.Region;
import org.devhost.kernel.WaitQueue;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.osgi.framework.Bundle;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ServiceScope;

/**
 * The {@link DeviceRegistry} service: one instance per using bundle (bundle scope), so each
 * registration is owned by the bundle that made it. When the bundle stops using the service (it
 * stopped, or its last component using it deactivated) everything it still holds is released.
 */
@Component(service = DeviceRegistry.class, scope = ServiceScope.BUNDLE)
public final class RegistryComponent implements DeviceRegistry {
    @Reference
    private KernelCore core;

    private Bundle bundle;
    private ModuleContext module;
    private ModuleRegistry registry;

    @Activate
    void activate(ComponentContext context) {
        bundle = context.getUsingBundle();
        module = core.attach(bundle);
        registry = new ModuleRegistry(module);
    }

    @Deactivate
    void deactivate() {
        core.detach(bundle, module);
    }

    @Override
    public org.devhost.kernel.Heartbeat heartbeat(long periodMillis) {
        return registry.heartbeat(periodMillis);
    }

    @Override
    public String moduleName() {
        return registry.moduleName();
    }

    @Override
    public ChrdevRegion chrdevRegion(String name, int major, int baseMinor, int count) {
        return registry.chrdevRegion(name, major, baseMinor, count);
    }

    @Override
    public MiscDevice registerMisc(String name, int minor, FileOperations<?> operations) {
        return registry.registerMisc(name, minor, operations);
    }

    @Override
    public MiscDevice registerMisc(String name, int minor, int mode, FileOperations<?> operations) {
        return registry.registerMisc(name, minor, mode, operations);
    }

    @Override
    public WaitQueue newWaitQueue(Lock lock) {
        return registry.newWaitQueue(lock);
    }

    @Override
    public List<Device> devices() {
        return registry.devices();
    }

    @Override
    public Optional<Device> device(String name) {
        return registry.device(name);
    }

    @Override
    public Optional<Device> device(DeviceNumber number) {
        return registry.device(number);
    }

    @Override
    public List<Region> regions() {
        return registry.regions();
    }

    @Override
    public OpenFile open(String name, int flags) {
        return registry.open(name, flags);
    }

    @Override
    public OpenFile open(DeviceNumber number, int flags) {
        return registry.open(number, flags);
    }
}
