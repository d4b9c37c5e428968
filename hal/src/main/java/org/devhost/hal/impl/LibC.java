package org.devhost.hal.impl;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * libc by JNA direct mapping: fixed signatures, no varargs, addresses passed as {@code long}
 * (64-bit Linux), so a call costs one JNI transition and no argument objects. Every method that
 * sets errno throws {@link LastErrorException} carrying it when the call returns -1; {@link
 * JnaSyscalls} turns that into {@code -errno}.
 */
final class LibC {
    static {
        Native.register(LibC.class, "c");
    }

    private LibC() {}

    static native int open(long path, int flags) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native long read(int fd, long buf, long count) throws LastErrorException;

    static native long write(int fd, long buf, long count) throws LastErrorException;

    static native long pread(int fd, long buf, long count, long offset) throws LastErrorException;

    static native long pwrite(int fd, long buf, long count, long offset) throws LastErrorException;

    static native long lseek(int fd, long offset, int whence) throws LastErrorException;

    static native int ioctl(int fd, long request, long arg) throws LastErrorException;

    static native int poll(long fds, long nfds, int timeout) throws LastErrorException;

    static native int fstat(int fd, long statbuf) throws LastErrorException;

    static native int fcntl(int fd, int cmd, long arg) throws LastErrorException;

    static native int eventfd(int initval, int flags) throws LastErrorException;

    static native int mount(long source, long target, long fstype, long flags, long data) throws LastErrorException;

    static native int umount2(long target, int flags) throws LastErrorException;

    static native int statfs(long path, long buf) throws LastErrorException;

    static native int geteuid();

    static native int getegid();

    static native int socketpair(int domain, int type, int protocol, long sv) throws LastErrorException;

    static native int posix_spawn_file_actions_init(long actions);

    static native int posix_spawn_file_actions_adddup2(long actions, int fd, int newfd);

    static native int posix_spawn_file_actions_destroy(long actions);

    /** Returns its error number (0 on success); does not set errno. */
    static native int posix_spawn(long pid, long path, long actions, long attr, long argv, long envp);

    static native long recvmsg(int fd, long msg, int flags) throws LastErrorException;

    static native int waitpid(int pid, long status, int options) throws LastErrorException;

    static native int socket(int domain, int type, int protocol) throws LastErrorException;

    static native int bind(int fd, long addr, int addrlen) throws LastErrorException;

    static native long sendto(int fd, long buf, long len, int flags, long addr, int addrlen) throws LastErrorException;

    /**
     * {@code syscall(2)}, for the system calls libc has no function for (io_uring's). It is
     * variadic, declared here with the number and six {@code long}s: on x86-64 and aarch64 Linux
     * the integer arguments of a variadic call go where a fixed call's go, and glibc's {@code
     * syscall} only moves them into the kernel's registers.
     */
    static native long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6) throws LastErrorException;

    static native long mmap(long address, long length, int prot, int flags, int fd, long offset) throws LastErrorException;

    static native int munmap(long address, long length) throws LastErrorException;

    static native int sched_setaffinity(int pid, long size, long mask) throws LastErrorException;
}
