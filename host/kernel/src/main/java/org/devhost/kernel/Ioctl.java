package org.devhost.kernel;

/**
 * Linux's ioctl command numbers as {@code asm-generic/ioctl.h} makes them (x86, arm, arm64, riscv;
 * powerpc, mips and sparc lay the fields out otherwise): {@code _IO}, {@code _IOR}, {@code
 * _IOW}, {@code _IOWR} and the fields of a number. A command holds {@code nr} in bits 0-7, {@code
 * type} (the driver's letter) in bits 8-15, the argument's {@code size} in bits 16-29 and {@code
 * dir} in bits 30-31 (NONE 0, WRITE 1, READ 2, both 3; READ means the driver writes the caller's
 * memory). The same numbers a C program's {@code <linux/ioctl.h>} makes, so a driver and its C,
 * Python or shell callers agree:
 *
 * <pre>{@code
 * static final int COUNTER_RESET = Ioctl.io('k', 1);                  // 0x00006b01
 * static final int COUNTER_GET = Ioctl.ior('k', 2, Long.BYTES);        // 0x80086b02
 *
 * public long ioctl(Void d, File file, int cmd, IoctlArg arg) {
 *     if (cmd == COUNTER_GET) {
 *         arg.buffer().putLong(0, count);  // in the buffer's own byte order, never set by the driver
 *         return 0;
 *     }
 *     ...
 * }
 * }</pre>
 *
 * <p>The helpers are methods, so their results are not compile-time constants: compare with
 * {@code if}, or {@code switch} on {@link #nr} after checking {@link #type}. The encoding is a hint,
 * not a contract: old tty commands ({@code TCGETS} 0x5401) carry no size although they move data.
 *
 * @since 1.6
 */
public final class Ioctl {
    /** No argument data. */
    public static final int NONE = 0;
    /** The caller's memory is read by the driver ({@code _IOW}). */
    public static final int WRITE = 1;
    /** The caller's memory is written by the driver ({@code _IOR}). */
    public static final int READ = 2;

    private static final int TYPE_SHIFT = 8;
    private static final int SIZE_SHIFT = 16;
    private static final int SIZE_BITS = 14;
    private static final int DIR_SHIFT = 30;

    private Ioctl() {}

    /**
     * {@code _IOC(dir, type, nr, size)}.
     *
     * @throws IllegalArgumentException when a field does not fit (dir 0-3, type and nr 0-255, size
     *     below 16384): a programming error, found when the class initialises
     */
    public static int ioc(int dir, int type, int nr, int size) {
        if (dir < 0 || dir > 3 || type < 0 || type > 0xff || nr < 0 || nr > 0xff || size < 0 || size >= 1 << SIZE_BITS) {
            throw new IllegalArgumentException("_IOC(" + dir + ", " + type + ", " + nr + ", " + size + ") out of range:"
                    + " dir 0-3, type and nr 0-255, size 0-16383");
        }
        return dir << DIR_SHIFT | size << SIZE_SHIFT | type << TYPE_SHIFT | nr;
    }

    /** {@code _IO(type, nr)}: a command without argument data. */
    public static int io(int type, int nr) {
        return ioc(NONE, type, nr, 0);
    }

    /** {@code _IOR(type, nr, size)}: the driver writes {@code size} bytes to the caller's memory. */
    public static int ior(int type, int nr, int size) {
        return ioc(READ, type, nr, size);
    }

    /** {@code _IOW(type, nr, size)}: the driver reads {@code size} bytes from the caller's memory. */
    public static int iow(int type, int nr, int size) {
        return ioc(WRITE, type, nr, size);
    }

    /** {@code _IOWR(type, nr, size)}: both. */
    public static int iowr(int type, int nr, int size) {
        return ioc(READ | WRITE, type, nr, size);
    }

    /** {@code _IOC_DIR(cmd)}. */
    public static int dir(int cmd) {
        return cmd >>> DIR_SHIFT & 3;
    }

    /** {@code _IOC_TYPE(cmd)}. */
    public static int type(int cmd) {
        return cmd >>> TYPE_SHIFT & 0xff;
    }

    /** {@code _IOC_NR(cmd)}. */
    public static int nr(int cmd) {
        return cmd & 0xff;
    }

    /** {@code _IOC_SIZE(cmd)}. */
    public static int size(int cmd) {
        return cmd >>> SIZE_SHIFT & (1 << SIZE_BITS) - 1;
    }
}
