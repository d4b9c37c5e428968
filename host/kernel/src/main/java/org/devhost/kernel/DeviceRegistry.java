package org.devhost.kernel;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.Lock;

/**
 * The kernel's device registry, as a bundle sees it.
 *
 * <p>The service is per bundle (an OSGi service factory): every registration made through it
 * belongs to the bundle that got it, and everything the bundle still holds when it stops is closed
 * by the kernel ({@code devm_}-style), whether or not the driver's own deactivation remembered.
 *
 * <p>Numbers follow Linux: majors 0..511; a fixed major reserves exactly the minors asked for and
 * any overlap on that major is {@code EBUSY}; major 0 asks for a dynamic major, searched from 254
 * down to 234, then from 511 down to 384 ({@code EBUSY} when all are used); misc devices live on
 * major 10, with dynamic minors from 256. Opening a number nobody registered is {@code ENXIO};
 * opening a device whose driver is going away is {@code ENODEV}.
 *
 * <p>A device's mode (its node's permission bits, {@link Device#mode()}) is 0 to 0777; the overloads
 * without one give {@link Device#DEFAULT_MODE}.
 *
 * <p>Thread-safe. Implemented by the kernel only (a provider type).
 */
@org.osgi.annotation.versioning.ProviderType
public interface DeviceRegistry {
    /** Ask {@link #chrdevRegion} for a dynamic major. */
    int DYNAMIC_MAJOR = 0;

    /** The name of the module this instance belongs to (its {@link KernelModule} name, or else the bundle's symbolic name). */
    String moduleName();

    /**
     * Reserves {@code count} minors from {@code baseMinor} under {@code major} (0 = dynamic).
     *
     * @throws KernelException EINVAL for a bad name, major or range; EBUSY when the range overlaps
     *     another on that major or no dynamic major is free
     */
    ChrdevRegion chrdevRegion(String name, int major, int baseMinor, int count);

    /**
     * Registers a misc device: major 10, the given minor or {@link MiscDevice#DYNAMIC_MINOR}.
     *
     * @throws KernelException EBUSY when the minor is taken, EEXIST when the name is, EINVAL for a bad minor
     */
    MiscDevice registerMisc(String name, int minor, FileOperations<?> operations);

    /**
     * Registers a misc device with the permission bits of its node ({@code miscdevice.mode}), as
     * {@link #registerMisc(String, int, FileOperations)} otherwise.
     *
     * @param mode 0 to 0777 ({@code 0666} for a device everyone may read and write)
     * @throws KernelException EINVAL for a mode outside 0..0777, and as the overload without a mode
     * @since 1.3
     */
    MiscDevice registerMisc(String name, int minor, int mode, FileOperations<?> operations);

    /** A wait queue whose waiters hold {@code lock}; see {@link WaitQueue}. */
    WaitQueue newWaitQueue(Lock lock);

    /**
     * Asks the supervisor to watch this module by heartbeat: the driver must call {@link
     * Heartbeat#beat()} at least once every {@code periodMillis}, else the module is treated as
     * hung and restarted (when it is supervised; see {@link Heartbeat}). The first period starts
     * now.
     *
     * @param periodMillis 1 or more; the supervisor looks every 250 ms
     * @throws KernelException EINVAL for a period below 1; ENODEV when the module is unloading
     * @since 1.5
     */
    Heartbeat heartbeat(long periodMillis);

    /** Every registered device, ordered by number. */
    List<Device> devices();

    Optional<Device> device(String name);

    Optional<Device> device(DeviceNumber number);

    /** Every reserved region, ordered by major then base minor: the {@code /proc/devices} view. */
    List<Region> regions();

    /**
     * Opens a device by name.
     *
     * @param flags {@link OpenFlags}
     * @throws KernelException ENOENT for an unknown name, ENODEV while its driver goes away, or the
     *     driver's own errno
     */
    OpenFile open(String name, int flags);

    /**
     * Opens a device by number.
     *
     * @throws KernelException ENXIO when no device has that number, ENODEV while its driver goes
     *     away, or the driver's own errno
     */
    OpenFile open(DeviceNumber number, int flags);
}
