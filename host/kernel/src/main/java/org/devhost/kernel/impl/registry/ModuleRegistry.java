package org.devhost.kernel.impl.registry;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.Region;
import org.devhost.kernel.WaitQueue;
import org.devhost.kernel.impl.chrdev.CharDevice;
import org.devhost.kernel.impl.chrdev.ChrdevRegionImpl;
import org.devhost.kernel.impl.chrdev.HeartbeatImpl;
import org.devhost.kernel.impl.chrdev.MiscDeviceImpl;
import org.devhost.kernel.impl.chrdev.ModuleContext;

/** The {@link DeviceRegistry} one module sees: the shared table, with ownership recorded. */
public final class ModuleRegistry implements DeviceRegistry {
    private final ModuleContext module;

    public ModuleRegistry(ModuleContext module) {
        this.module = module;
    }

    public ModuleContext context() {
        return module;
    }

    @Override
    public String moduleName() {
        return module.name();
    }

    @Override
    public ChrdevRegion chrdevRegion(String name, int major, int baseMinor, int count) {
        return ChrdevRegionImpl.allocate(module, name, major, baseMinor, count);
    }

    @Override
    public MiscDevice registerMisc(String name, int minor, FileOperations<?> operations) {
        return registerMisc(name, minor, Device.DEFAULT_MODE, operations);
    }

    @Override
    public MiscDevice registerMisc(String name, int minor, int mode, FileOperations<?> operations) {
        return MiscDeviceImpl.register(module, name, minor, mode, operations);
    }

    @Override
    public WaitQueue newWaitQueue(Lock lock) {
        return module.newWaitQueue(lock);
    }

    @Override
    public org.devhost.kernel.Heartbeat heartbeat(long periodMillis) {
        return HeartbeatImpl.start(module, periodMillis);
    }

    @Override
    public List<Device> devices() {
        return module.table().devices();
    }

    @Override
    public Optional<Device> device(String name) {
        return Optional.ofNullable(module.table().lookup(name));
    }

    @Override
    public Optional<Device> device(DeviceNumber number) {
        return Optional.ofNullable(module.table().lookup(number));
    }

    @Override
    public List<Region> regions() {
        return module.table().regions();
    }

    @Override
    public OpenFile open(String name, int flags) {
        CharDevice d = module.table().lookup(name);
        if (d == null) {
            String restarting = module.table().reservedName(name);
            if (restarting != null) {
                throw new KernelException(Errno.EAGAIN, "open " + name + ": its driver " + restarting
                        + " is restarting; try again");
            }
            throw new KernelException(Errno.ENOENT, "open " + name + ": no device has that name");
        }
        return d.open(flags, module);
    }

    @Override
    public OpenFile open(DeviceNumber number, int flags) {
        CharDevice d = module.table().lookup(number);
        if (d == null) {
            String restarting = module.table().reservedNumber(number);
            if (restarting != null) {
                throw new KernelException(Errno.EAGAIN, "open " + number + ": its driver " + restarting
                        + " is restarting; try again");
            }
            throw new KernelException(Errno.ENXIO, "open " + number + ": no device has that number");
        }
        return d.open(flags, module);
    }
}
