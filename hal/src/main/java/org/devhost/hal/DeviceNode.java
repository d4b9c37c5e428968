package org.devhost.hal;

import java.nio.ByteBuffer;

/**
 * An open real device node: a file descriptor and the system calls on it.
 *
 * <p>Buffers: direct buffers are passed to the kernel as they are (no copy); heap buffers go
 * through a per-thread direct buffer. Reads fill from the buffer's position and advance it;
 * writes consume from its position. Every failure is a {@link org.devhost.kernel.KernelException}
 * with the errno the system call reported. {@link #close()} is idempotent; any call after it is
 * {@code EBADF}. Thread-safe: a close while another thread is inside a call takes effect when that
 * call returns, so a descriptor number is never reused under a running call.
 */
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

    /** {@code ioctl(fd, cmd, value)}: the argument is an integer. Returns what ioctl returns. */
    int ioctl(int cmd, long value);

    /**
     * {@code ioctl(fd, cmd, &memory)}: the kernel reads and writes the buffer's bytes from its
     * position (a fixed-size struct, in native byte order). The position does not move.
     */
    int ioctl(int cmd, ByteBuffer arg);

    /**
     * {@code poll(2)} on this descriptor alone.
     *
     * @param events {@link org.devhost.kernel.PollEvents} bits to wait for
     * @param timeoutMillis how long to wait; 0 returns at once, negative waits forever
     * @return the ready bits, 0 on timeout
     */
    int poll(int events, int timeoutMillis);

    /** {@code fstat(2)}. */
    NodeStat stat();

    @Override
    void close();
}
