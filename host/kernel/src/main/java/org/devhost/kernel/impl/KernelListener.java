package org.devhost.kernel.impl;

import org.devhost.kernel.Device;

/**
 * Where the device table reports what it does: OSGi publication and the kernel log. Called without
 * any table lock held, on the thread that changed the table.
 */
interface KernelListener {
    /** A device was added and is openable. */
    default void deviceAdded(Device device) {}

    /** A device was removed; its number is free again. */
    default void deviceRemoved(Device device) {}

    /** A line for the kernel log, {@code level} as in {@code org.osgi.service.log.LogLevel}. */
    default void log(String level, String module, String message, Throwable error) {}

    KernelListener NONE = new KernelListener() {};
}
