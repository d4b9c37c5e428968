package org.devhost.kernel;

import java.nio.ByteBuffer;

/**
 * The third argument of an {@code ioctl}: a plain value, or a buffer standing for the user memory a
 * pointer argument points to.
 *
 * <p>Linux passes one {@code unsigned long} that a driver may read as a number or as a user
 * pointer; the command's encoding is only a hint (old tty commands encode no size), so the caller
 * says which it passes. Immutable holder; the buffer itself is the caller's and is not thread-safe.
 */
public final class IoctlArg {
    private final long value;
    private final ByteBuffer buffer;

    private IoctlArg(long value, ByteBuffer buffer) {
        this.value = value;
        this.buffer = buffer;
    }

    /** An argument passed by value. */
    public static IoctlArg value(long value) {
        return new IoctlArg(value, null);
    }

    /** An argument that points to memory: the driver reads from and writes into {@code buffer}. */
    public static IoctlArg pointer(ByteBuffer buffer) {
        return new IoctlArg(0, java.util.Objects.requireNonNull(buffer));
    }

    /** The value; 0 for a pointer argument. */
    public long value() {
        return value;
    }

    /** True when the caller passed memory. */
    public boolean isPointer() {
        return buffer != null;
    }

    /**
     * The memory behind a pointer argument, from index 0. Its byte order is the caller's: devfs and
     * {@code dev:ioctl} hand the machine's native order ({@link java.nio.ByteOrder#nativeOrder()},
     * little-endian on x86-64 and arm64), as a C caller's struct is laid out. Read and write it with
     * its own methods and do not change its order; a test makes its buffer in native order too.
     *
     * @throws KernelException EFAULT when the caller passed a plain value (a bad pointer in Linux)
     */
    public ByteBuffer buffer() {
        if (buffer == null) {
            throw new KernelException(Errno.EFAULT, "ioctl argument " + value + " is a value, not memory");
        }
        return buffer;
    }

    @Override
    public String toString() {
        return buffer == null ? Long.toString(value) : "buffer[" + buffer.remaining() + "]";
    }
}
