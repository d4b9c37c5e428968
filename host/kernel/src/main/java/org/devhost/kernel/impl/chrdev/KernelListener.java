package org.devhost.kernel.impl.chrdev;

import org.devhost.kernel.Device;

/**
 * Where the device table reports what it does: OSGi publication and the kernel log. Called without
 * any table lock held, on the thread that changed the table.
 */
public interface KernelListener {
    /** A device was added and is openable. */
    default void deviceAdded(Device device) {}

    /** A device was removed; its number is free again. */
    default void deviceRemoved(Device device) {}

    /** A line for the kernel log, {@code level} as in {@code org.osgi.service.log.LogLevel}. */
    default void log(String level, String module, String message, Throwable error) {}

    /**
     * A driver's operation threw something other than a KernelException (a driver bug): the
     * supervisor counts these. Called on the caller's thread, after the fault was logged; must
     * not block.
     */
    default void driverFault(String module, String operation, Throwable error) {}

    KernelListener NONE = new KernelListener() {};
}
