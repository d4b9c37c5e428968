package org.devhost.kernel.impl.chrdev;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceType;
import org.devhost.kernel.Errno;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.Region;

/**
 * A reserved region and the devices registered in it, minor by minor. Guarded by {@code this};
 * close removes devices outside the lock.
 */
public final class ChrdevRegionImpl implements ChrdevRegion, Registration {
    private final ModuleContext module;
    private final Region region;
    private final List<CharDevice> devices = new ArrayList<>();
    private boolean closed;

    private ChrdevRegionImpl(ModuleContext module, Region region) {
        this.module = module;
        this.region = region;
    }

    public static ChrdevRegionImpl allocate(ModuleContext module, String name, int major, int baseMinor, int count) {
        Region region = module.table().allocRegion(module.name(), name, major, baseMinor, count);
        ChrdevRegionImpl r = new ChrdevRegionImpl(module, region);
        try {
            module.own(r);
        } catch (KernelException e) {
            module.table().freeRegion(region);
            throw e;
        }
        return r;
    }

    @Override
    public String name() {
        return region.name();
    }

    @Override
    public int major() {
        return region.major();
    }

    @Override
    public int baseMinor() {
        return region.baseMinor();
    }

    @Override
    public int count() {
        return region.count();
    }

    @Override
    public synchronized Device register(FileOperations<?> operations) {
        if (closed) {
            throw new KernelException(Errno.ENODEV, "register in region " + region.name() + ": the region is closed");
        }
        int index = devices.size();
        if (index == region.count()) {
            throw new KernelException(Errno.EINVAL, "register in region " + region.name() + ": all " + region.count()
                    + " minors are registered");
        }
        String name = region.count() == 1 ? region.name() : region.name() + index;
        CharDevice d = module.table().addDevice(module, name,
                DeviceNumber.of(region.major(), region.baseMinor() + index), DeviceType.CHAR, Device.DEFAULT_MODE,
                operations);
        devices.add(d);
        return d;
    }

    @Override
    public Device register(int minor, String name, FileOperations<?> operations) {
        return register(minor, name, Device.DEFAULT_MODE, operations);
    }

    @Override
    public synchronized Device register(int minor, String name, int mode, FileOperations<?> operations) {
        if (closed) {
            throw new KernelException(Errno.ENODEV, "register in region " + region.name() + ": the region is closed");
        }
        if (minor < region.baseMinor() || minor >= region.baseMinor() + region.count()) {
            throw new KernelException(Errno.EINVAL, "register " + name + " in region " + region.name() + ": minor "
                    + minor + " is outside " + region.baseMinor() + ".." + (region.baseMinor() + region.count() - 1));
        }
        CharDevice d = module.table().addDevice(module, name, DeviceNumber.of(region.major(), minor), DeviceType.CHAR,
                mode, operations);
        devices.add(d);
        return d;
    }

    @Override
    public synchronized void beginRevoke() {
        devices.forEach(CharDevice::beginRevoke);
    }

    @Override
    public void close() {
        List<CharDevice> toRemove;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toRemove = new ArrayList<>(devices);
        }
        Collections.reverse(toRemove); // the last registered goes first, as Rust drops in reverse
        module.table().removeDevices(toRemove);
        module.table().freeRegion(region);
        module.disown(this);
    }

    @Override
    public String toString() {
        return "chrdev region " + region.name() + " " + region.major() + ":" + region.baseMinor() + "+" + region.count();
    }
}
