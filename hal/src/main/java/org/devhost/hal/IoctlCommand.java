package org.devhost.hal;

import org.devhost.kernel.Ioctl;

/**
 * An ioctl request number in Linux's {@code _IOC} encoding: {@code nr} bits 0-7, {@code type} bits
 * 8-15, {@code size} bits 16-29, {@code dir} bits 30-31 (NONE 0, WRITE 1, READ 2, both 3).
 *
 * <p>The encoding is a hint, not a contract: old tty, loop and block commands ({@code TCGETS} 0x5401,
 * {@code LOOP_CTL_GET_FREE} 0x4C82) carry dir 0 and size 0 although they move data. Immutable.
 *
 * <pre>{@code
 * IoctlCommand c = IoctlCommand.ior('T', 0x30, 4);   // TIOCGPTN
 * assert c.value() == 0x80045430;
 * assert c.dir() == IoctlCommand.READ && c.size() == 4 && c.type() == 'T' && c.nr() == 0x30;
 * }</pre>
 */
public record IoctlCommand(int value) {
    public static final int NONE = 0;
    public static final int WRITE = 1;
    public static final int READ = 2;

    /** {@code _IOC(dir, type, nr, size)}, by the kernel API's {@link Ioctl#ioc}, which drivers use. */
    public static IoctlCommand ioc(int dir, int type, int nr, int size) {
        return new IoctlCommand(Ioctl.ioc(dir, type, nr, size));
    }

    /** {@code _IO(type, nr)}: no argument data. */
    public static IoctlCommand io(int type, int nr) {
        return ioc(NONE, type, nr, 0);
    }

    /** {@code _IOR(type, nr, size)}: the kernel writes {@code size} bytes to user memory. */
    public static IoctlCommand ior(int type, int nr, int size) {
        return ioc(READ, type, nr, size);
    }

    /** {@code _IOW(type, nr, size)}: the kernel reads {@code size} bytes from user memory. */
    public static IoctlCommand iow(int type, int nr, int size) {
        return ioc(WRITE, type, nr, size);
    }

    /** {@code _IOWR(type, nr, size)}. */
    public static IoctlCommand iowr(int type, int nr, int size) {
        return ioc(READ | WRITE, type, nr, size);
    }

    public int dir() {
        return Ioctl.dir(value);
    }

    public int type() {
        return Ioctl.type(value);
    }

    public int nr() {
        return Ioctl.nr(value);
    }

    public int size() {
        return Ioctl.size(value);
    }

    /** E.g. {@code 0x80045430 (_IOR('T', 0x30, 4))}. */
    @Override
    public String toString() {
        String t = type() >= 0x20 && type() < 0x7f ? "'" + (char) type() + "'" : "0x" + Integer.toHexString(type());
        String macro = switch (dir()) {
            case NONE -> "_IO(" + t + ", 0x" + Integer.toHexString(nr()) + ")";
            case READ -> "_IOR(" + t + ", 0x" + Integer.toHexString(nr()) + ", " + size() + ")";
            case WRITE -> "_IOW(" + t + ", 0x" + Integer.toHexString(nr()) + ", " + size() + ")";
            default -> "_IOWR(" + t + ", 0x" + Integer.toHexString(nr()) + ", " + size() + ")";
        };
        return "0x" + Integer.toHexString(value) + " (" + macro + ")";
    }
}
