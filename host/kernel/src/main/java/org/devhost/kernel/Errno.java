package org.devhost.kernel;

/**
 * The Linux errno values the kernel reports (x86-64 numbering), each with the text {@code strerror}
 * gives for it.
 *
 * <p>Immutable; safe to share between threads.
 */
public enum Errno {
    EPERM(1, "Operation not permitted"),
    ENOENT(2, "No such file or directory"),
    EINTR(4, "Interrupted system call"),
    EIO(5, "Input/output error"),
    ENXIO(6, "No such device or address"),
    EBADF(9, "Bad file descriptor"),
    EAGAIN(11, "Resource temporarily unavailable"),
    ENOMEM(12, "Cannot allocate memory"),
    EACCES(13, "Permission denied"),
    EFAULT(14, "Bad address"),
    EBUSY(16, "Device or resource busy"),
    EEXIST(17, "File exists"),
    ENODEV(19, "No such device"),
    ENOTDIR(20, "Not a directory"),
    EISDIR(21, "Is a directory"),
    EINVAL(22, "Invalid argument"),
    ENFILE(23, "Too many open files in system"),
    EMFILE(24, "Too many open files"),
    ENOTTY(25, "Inappropriate ioctl for device"),
    ENOSPC(28, "No space left on device"),
    ESPIPE(29, "Illegal seek"),
    EROFS(30, "Read-only file system"),
    EPIPE(32, "Broken pipe"),
    ERANGE(34, "Numerical result out of range"),
    ENOSYS(38, "Function not implemented"),
    ELOOP(40, "Too many levels of symbolic links"),
    EOVERFLOW(75, "Value too large for defined data type"),
    EOPNOTSUPP(95, "Operation not supported"),
    ETIMEDOUT(110, "Connection timed out");

    private final int number;
    private final String description;

    Errno(int number, String description) {
        this.number = number;
        this.description = description;
    }

    /** The positive errno number, as in {@code <asm-generic/errno-base.h>}. */
    public int number() {
        return number;
    }

    /** What {@code strerror(3)} prints for this errno. */
    public String description() {
        return description;
    }

    /**
     * The errno with this number.
     *
     * @throws IllegalArgumentException if the number is not one the kernel knows
     */
    public static Errno of(int number) {
        Errno e = orNull(number);
        if (e == null) {
            throw new IllegalArgumentException("unknown errno " + number);
        }
        return e;
    }

    /** The errno with this number, or null when the kernel does not know it. */
    public static Errno orNull(int number) {
        for (Errno e : values()) {
            if (e.number == number) {
                return e;
            }
        }
        return null;
    }
}
