package org.devhost.hal.impl;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import org.devhost.hal.common.Syscalls;

/**
 * The HAL's libc calls through JNA ({@link LibC}, direct mapping): the HAL of record, and the only
 * backend on JDK 17. errno arrives as {@link LastErrorException}, which is turned into
 * {@code -errno} here and nowhere else. Stateless; thread-safe.
 */
public final class JnaSyscalls implements Syscalls {
    /** Below the FFM backend: JNA's own call costs about 2.2x C here (BENCHMARKS.md). */
    public static final int RANK = 0;

    @Override
    public String description() {
        return "JNA " + Native.VERSION + " (direct mapping)";
    }

    @Override
    public int rank() {
        return RANK;
    }

    @Override
    public long address(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }

    @Override
    public long malloc(long size) {
        return Native.malloc(size);
    }

    @Override
    public void free(long address) {
        Native.free(address);
    }

    @Override
    public ByteBuffer view(long address, int size) {
        return new Pointer(address).getByteBuffer(0, size);
    }

    private static int minus(LastErrorException e) {
        return -e.getErrorCode();
    }

    @Override
    public int open(long path, int flags) {
        try {
            return LibC.open(path, flags);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int close(int fd) {
        try {
            return LibC.close(fd);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public long read(int fd, long buf, long count) {
        try {
            return LibC.read(fd, buf, count);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public long write(int fd, long buf, long count) {
        try {
            return LibC.write(fd, buf, count);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public long pread(int fd, long buf, long count, long offset) {
        try {
            return LibC.pread(fd, buf, count, offset);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public long pwrite(int fd, long buf, long count, long offset) {
        try {
            return LibC.pwrite(fd, buf, count, offset);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public long lseek(int fd, long offset, int whence) {
        try {
            return LibC.lseek(fd, offset, whence);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int ioctl(int fd, long request, long arg) {
        try {
            return LibC.ioctl(fd, request, arg);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int poll(long fds, long nfds, int timeout) {
        try {
            return LibC.poll(fds, nfds, timeout);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int fstat(int fd, long statbuf) {
        try {
            return LibC.fstat(fd, statbuf);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int fcntl(int fd, int cmd, long arg) {
        try {
            return LibC.fcntl(fd, cmd, arg);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int eventfd(int initval, int flags) {
        try {
            return LibC.eventfd(initval, flags);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int mount(long source, long target, long fstype, long flags, long data) {
        try {
            return LibC.mount(source, target, fstype, flags, data);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int umount2(long target, int flags) {
        try {
            return LibC.umount2(target, flags);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int statfs(long path, long buf) {
        try {
            return LibC.statfs(path, buf);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int geteuid() {
        return LibC.geteuid();
    }

    @Override
    public int getegid() {
        return LibC.getegid();
    }

    @Override
    public int socketpair(int domain, int type, int protocol, long sv) {
        try {
            return LibC.socketpair(domain, type, protocol, sv);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int posixSpawnFileActionsInit(long actions) {
        return -LibC.posix_spawn_file_actions_init(actions);
    }

    @Override
    public int posixSpawnFileActionsAdddup2(long actions, int fd, int newfd) {
        return -LibC.posix_spawn_file_actions_adddup2(actions, fd, newfd);
    }

    @Override
    public int posixSpawnFileActionsDestroy(long actions) {
        return -LibC.posix_spawn_file_actions_destroy(actions);
    }

    @Override
    public int posixSpawn(long pid, long path, long actions, long attr, long argv, long envp) {
        return -LibC.posix_spawn(pid, path, actions, attr, argv, envp);
    }

    @Override
    public long recvmsg(int fd, long msg, int flags) {
        try {
            return LibC.recvmsg(fd, msg, flags);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int waitpid(int pid, long status, int options) {
        try {
            return LibC.waitpid(pid, status, options);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int socket(int domain, int type, int protocol) {
        try {
            return LibC.socket(domain, type, protocol);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int bind(int fd, long addr, int addrlen) {
        try {
            return LibC.bind(fd, addr, addrlen);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public long sendto(int fd, long buf, long len, int flags, long addr, int addrlen) {
        try {
            return LibC.sendto(fd, buf, len, flags, addr, addrlen);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    /** x86-64 and aarch64 share these numbers (the "generic" table's 425 and 426). */
    private static final long SYS_IO_URING_SETUP = 425;
    private static final long SYS_IO_URING_ENTER = 426;

    @Override
    public int ioUringSetup(int entries, long params) {
        try {
            return (int) LibC.syscall(SYS_IO_URING_SETUP, entries, params, 0, 0, 0, 0);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int ioUringEnter(int fd, int toSubmit, int minComplete, int flags) {
        try {
            return (int) LibC.syscall(SYS_IO_URING_ENTER, fd, toSubmit, minComplete, flags, 0, 0);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public long mmap(long address, long length, int prot, int flags, int fd, long offset) {
        try {
            return LibC.mmap(address, length, prot, flags, fd, offset);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int munmap(long address, long length) {
        try {
            return LibC.munmap(address, length);
        } catch (LastErrorException e) {
            return minus(e);
        }
    }

    @Override
    public int pinToCpu(int cpu) {
        if (cpu < 0 || cpu >= 1024) {
            return -22;
        }
        long mask = Native.malloc(128); // cpu_set_t: 1024 bits
        if (mask == 0) {
            return -12;
        }
        try {
            Pointer m = new Pointer(mask);
            m.clear(128);
            m.setByte(cpu / 8, (byte) (1 << (cpu % 8)));
            return LibC.sched_setaffinity(0, 128, mask);
        } catch (LastErrorException e) {
            return minus(e);
        } finally {
            Native.free(mask);
        }
    }
}
