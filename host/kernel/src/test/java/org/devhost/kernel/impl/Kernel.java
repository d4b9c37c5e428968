package org.devhost.kernel.impl;

import java.util.ArrayList;
import java.util.List;
import org.devhost.kernel.Device;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.impl.chrdev.DeviceTable;
import org.devhost.kernel.impl.chrdev.KernelListener;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.devhost.kernel.impl.registry.ModuleRegistry;

/** A kernel without a framework, for unit tests: one table, modules made on demand, events recorded. */
public final class Kernel implements KernelListener {
    public final List<String> events = new ArrayList<>();
    public final List<String> log = new ArrayList<>();
    public final DeviceTable table;

    public Kernel() {
        this(2000);
    }

    public Kernel(long revokeTimeoutMillis) {
        table = new DeviceTable(this, revokeTimeoutMillis);
    }

    public ModuleRegistry module(String name) {
        return new ModuleRegistry(new ModuleContext(name, table));
    }

    @Override
    public synchronized void deviceAdded(Device device) {
        events.add("added " + device.name());
    }

    @Override
    public synchronized void deviceRemoved(Device device) {
        events.add("removed " + device.name());
    }

    @Override
    public synchronized void log(String level, String module, String message, Throwable error) {
        log.add(level + " " + module + ": " + message);
    }

    /** File operations with nothing but open. */
    public static FileOperations<Void> openOnly() {
        return (File f) -> null;
    }
}
