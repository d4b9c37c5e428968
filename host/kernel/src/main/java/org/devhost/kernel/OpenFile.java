package org.devhost.kernel;

import java.nio.ByteBuffer;

/**
 * A file opened through the {@link DeviceRegistry}: the user side of a device (a file descriptor).
 *
 * <p>Every call runs the driver's operation on the calling thread. After {@link #close()} calls
 * fail with {@code EBADF}; after the driver went away (its bundle stopped, its registration
 * closed) they fail with {@code ENODEV}. {@code close} is idempotent. Thread-safe; concurrent reads
 * on one file share its position as in Linux (who advances it first is not defined).
 *
 * <p>Implemented by the kernel only (a provider type): tools and drivers use it, never implement it.
 */
@org.osgi.annotation.versioning.ProviderType
public interface OpenFile extends AutoCloseable {
    int SEEK_SET = 0;
    int SEEK_CUR = 1;
    int SEEK_END = 2;

    /** The device's number. */
    DeviceNumber device();

    /** The device's name. */
    String deviceName();

    /** The file's flags: those it was opened with, O_NONBLOCK and O_APPEND as {@link #setStatusFlags} last set them. */
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
     * {@code pread(2)}: reads at {@code position} without using or moving the file position (a
     * file system that keeps the position on its side, such as devfs, reads this way).
     * @return bytes read, 0 at end of file
     * @throws KernelException ESPIPE when the device cannot seek, EINVAL for a negative position,
     *     EBADF when not opened for reading, the driver's errno otherwise
     * @since 1.4
     */
    int read(ByteBuffer dst, long position);

    /**
     * {@code pwrite(2)}: writes at {@code position} without using or moving the file position.
     * @return bytes written
     * @throws KernelException ESPIPE when the device cannot seek, EINVAL for a negative position,
     *     EBADF when not opened for writing, the driver's errno otherwise
     * @since 1.4
     */
    int write(ByteBuffer src, long position);

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

    /** The {@link PollEvents} ready now (the driver's poll, once, subscribing to nothing). */
    int poll();

    /**
     * Waits until one of {@code events} is ready, as {@code poll(2)} on this one file does.
     * {@link PollEvents#POLLERR} and {@link PollEvents#POLLHUP} are always reported, asked for or
     * not. The driver's poll runs first; when nothing asked for is ready, the caller parks until a
     * wait queue the driver {@linkplain PollTable#register registered} is woken, then the driver's
     * poll runs again. No busy polling: a driver that registers no queue is asked again only when
     * the timeout ends the wait.
     *
     * @param events the {@link PollEvents} bits of interest
     * @param timeoutMillis 0 to check once without waiting, negative to wait without limit
     * @return the ready bits among {@code events | POLLERR | POLLHUP}; 0 when the timeout passed
     * @throws KernelException EINTR when the thread is interrupted before or while it waits (its
     *     interrupt status is kept); ENODEV when the device is (or, while waiting, becomes)
     *     revoked; EBADF when the file is (or, while waiting, becomes) closed
     * @since 1.3
     */
    int poll(int events, long timeoutMillis);

    /**
     * Runs the driver's poll once, now, and subscribes {@code onReady} to the wait queues it
     * registered (what the FUSE {@code POLL} request with a notify handle needs).
     *
     * <p>{@code onReady} runs at most once: the first time one of those queues is woken, or when
     * the device is revoked (revocation wakes the module's queues). It runs on the waking thread,
     * possibly with the driver's lock held (a driver may call {@code wakeAll} under its lock), and
     * possibly before this method returns (when the wake races with it): it must not block, nor
     * call into this device; hand real work to another thread. What it throws is logged and
     * dropped. When the driver registered no queue, nothing is subscribed and {@code onReady}
     * never runs.
     *
     * <p>A file holds at most one pending subscription: a later {@code poll(Runnable)} on the same
     * file replaces the earlier one, whose {@code onReady} then never runs (as one FUSE file has
     * one poll handle), so polling again and again without a wake keeps one subscription, not a
     * pile. {@link #close()} drops the pending subscription: {@code onReady} does not run after
     * close returns, unless it had already started.
     *
     * @return the ready {@link PollEvents}, as {@link #poll()}
     * @throws KernelException EBADF after close, ENODEV when the device is revoked (nothing is
     *     subscribed then)
     * @since 1.3
     */
    int poll(Runnable onReady);

    /**
     * {@code fcntl(fd, F_SETFL, flags)}: replaces the file's {@link OpenFlags#O_NONBLOCK} and
     * {@link OpenFlags#O_APPEND} with those of {@code flags}; every other bit (the access mode,
     * {@link OpenFlags#O_TRUNC}) is ignored, as Linux ignores it. The driver sees the change in
     * {@link File#flags()} and {@link File#isNonBlocking()} from its next operation on (a wait
     * already parked keeps the flags it started with until it wakes). Runs no driver code, so it
     * works on a revoked device too.
     *
     * @throws KernelException EBADF after close
     * @since 1.3
     */
    void setStatusFlags(int flags);

    /** Flushes written data. */
    void fsync();

    /** Drops this handle; the driver's release runs once no call on it is in flight. */
    @Override
    void close();
}
