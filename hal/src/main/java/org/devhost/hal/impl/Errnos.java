package org.devhost.hal.impl;

import com.sun.jna.LastErrorException;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/** Turns a failed system call into the kernel's exception, naming the call and its object. */
final class Errnos {
    private Errnos() {}

    static KernelException of(LastErrorException e, String what) {
        Errno errno = Errno.orNull(e.getErrorCode());
        if (errno == null) {
            return new KernelException(Errno.EIO, what + " (errno " + e.getErrorCode() + ")", e);
        }
        return new KernelException(errno, what, null);
    }
}
