package org.devhost.hal;

import java.nio.ByteBuffer;

/**
 * An open real device node: a file descriptor and the system calls on it.
 *
 * <p>Buffers: direct buffers are passed to the kernel as they are (no copy); heap buffers go
 * through a per-thread direct buffer. Reads fill from the buffer's position and advance it;
 * writes consume from its position; a read into a read-only buffer is {@code EINVAL}. Every failure
 * is a {@link org.devhost.kernel.KernelException} with the errno the system call reported, or with
 * the errno of a refusal and a sentence saying why.
 *
 * <p>ioctl safety: an argument is memory only when the command says so, and a number is never an
 * address. The HAL goes by {@link KnownIoctls} (or the caller's {@link KnownIoctl}) and else by the
 * number's {@code _IOC} bits: a command that takes memory given a number is {@code EINVAL}; memory
 * shorter than the command's size is {@code EINVAL}, and the kernel gets exactly that many bytes;
 * memory for a command whose size nobody knows (direction 0, not in a table) is {@code EINVAL};
 * {@link RefusedIoctls} (new descriptors, variable-length arguments, descriptor flags, terminal
 * control) is {@code EPERM}.
 *
 * <p>Thread-safe. {@link #close()} is idempotent; any call after it is {@code EBADF}. The
 * descriptor is closed when the last call in flight returns, so its number is never reused under a
 * running call. A close also ends the calls that wait for the node: a {@link #poll} with a timeout,
 * and a read or write in blocking mode waiting for data or room (they wait in {@code poll(2)} on
 * the node and a wake descriptor, never inside {@code read(2)}); they fail with {@code EBADF}. A call
 * already inside the device's driver (an ioctl that blocks, a read that lost a race for data to
 * another process) finishes first.
 *
 * <p>Interrupts: {@link Thread#interrupt()} of a thread waiting in such a call (or a thread that is
 * interrupted when the call would wait) ends the call with {@code EINTR}, as a signal ends a
 * blocked system call; the interrupt status stays set, and the node stays open. A call that need
 * not wait (data is there) runs whatever the interrupt status.
 */
@org.osgi.annotation.versioning.ProviderType
public interface DeviceNode extends AutoCloseable {
    /** The path it was opened as (after resolving links). */
    String path();

    /** {@code read(2)} into {@code dst}; 0 at end of file. */
    int read(ByteBuffer dst);

    /** {@code write(2)} from {@code src}. */
    int write(ByteBuffer src);

    /** {@code pread(2)} at an offset, without moving the file position. */
    int pread(ByteBuffer dst, long offset);

    /** {@code pwrite(2)} at an offset. */
    int pwrite(ByteBuffer src, long offset);

    /** {@code lseek(2)}; whence as {@link org.devhost.kernel.OpenFile#SEEK_SET} and friends. */
    long seek(long offset, int whence);

    /**
     * {@code ioctl(fd, cmd, value)}: the argument is an integer. Returns what ioctl returns.
     *
     * @throws org.devhost.kernel.KernelException EINVAL when the command takes memory (by {@link
     *     KnownIoctls} or its {@code _IOC} bits), EPERM for a {@link RefusedIoctls} command
     */
    int ioctl(int cmd, long value);

    /**
     * {@code ioctl(fd, cmd, &memory)}: the kernel reads and writes the command's size in bytes from
     * the buffer's position (a fixed-size struct, in native byte order). The position does not move.
     *
     * @throws org.devhost.kernel.KernelException EINVAL when the buffer is shorter than the command's
     *     size, is read-only for a command the kernel writes, or the size is not known; EPERM for a
     *     {@link RefusedIoctls} command
     */
    int ioctl(int cmd, ByteBuffer arg);

    /**
     * As {@link #ioctl(int, long)}, going by the caller's description of the command instead of the
     * HAL's table and the number's bits (a command that encodes memory but takes a number).
     *
     * @throws org.devhost.kernel.KernelException EINVAL when the description says memory, EPERM for
     *     a {@link RefusedIoctls} command
     * @since 1.1
     */
    int ioctl(KnownIoctl command, long value);

    /**
     * As {@link #ioctl(int, ByteBuffer)} with {@code command.size()} bytes, going by the caller's
     * description (a legacy command whose number carries no size).
     *
     * @throws org.devhost.kernel.KernelException EINVAL when the description takes no memory, says
     *     fewer bytes than the number's bits, or the buffer is shorter; EPERM for a {@link
     *     RefusedIoctls} command
     * @since 1.1
     */
    int ioctl(KnownIoctl command, ByteBuffer arg);

    /**
     * {@code poll(2)} on this descriptor alone.
     *
     * @param events {@link org.devhost.kernel.PollEvents} bits to wait for
     * @param timeoutMillis how long to wait; 0 returns at once, negative waits forever
     * @return the ready bits, 0 on timeout
     * @throws org.devhost.kernel.KernelException EBADF when the node is closed, also while waiting;
     *     EINTR when the thread is interrupted while it waits
     */
    int poll(int events, int timeoutMillis);

    /** {@code fstat(2)}. */
    NodeStat stat();

    @Override
    void close();
}
