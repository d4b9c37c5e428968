package org.devhost.kernel;

import java.nio.ByteBuffer;

/**
 * A file opened through the {@link DeviceRegistry}: the user side of a device (a file descriptor).
 *
 * <p>Every call runs the driver's operation on the calling thread. After {@link #close()} calls
 * fail with {@code EBADF}; after the driver went away (its bundle stopped, its registration
 * closed) they fail with {@code ENODEV}. {@code close} is idempotent. Thread-safe; concurrent reads
 * on one file share its position as in Linux (who advances it first is not defined).
 */
public interface OpenFile extends AutoCloseable {
    int SEEK_SET = 0;
    int SEEK_CUR = 1;
    int SEEK_END = 2;

    /** The device's number. */
    DeviceNumber device();

    /** The device's name. */
    String deviceName();

    /** The flags the file was opened with. */
    int flags();

    /** The current file position. */
    long position();

    /**
     * Reads into {@code dst} (up to its remaining bytes) at the file position and advances both.
     *
     * @return bytes read, 0 at end of file
     * @throws KernelException EBADF when not opened for reading, the driver's errno otherwise
     */
    int read(ByteBuffer dst);

    /**
     * Writes {@code src}'s remaining bytes (or as many as the driver takes) at the file position.
     *
     * @return bytes written
     * @throws KernelException EBADF when not opened for writing, the driver's errno otherwise
     */
    int write(ByteBuffer src);

    /**
     * Moves the file position.
     *
     * @return the new position
     * @throws KernelException EINVAL for an unknown whence or a negative result, ESPIPE when the
     *     device cannot seek
     */
    long seek(long offset, int whence);

    /** {@code ioctl(fd, cmd, value)}. */
    long ioctl(int cmd, long arg);

    /** {@code ioctl(fd, cmd, &memory)}: the driver reads and writes {@code arg}. */
    long ioctl(int cmd, ByteBuffer arg);

    /** The {@link PollEvents} ready now. */
    int poll();

    /** Flushes written data. */
    void fsync();

    /** Drops this handle; the driver's release runs once no call on it is in flight. */
    @Override
    void close();
}
