package org.devhost.hal.impl;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * libc by JNA direct mapping: fixed signatures, no varargs, addresses passed as {@code long}
 * (64-bit Linux), so a call costs one JNI transition and no argument objects. Every method throws
 * {@link LastErrorException} carrying errno when the call returns -1.
 */
final class LibC {
    static {
        Native.register(LibC.class, "c");
    }

    private LibC() {}

    static native int open(String path, int flags) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native long read(int fd, long buf, long count) throws LastErrorException;

    static native long write(int fd, long buf, long count) throws LastErrorException;

    static native long pread(int fd, long buf, long count, long offset) throws LastErrorException;

    static native long pwrite(int fd, long buf, long count, long offset) throws LastErrorException;

    static native long lseek(int fd, long offset, int whence) throws LastErrorException;

    /** ioctl with an integer argument. */
    static native int ioctl(int fd, long request, long arg) throws LastErrorException;

    static native int poll(long fds, long nfds, int timeout) throws LastErrorException;

    static native int fstat(int fd, long statbuf) throws LastErrorException;

    /**
     * {@code fcntl(fd, cmd, arg)} with the integer argument of {@code F_GETFD}, {@code F_GETFL} and
     * {@code F_SETFL} (libc's variadic form, called with a fixed signature as {@link #ioctl} is).
     */
    static native int fcntl(int fd, int cmd, long arg) throws LastErrorException;

    /** {@code eventfd(2)}: a counter descriptor, readable while its value is not zero. */
    static native int eventfd(int initval, int flags) throws LastErrorException;

    /** {@code mount(2)}; {@code data} is the file system's option string. */
    static native int mount(String source, String target, String fstype, long flags, String data)
            throws LastErrorException;

    static native int umount2(String target, int flags) throws LastErrorException;

    static native int access(String path, int mode) throws LastErrorException;

    static native int geteuid();

    static native int getegid();

    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 04000;
    static final int O_NOCTTY = 0400;
    static final int O_NOFOLLOW = 0400000;
    static final int O_CLOEXEC = 02000000;
    static final int F_GETFD = 1;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int EFD_NONBLOCK = 04000;
    static final int EFD_CLOEXEC = 02000000;
    static final short POLLIN = 0x1;
    static final long MS_NOSUID = 2;
    static final long MS_NODEV = 4;
    static final int MNT_DETACH = 2;
    static final int F_OK = 0;
}
