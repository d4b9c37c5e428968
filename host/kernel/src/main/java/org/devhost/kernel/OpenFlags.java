package org.devhost.kernel;

/**
 * The {@code open(2)} flags the kernel understands, with Linux's x86-64 values.
 */
public final class OpenFlags {
    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    /** Mask of the access mode bits. */
    public static final int O_ACCMODE = 3;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;

    private OpenFlags() {}

    /** True when the access mode allows reading. */
    public static boolean readable(int flags) {
        int mode = flags & O_ACCMODE;
        return mode == O_RDONLY || mode == O_RDWR;
    }

    /** True when the access mode allows writing. */
    public static boolean writable(int flags) {
        int mode = flags & O_ACCMODE;
        return mode == O_WRONLY || mode == O_RDWR;
    }
}
