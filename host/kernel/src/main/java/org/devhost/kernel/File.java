package org.devhost.kernel;

/**
 * A driver's view of one open file (Linux's {@code struct file}).
 *
 * <p>The kernel passes it to every {@link FileOperations} call. It is valid until {@code release}
 * returns; after the device is revoked, {@link #isRevoked()} is true and kernel waits on it end
 * with {@code ENODEV}. Thread-safe: several threads may use one file at once, as in Linux.
 */
public interface File {
    /** The number of the device this file was opened on. */
    DeviceNumber device();

    /** The name of the device, as {@code dev:ls} shows it. */
    String deviceName();

    /**
     * The file's {@link OpenFlags}: those given to open, with {@link OpenFlags#O_NONBLOCK} and
     * {@link OpenFlags#O_APPEND} as the user last set them ({@link OpenFile#setStatusFlags}).
     */
    int flags();

    /** True when the file was opened with {@link OpenFlags#O_NONBLOCK}: waits give EAGAIN. */
    default boolean isNonBlocking() {
        return (flags() & OpenFlags.O_NONBLOCK) != 0;
    }

    /** The file position ({@code f_pos}) the current read or write starts at. */
    long position();

    /** True once the device is going away; operations then fail with ENODEV. */
    boolean isRevoked();
}
