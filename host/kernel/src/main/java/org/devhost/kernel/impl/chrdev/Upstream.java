package org.devhost.kernel.impl.chrdev;

import org.devhost.kernel.DeviceNumber;

/**
 * The kernel a satellite kernel answers to: when this table runs in an isolated module's own
 * process, the host's kernel owns the numbers and names, so every reservation is made there
 * first and this table only records what the host granted. Set once, before any module
 * registers ({@link DeviceTable#upstream}); absent in the host itself.
 *
 * <p>Each method may block on the host's answer and throws {@link org.devhost.kernel.KernelException}
 * with the host's errno when it refuses; the table calls none of them with its lock held.
 */
public interface Upstream {
    /** Reserves a region on the host; returns its major (the host picks a dynamic one for 0). */
    int region(String name, int major, int baseMinor, int count);

    /** A region reserved by {@link #region} is closed here: close it on the host too. */
    void regionFreed(String name, int major, int baseMinor);

    /** Registers a device of a region on the host; throws when the host refuses the name or number. */
    void chrDevice(String name, DeviceNumber number, int mode, java.util.Set<org.devhost.kernel.Operation> operations);

    /** Registers a misc device on the host; returns its minor (the host picks a dynamic one). */
    int misc(String name, int minor, int mode, java.util.Set<org.devhost.kernel.Operation> operations);

    /** A device the host granted is now in this table: the host may let its opens through. */
    void added(String name);

    /** A misc device registered by {@link #misc} is gone here: remove it on the host too. */
    void miscFreed(String name, int minor);
}
