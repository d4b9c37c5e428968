package org.devhost.hal.common;

import java.nio.ByteBuffer;

/**
 * The libc calls the HAL makes, as one backend (JNA, or the JDK's Foreign Function & Memory API)
 * provides them. Everything above this interface (path checks, the denylist, ioctl rules,
 * reference counts, wake-on-close, FUSE mounts, struct layouts in {@link Linux}) is shared by the
 * backends; everything below it (how a call is bound, how {@code errno} is captured, how a
 * buffer's address is found) is the backend's alone.
 *
 * <p>Conventions, the same for every backend: pointers are {@code long} addresses (LP64 Linux,
 * where a pointer and a {@code long} travel in the same register), and every call returns what
 * libc returns on success or {@code -errno} on failure (for {@code posix_spawn}, which returns its
 * error number, too), so no exception is thrown or caught on a path that retries. Implementations
 * are stateless and thread-safe.
 */
public interface Syscalls {
    /** What the backend is, for {@code dev:hal} and the boot banner: its technique and version. */
    String description();

    /**
     * Which of the backends present a caller outside OSGi takes ({@link HostHal#defaultSyscalls()}):
     * the highest. In OSGi the same order is the HAL services' {@code service.ranking}.
     */
    int rank();

    /** The address of byte 0 of a direct buffer (not its position). */
    long address(ByteBuffer direct);

    /** {@code malloc(3)}: native memory, 0 when there is none. */
    long malloc(long size);

    void free(long address);

    /** A direct buffer over {@code size} bytes of native memory at {@code address}. */
    ByteBuffer view(long address, int size);

    int open(long path, int flags);

    int close(int fd);

    long read(int fd, long buf, long count);

    long write(int fd, long buf, long count);

    long pread(int fd, long buf, long count, long offset);

    long pwrite(int fd, long buf, long count, long offset);

    long lseek(int fd, long offset, int whence);

    /** {@code ioctl(fd, request, arg)} with an integer or address argument (fixed signature, no varargs). */
    int ioctl(int fd, long request, long arg);

    /**
     * {@link #ioctl} for a command that only copies a value out under a short lock and never waits
     * for a device ({@code IoctlRules}' quick commands). A backend may then leave out what makes a
     * waiting call safe: FFM links it {@code critical}, so the thread stays in Java state and the
     * JVM's safepoints wait for the call. The caller decides; by default it is {@link #ioctl}.
     * (Reads of the memory devices, which never sleep either, measured slower linked critical than
     * not, BENCHMARKS.md: they stay ordinary calls.)
     */
    default int ioctlQuick(int fd, long request, long arg) {
        return ioctl(fd, request, arg);
    }

    int poll(long fds, long nfds, int timeout);

    int fstat(int fd, long statbuf);

    /** {@code fcntl(fd, cmd, arg)} with an integer argument ({@code F_GETFD}, {@code F_GETFL}, {@code F_SETFL}). */
    int fcntl(int fd, int cmd, long arg);

    int eventfd(int initval, int flags);

    int mount(long source, long target, long fstype, long flags, long data);

    int umount2(long target, int flags);

    /**
     * {@code statfs(2)} into {@link Linux#STATFS_SIZE} bytes at {@code buf}. On a FUSE mount the
     * request always reaches the server (nothing of it is cached), so it tells a live one from one
     * that died ({@code -ENOTCONN}).
     */
    int statfs(long path, long buf);

    int geteuid();

    int getegid();

    int socketpair(int domain, int type, int protocol, long sv);

    int posixSpawnFileActionsInit(long actions);

    int posixSpawnFileActionsAdddup2(long actions, int fd, int newfd);

    int posixSpawnFileActionsDestroy(long actions);

    /** {@code posix_spawn}: 0, or minus the error number it returns. */
    int posixSpawn(long pid, long path, long actions, long attr, long argv, long envp);

    long recvmsg(int fd, long msg, int flags);

    /** {@code socket(2)}: the descriptor, or minus the error number. */
    int socket(int domain, int type, int protocol);

    /** {@code bind(2)}: 0, or minus the error number. */
    int bind(int fd, long addr, int addrlen);

    /** {@code sendto(2)}: the bytes sent, or minus the error number. */
    long sendto(int fd, long buf, long len, int flags, long addr, int addrlen);

    int waitpid(int pid, long status, int options);

    // ---- io_uring (FUSE over io_uring): a backend without them answers -ENOSYS ----

    /** {@code io_uring_setup(2)}: the ring's descriptor, or minus the error number. */
    default int ioUringSetup(int entries, long params) {
        return -38;
    }

    /** {@code io_uring_enter(2)} without a signal mask: what it returns, or minus the error number. */
    default int ioUringEnter(int fd, int toSubmit, int minComplete, int flags) {
        return -38;
    }

    /** {@code mmap(2)}: the address, or minus the error number. */
    default long mmap(long address, long length, int prot, int flags, int fd, long offset) {
        return -38;
    }

    /** {@code munmap(2)}: 0, or minus the error number. */
    default int munmap(long address, long length) {
        return -38;
    }

    /** {@code sched_setaffinity(2)} of the calling thread to one CPU: 0, or minus the error number. */
    default int pinToCpu(int cpu) {
        return -38;
    }
}
