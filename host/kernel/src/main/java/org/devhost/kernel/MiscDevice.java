package org.devhost.kernel;

/**
 * A misc device: one minor under major 10 ({@code kernel::miscdev::Registration},
 * {@code misc_register}).
 *
 * <p>{@link #close()} removes the device (revoking open files) and frees its minor; idempotent.
 * The kernel closes it itself when its bundle stops. Thread-safe.
 */
public interface MiscDevice extends AutoCloseable {
    /** The misc major. */
    int MISC_MAJOR = 10;
    /** Ask for a dynamic minor ({@code MISC_DYNAMIC_MINOR}); they are handed out from 256 up. */
    int DYNAMIC_MINOR = 255;
    /** The first dynamic minor. */
    int FIRST_DYNAMIC_MINOR = 256;

    /** The registered device. */
    Device device();

    @Override
    void close();
}
