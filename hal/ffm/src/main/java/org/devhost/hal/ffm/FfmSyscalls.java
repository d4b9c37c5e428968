package org.devhost.hal.ffm;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import org.devhost.hal.common.Syscalls;

/**
 * The HAL's libc calls through the JDK's Foreign Function and Memory API (JDK 22+). Each call is a
 * downcall handle bound once, with the signature of {@link Syscalls}: pointers as {@code long}
 * (LP64 Linux: a pointer and a long travel in the same register, so the shared code's addresses
 * pass as they are), variadic calls ({@code ioctl}, {@code fcntl}) declared as such. errno is
 * captured by the linker ({@code captureCallState("errno")}) into a per-thread segment, read only
 * when a call returns -1, and returned as {@code -errno}: here and nowhere else.
 *
 * <p>Only {@link #ioctlQuick} is linked {@code critical}: a critical call keeps its thread in
 * Java state (no transition in and out of native code), so one that blocked ({@code read} of
 * {@code /dev/fuse}, a sleeping ioctl) would hold up every safepoint; the HAL uses it only for
 * commands that cannot wait. Stateless apart from the per-thread errno segment; thread-safe.
 */
public final class FfmSyscalls implements Syscalls {
    /** Above JNA's 0: consumers take this backend wherever it runs (FFM reaches C's cost, JNA about 2.2x). */
    public static final int RANK = 100;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_CAPTURE = Linker.Option.captureCallState("errno");
    /** One errno segment per thread, freed with the thread's last reference to it. */
    private static final ThreadLocal<MemorySegment> ERRNO_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(STATE));

    private static final MethodHandle OPEN = bind("open", JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final MethodHandle CLOSE = bind("close", JAVA_INT, JAVA_INT);
    private static final MethodHandle READ = bind("read", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle WRITE = bind("write", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle PREAD = bind("pread", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle PWRITE = bind("pwrite", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle LSEEK = bind("lseek", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final MethodHandle IOCTL = bindVariadic("ioctl", 2, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle IOCTL_QUICK = LINKER.downcallHandle(symbol("ioctl"),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), ERRNO_CAPTURE, Linker.Option.firstVariadicArg(2),
            Linker.Option.critical(false));
    private static final MethodHandle POLL = bind("poll", JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT);
    private static final MethodHandle FSTAT = bind("fstat", JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle FCNTL = bindVariadic("fcntl", 2, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle EVENTFD = bind("eventfd", JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle MOUNT = bind("mount", JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle UMOUNT2 = bind("umount2", JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final MethodHandle STATFS = bind("statfs", JAVA_INT, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle SOCKETPAIR = bind("socketpair", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle RECVMSG = bind("recvmsg", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final MethodHandle WAITPID = bind("waitpid", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SOCKET = bind("socket", JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT);
    private static final MethodHandle BIND = bind("bind", JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SENDTO = bind("sendto", JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT);
    private static final MethodHandle SYSCALL = bindVariadic("syscall", 1, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG,
            JAVA_LONG, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle MMAP = bind("mmap", JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG);
    private static final MethodHandle MUNMAP = bind("munmap", JAVA_INT, JAVA_LONG, JAVA_LONG);
    /** x86-64 and aarch64 share these numbers (the "generic" table's 425 and 426). */
    private static final long SYS_IO_URING_SETUP = 425;
    private static final long SYS_IO_URING_ENTER = 426;
    private static final long SYS_SCHED_SETAFFINITY = "aarch64".equals(System.getProperty("os.arch")) ? 122 : 203;
    // no errno: these return their result (or error number) directly
    private static final MethodHandle GETEUID = plain("geteuid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GETEGID = plain("getegid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle MALLOC = plain("malloc", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
    private static final MethodHandle FREE = plain("free", FunctionDescriptor.ofVoid(JAVA_LONG));
    private static final MethodHandle SPAWN_ACTIONS_INIT = plain("posix_spawn_file_actions_init",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle SPAWN_ACTIONS_ADDDUP2 = plain("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT));
    private static final MethodHandle SPAWN_ACTIONS_DESTROY = plain("posix_spawn_file_actions_destroy",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle SPAWN = plain("posix_spawn",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));

    private static MemorySegment symbol(String name) {
        return LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    private static MethodHandle bind(String name, java.lang.foreign.MemoryLayout result, java.lang.foreign.MemoryLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args), ERRNO_CAPTURE);
    }

    private static MethodHandle bindVariadic(String name, int firstVariadic, java.lang.foreign.MemoryLayout result,
            java.lang.foreign.MemoryLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args), ERRNO_CAPTURE,
                Linker.Option.firstVariadicArg(firstVariadic));
    }

    private static MethodHandle plain(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(symbol(name), d);
    }

    /** A call's result, or {@code -errno} when it is -1. */
    private static long result(long r, MemorySegment state) {
        return r == -1 ? -(int) ERRNO.get(state, 0L) : r;
    }

    private static int result(int r, MemorySegment state) {
        return r == -1 ? -(int) ERRNO.get(state, 0L) : r;
    }

    private static RuntimeException failed(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    @Override
    public String description() {
        return "java.lang.foreign (FFM API) of JDK " + Runtime.version();
    }

    @Override
    public int rank() {
        return RANK;
    }

    @Override
    public long address(ByteBuffer direct) {
        return MemorySegment.ofBuffer(direct).address() - direct.position();
    }

    @Override
    public long malloc(long size) {
        try {
            return (long) MALLOC.invokeExact(size);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public void free(long address) {
        try {
            FREE.invokeExact(address);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public ByteBuffer view(long address, int size) {
        return MemorySegment.ofAddress(address).reinterpret(size).asByteBuffer();
    }

    @Override
    public int open(long path, int flags) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) OPEN.invokeExact(s, path, flags), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int close(int fd) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) CLOSE.invokeExact(s, fd), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long read(int fd, long buf, long count) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((long) READ.invokeExact(s, fd, buf, count), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long write(int fd, long buf, long count) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((long) WRITE.invokeExact(s, fd, buf, count), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long pread(int fd, long buf, long count, long offset) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((long) PREAD.invokeExact(s, fd, buf, count, offset), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long pwrite(int fd, long buf, long count, long offset) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((long) PWRITE.invokeExact(s, fd, buf, count, offset), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long lseek(int fd, long offset, int whence) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((long) LSEEK.invokeExact(s, fd, offset, whence), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int ioctl(int fd, long request, long arg) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) IOCTL.invokeExact(s, fd, request, arg), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int ioctlQuick(int fd, long request, long arg) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) IOCTL_QUICK.invokeExact(s, fd, request, arg), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int poll(long fds, long nfds, int timeout) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) POLL.invokeExact(s, fds, nfds, timeout), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int fstat(int fd, long statbuf) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) FSTAT.invokeExact(s, fd, statbuf), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int fcntl(int fd, int cmd, long arg) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) FCNTL.invokeExact(s, fd, cmd, arg), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int eventfd(int initval, int flags) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) EVENTFD.invokeExact(s, initval, flags), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int mount(long source, long target, long fstype, long flags, long data) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) MOUNT.invokeExact(s, source, target, fstype, flags, data), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int umount2(long target, int flags) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) UMOUNT2.invokeExact(s, target, flags), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int statfs(long path, long buf) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) STATFS.invokeExact(s, path, buf), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int getegid() {
        try {
            return (int) GETEGID.invokeExact();
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int socketpair(int domain, int type, int protocol, long sv) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) SOCKETPAIR.invokeExact(s, domain, type, protocol, sv), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int posixSpawnFileActionsInit(long actions) {
        try {
            return -(int) SPAWN_ACTIONS_INIT.invokeExact(actions);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int posixSpawnFileActionsAdddup2(long actions, int fd, int newfd) {
        try {
            return -(int) SPAWN_ACTIONS_ADDDUP2.invokeExact(actions, fd, newfd);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int posixSpawnFileActionsDestroy(long actions) {
        try {
            return -(int) SPAWN_ACTIONS_DESTROY.invokeExact(actions);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int posixSpawn(long pid, long path, long actions, long attr, long argv, long envp) {
        try {
            return -(int) SPAWN.invokeExact(pid, path, actions, attr, argv, envp);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long recvmsg(int fd, long msg, int flags) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((long) RECVMSG.invokeExact(s, fd, msg, flags), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int waitpid(int pid, long status, int options) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) WAITPID.invokeExact(s, pid, status, options), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) SOCKET.invokeExact(s, domain, type, protocol), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int bind(int fd, long addr, int addrlen) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) BIND.invokeExact(s, fd, addr, addrlen), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long sendto(int fd, long buf, long len, int flags, long addr, int addrlen) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((long) SENDTO.invokeExact(s, fd, buf, len, flags, addr, addrlen), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int ioUringSetup(int entries, long params) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return (int) result((long) SYSCALL.invokeExact(s, SYS_IO_URING_SETUP, (long) entries, params, 0L, 0L, 0L, 0L), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int ioUringEnter(int fd, int toSubmit, int minComplete, int flags) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return (int) result((long) SYSCALL.invokeExact(s, SYS_IO_URING_ENTER, (long) fd, (long) toSubmit, (long) minComplete,
                    (long) flags, 0L, 0L), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public long mmap(long address, long length, int prot, int flags, int fd, long offset) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((long) MMAP.invokeExact(s, address, length, prot, flags, fd, offset), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int munmap(long address, long length) {
        MemorySegment s = ERRNO_STATE.get();
        try {
            return result((int) MUNMAP.invokeExact(s, address, length), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }

    @Override
    public int pinToCpu(int cpu) {
        if (cpu < 0 || cpu >= 1024) {
            return -22;
        }
        MemorySegment s = ERRNO_STATE.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(128); // cpu_set_t: 1024 bits
            mask.set(java.lang.foreign.ValueLayout.JAVA_BYTE, cpu / 8, (byte) (1 << (cpu % 8)));
            return (int) result((long) SYSCALL.invokeExact(s, SYS_SCHED_SETAFFINITY, 0L, 128L, mask.address(), 0L, 0L, 0L), s);
        } catch (Throwable t) {
            throw failed(t);
        }
    }
}
