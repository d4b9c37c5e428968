package org.devhost.kernel.impl;

import java.util.ArrayList;
import java.util.List;
import org.devhost.kernel.Device;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;

/** A kernel without a framework, for unit tests: one table, modules made on demand, events recorded. */
final class Kernel implements KernelListener {
    final List<String> events = new ArrayList<>();
    final List<String> log = new ArrayList<>();
    final DeviceTable table;

    Kernel() {
        this(2000);
    }

    Kernel(long revokeTimeoutMillis) {
        table = new DeviceTable(this, revokeTimeoutMillis);
    }

    ModuleRegistry module(String name) {
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
    static FileOperations<Void> openOnly() {
        return (File f) -> null;
    }
}
