package org.devhost.kernel;

import java.nio.ByteBuffer;

/**
 * What a character device does when user code opens and uses it ({@code struct file_operations},
 * {@code kernel::file::Operations} in Rust-for-Linux).
 *
 * <p>Only {@link #open} is required. Every other method has the kernel's default, the errno Linux
 * returns when the operation is missing: read and write {@code EINVAL}, seek {@code ESPIPE}, ioctl
 * {@code ENOTTY}, fsync {@code EINVAL}, poll readable and writable. The kernel records which methods
 * an implementation overrides (its {@link Operation} table) when the device is registered.
 *
 * <p>Per-open state works as in Rust-for-Linux: {@code open} returns a value of type {@code T}, the
 * kernel hands it back to every later call on that file and finally to {@link #release}.
 *
 * <p>Threading: operations run on the caller's thread, as a system call does, and may run
 * concurrently, also on one file; the driver guards its own shared state. The kernel guarantees
 * that {@code release} runs exactly once per successful {@code open}, after every other operation
 * on that file has returned. Throwing anything but {@link KernelException} from an operation is a
 * driver bug: the caller gets {@code EIO} and the kernel log names the driver.
 *
 * <pre>{@code
 * FileOperations<Void> zero = new FileOperations<>() {
 *     public Void open(File file) { return null; }
 *     public int read(Void data, File file, ByteBuffer dst, long offset) {
 *         int n = dst.remaining();
 *         dst.position(dst.position() + n); // a fresh direct buffer is already zeroed
 *         return n;
 *     }
 * };
 * }</pre>
 *
 * @param <T> the per-open private data type ({@code Void} when there is none)
 */
public interface FileOperations<T> {

    /**
     * Opens the device: check flags, set up per-open state.
     *
     * @return the private data for this file, passed to every later call; may be null
     * @throws KernelException to refuse the open (e.g. EBUSY, EACCES)
     */
    T open(File file);

    /** The last reference to the file is gone. Runs exactly once per successful open. */
    default void release(T data, File file) {}

    /**
     * Reads into {@code dst} from its position, at most {@code dst.remaining()} bytes, advancing
     * its position.
     *
     * @param offset the file position ({@code *ppos}); the kernel advances it by the result
     * @return the number of bytes read; 0 means end of file
     */
    default int read(T data, File file, ByteBuffer dst, long offset) {
        throw new KernelException(Errno.EINVAL, "read " + file.deviceName());
    }

    /**
     * Writes from {@code src}, at most {@code src.remaining()} bytes, advancing its position.
     *
     * @return the number of bytes written
     */
    default int write(T data, File file, ByteBuffer src, long offset) {
        throw new KernelException(Errno.EINVAL, "write " + file.deviceName());
    }

    /**
     * Moves the file position ({@code llseek}).
     *
     * @param whence {@link OpenFile#SEEK_SET}, {@link OpenFile#SEEK_CUR} or {@link OpenFile#SEEK_END}
     * @return the new position, which the kernel stores
     */
    default long seek(T data, File file, long offset, int whence) {
        throw new KernelException(Errno.ESPIPE, "seek " + file.deviceName());
    }

    /**
     * A device-specific command ({@code unlocked_ioctl}).
     *
     * @return the value {@code ioctl(2)} returns (non-negative)
     */
    default long ioctl(T data, File file, int cmd, IoctlArg arg) {
        throw new KernelException(Errno.ENOTTY, "ioctl 0x" + Integer.toHexString(cmd) + " on " + file.deviceName());
    }

    /**
     * The {@link PollEvents} bits that are ready now, without blocking. Drivers written before 1.3
     * override this form; a driver that can tell when readiness changes overrides {@link
     * #poll(Object, File, PollTable)} instead.
     */
    default int poll(T data, File file) {
        return PollEvents.DEFAULT_MASK;
    }

    /**
     * The {@link PollEvents} bits that are ready now, without blocking, after naming in {@code
     * table} every wait queue whose wake signals a change of them ({@code poll_wait}): register
     * first, then compute the mask (see {@link PollTable}). This is the form the kernel calls; its
     * default runs {@link #poll(Object, File)}, so a driver overriding either form implements
     * {@link Operation#POLL}. A driver that registers no queue is polled again only when its
     * caller asks again (or a timed {@link OpenFile#poll(int, long)} runs out), as in Linux.
     *
     * @since 1.3
     */
    default int poll(T data, File file, PollTable table) {
        return poll(data, file);
    }

    /** Flushes what was written to the device. */
    default void fsync(T data, File file) {
        throw new KernelException(Errno.EINVAL, "fsync " + file.deviceName());
    }
}
