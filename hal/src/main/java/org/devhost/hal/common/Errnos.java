package org.devhost.hal.common;

import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/** Turns a failed system call ({@code -errno}, {@link Syscalls}' convention) into the kernel's exception. */
final class Errnos {
    private Errnos() {}

    static KernelException of(long minusErrno, String what) {
        int number = (int) -minusErrno;
        Errno errno = Errno.orNull(number);
        if (errno == null) {
            return new KernelException(Errno.EIO, what + " (errno " + number + ")", null);
        }
        return new KernelException(errno, what, null);
    }

    /** True when a call's result is {@code -errno} for {@code e}. */
    static boolean is(long result, Errno e) {
        return result == -e.number();
    }
}
