package org.devhost.kernel;

/**
 * A character device number ({@code dev_t}): a major and a minor.
 *
 * <p>Invariants: {@code 0 <= major < 512} ({@code CHRDEV_MAJOR_MAX}) and {@code 0 <= minor < 2^20}.
 * Two encodings exist, as in Linux: the kernel's {@code MKDEV} ({@code major << 20 | minor}) and the
 * user-space one that {@code stat} and {@code makedev(3)} use ({@code (mi & 0xff) | (ma << 8) | ((mi &
 * ~0xff) << 12)}).
 *
 * <pre>{@code
 * DeviceNumber n = DeviceNumber.of(511, 300);
 * assert n.userEncoding() == 0x11ff2cL;
 * assert DeviceNumber.fromUserEncoding(0x11ff2cL).equals(n);
 * }</pre>
 *
 * <p>Immutable value; safe to share.
 */
public record DeviceNumber(int major, int minor) implements Comparable<DeviceNumber> {
    /** Majors are below this ({@code CHRDEV_MAJOR_MAX}). */
    public static final int MAJOR_LIMIT = 512;
    /** Bits of the minor ({@code MINORBITS}). */
    public static final int MINOR_BITS = 20;
    /** Minors are below this ({@code MINORMASK + 1}). */
    public static final int MINOR_LIMIT = 1 << MINOR_BITS;

    /** @throws KernelException EINVAL when the major or minor is out of range */
    public DeviceNumber {
        if (major < 0 || major >= MAJOR_LIMIT) {
            throw new KernelException(Errno.EINVAL, "device number " + major + ":" + minor
                    + ": major must be 0.." + (MAJOR_LIMIT - 1));
        }
        if (minor < 0 || minor >= MINOR_LIMIT) {
            throw new KernelException(Errno.EINVAL, "device number " + major + ":" + minor
                    + ": minor must be 0.." + (MINOR_LIMIT - 1));
        }
    }

    /** Same as the constructor; reads better at call sites. */
    public static DeviceNumber of(int major, int minor) {
        return new DeviceNumber(major, minor);
    }

    /** The kernel encoding, {@code MKDEV(major, minor)}. */
    public int kernelEncoding() {
        return major << MINOR_BITS | minor;
    }

    /** Decodes {@code MKDEV}: {@code MAJOR(dev) = dev >> 20}, {@code MINOR(dev) = dev & 0xfffff}. */
    public static DeviceNumber fromKernelEncoding(int dev) {
        return new DeviceNumber(dev >>> MINOR_BITS, dev & (MINOR_LIMIT - 1));
    }

    /** The user-space encoding, as {@code makedev(3)} builds it and {@code stat(2)} reports it. */
    public long userEncoding() {
        long ma = major;
        long mi = minor;
        return (mi & 0xff) | (ma << 8) | ((mi & ~0xffL) << 12);
    }

    /**
     * Decodes the user-space encoding ({@code major(3)}, {@code minor(3)} of glibc).
     *
     * @throws KernelException EINVAL when the value names a number out of the kernel's range
     */
    public static DeviceNumber fromUserEncoding(long dev) {
        long ma = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
        long mi = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
        if (ma >= MAJOR_LIMIT || mi >= MINOR_LIMIT) {
            throw new KernelException(Errno.EINVAL, "device number 0x" + Long.toHexString(dev)
                    + ": decodes to " + ma + ":" + mi + ", outside the kernel's range");
        }
        return new DeviceNumber((int) ma, (int) mi);
    }

    /**
     * Parses {@code "major:minor"}.
     *
     * @throws KernelException EINVAL when the text is not two decimal numbers in range
     */
    public static DeviceNumber parse(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new KernelException(Errno.EINVAL, "device number '" + text + "': expected major:minor");
        }
        try {
            return of(Integer.parseInt(text.substring(0, colon)), Integer.parseInt(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new KernelException(Errno.EINVAL, "device number '" + text + "': expected major:minor");
        }
    }

    @Override
    public int compareTo(DeviceNumber o) {
        return Integer.compare(kernelEncoding(), o.kernelEncoding());
    }

    /** {@code "major:minor"}, as {@code ls -l} and {@code /sys/dev} show it. */
    @Override
    public String toString() {
        return major + ":" + minor;
    }
}
