package org.devhost.kernel;

/**
 * A reserved range of minors under one major, and the devices registered in it
 * ({@code kernel::chrdev::Registration<N>}, {@code alloc_chrdev_region} + {@code cdev_add}).
 *
 * <p>{@link #register} adds one device per call, on the next free minor of the range, in order,
 * until the range is full. {@link #close()} removes every device (revoking open files) and returns
 * the numbers; it is idempotent. The kernel closes a region itself when its bundle stops.
 * Devices registered without a mode get {@link Device#DEFAULT_MODE}. Thread-safe. Implemented by
 * the kernel only (a provider type).
 */
@org.osgi.annotation.versioning.ProviderType
public interface ChrdevRegion extends AutoCloseable {
    /** The region's name ({@code /proc/devices}). */
    String name();

    /** The major, chosen by the kernel when 0 was asked for. */
    int major();

    int baseMinor();

    int count();

    /**
     * Registers the next minor of the region with these operations. The device is named after the
     * region, followed by its index when the region has more than one minor ({@code scull0}).
     *
     * @return the new device, already openable
     * @throws KernelException EINVAL when every minor of the region is used, ENODEV when the
     *     region is closed
     */
    Device register(FileOperations<?> operations);

    /**
     * Registers a named device on a given minor of the region, for regions whose minors are not
     * filled in order (Linux's {@code mem}: {@code null} is 1:3, {@code zero} 1:5).
     *
     * @throws KernelException EINVAL when the minor is outside the region, EBUSY when it is
     *     registered already, EEXIST when the name is taken, ENODEV when the region is closed
     */
    Device register(int minor, String name, FileOperations<?> operations);

    /**
     * Registers a named device on a given minor with the permission bits of its node (a row of
     * {@code mem.c}'s devlist: {@code { "null", &null_fops, FMODE_NOWAIT, 0666 }}), as {@link
     * #register(int, String, FileOperations)} otherwise.
     *
     * @param mode 0 to 0777
     * @throws KernelException EINVAL for a mode outside 0..0777, and as the overload without a mode
     * @since 1.3
     */
    Device register(int minor, String name, int mode, FileOperations<?> operations);

    @Override
    void close();
}
