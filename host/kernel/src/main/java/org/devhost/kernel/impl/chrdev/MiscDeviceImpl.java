package org.devhost.kernel.impl.chrdev;

import java.util.concurrent.atomic.AtomicBoolean;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceType;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;

/** One misc device and its minor. Close is idempotent (the first caller does the work). */
public final class MiscDeviceImpl implements MiscDevice, Registration {
    private final ModuleContext module;
    private final CharDevice device;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MiscDeviceImpl(ModuleContext module, CharDevice device) {
        this.module = module;
        this.device = device;
    }

    public static MiscDeviceImpl register(ModuleContext module, String name, int minor, int mode, FileOperations<?> ops) {
        DeviceTable.checkMode(name, mode); // before a minor is taken
        DeviceTable table = module.table();
        int m = table.allocMiscMinor(module.name(), name, minor, mode, ops);
        CharDevice d;
        try {
            d = table.addDevice(module, name, DeviceNumber.of(MISC_MAJOR, m), DeviceType.MISC, mode, ops);
        } catch (KernelException e) {
            table.freeMiscMinor(name, m);
            throw e;
        }
        MiscDeviceImpl reg = new MiscDeviceImpl(module, d);
        try {
            module.own(reg);
        } catch (KernelException e) {
            reg.close();
            throw e;
        }
        return reg;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public void beginRevoke() {
        device.beginRevoke();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        module.table().removeDevices(java.util.List.of(device));
        module.table().freeMiscMinor(device.name(), device.number().minor());
        module.disown(this);
    }

    @Override
    public String toString() {
        return "misc device " + device;
    }
}
