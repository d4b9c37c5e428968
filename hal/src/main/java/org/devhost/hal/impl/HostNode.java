package org.devhost.hal.impl;

import com.sun.jna.LastErrorException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.NodeStat;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * An open descriptor. Invariant: {@code refs} is 1 (the owner's reference, until close) plus one
 * per call in flight; the descriptor is closed exactly once, when it reaches 0, so no call ever
 * runs on a closed or reused descriptor number.
 */
final class HostNode implements DeviceNode {
    private static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));
    /** Offsets in {@code struct stat}: x86-64 and the generic layout of aarch64. */
    private static final int ST_MODE = AARCH64 ? 16 : 24;
    private static final int ST_RDEV = AARCH64 ? 32 : 40;
    private static final int ST_SIZE = 48;
    private static final int STAT_SIZE = 256;

    private final int fd;
    private final String path;
    private final AtomicInteger refs = new AtomicInteger(1);
    private volatile boolean closed;

    HostNode(int fd, String path) {
        this.fd = fd;
        this.path = path;
    }

    @Override
    public String path() {
        return path;
    }

    private void enter(String call) {
        int r;
        do {
            r = refs.get();
            if (r == 0 || closed) {
                throw new KernelException(Errno.EBADF, call + " " + path + ": the node is closed");
            }
        } while (!refs.compareAndSet(r, r + 1));
    }

    private void exit() {
        if (refs.decrementAndGet() == 0) {
            try {
                LibC.close(fd);
            } catch (LastErrorException ignored) {
                // close(2) fails only for a bad fd or EINTR/EIO on flush; the descriptor is gone either way
            }
        }
    }

    @Override
    public int read(ByteBuffer dst) {
        enter("read");
        try {
            return transfer(dst, -1, true);
        } finally {
            exit();
        }
    }

    @Override
    public int write(ByteBuffer src) {
        enter("write");
        try {
            return transfer(src, -1, false);
        } finally {
            exit();
        }
    }

    @Override
    public int pread(ByteBuffer dst, long offset) {
        enter("pread");
        try {
            return transfer(dst, offset, true);
        } finally {
            exit();
        }
    }

    @Override
    public int pwrite(ByteBuffer src, long offset) {
        enter("pwrite");
        try {
            return transfer(src, offset, false);
        } finally {
            exit();
        }
    }

    /** One read/write/pread/pwrite; heap buffers go through the thread's scratch buffer. */
    private int transfer(ByteBuffer buf, long offset, boolean in) {
        int want = buf.remaining();
        if (buf.isDirect()) {
            long n = call(buf, NativeBuffers.address(buf), want, offset, in);
            buf.position(buf.position() + (int) n);
            return (int) n;
        }
        ByteBuffer scratch = NativeBuffers.scratch(Math.min(want, NativeBuffers.SCRATCH_LIMIT));
        int chunk = Math.min(want, scratch.capacity());
        if (!in) {
            ByteBuffer view = buf.duplicate();
            view.limit(view.position() + chunk);
            scratch.put(view).flip();
        }
        long n = call(buf, NativeBuffers.address(scratch), chunk, offset, in);
        if (in) {
            scratch.limit((int) n);
            buf.put(scratch);
        } else {
            buf.position(buf.position() + (int) n);
        }
        return (int) n;
    }

    private long call(ByteBuffer buf, long address, int count, long offset, boolean in) {
        try {
            if (offset < 0) {
                return in ? LibC.read(fd, address, count) : LibC.write(fd, address, count);
            }
            return in ? LibC.pread(fd, address, count, offset) : LibC.pwrite(fd, address, count, offset);
        } catch (LastErrorException e) {
            String name = (offset < 0 ? "" : "p") + (in ? "read" : "write");
            throw Errnos.of(e, name + " " + path);
        }
    }

    @Override
    public long seek(long offset, int whence) {
        enter("lseek");
        try {
            return LibC.lseek(fd, offset, whence);
        } catch (LastErrorException e) {
            throw Errnos.of(e, "lseek " + path);
        } finally {
            exit();
        }
    }

    @Override
    public int ioctl(int cmd, long value) {
        enter("ioctl");
        try {
            return LibC.ioctl(fd, cmd & 0xffffffffL, value);
        } catch (LastErrorException e) {
            throw Errnos.of(e, "ioctl 0x" + Integer.toHexString(cmd) + " on " + path);
        } finally {
            exit();
        }
    }

    @Override
    public int ioctl(int cmd, ByteBuffer arg) {
        enter("ioctl");
        try {
            if (arg.isDirect()) {
                return LibC.ioctl(fd, cmd & 0xffffffffL, NativeBuffers.address(arg));
            }
            // The kernel may read and write the struct: copy it in and back out.
            ByteBuffer scratch = NativeBuffers.scratch(arg.remaining());
            scratch.put(arg.duplicate()).flip();
            int r = LibC.ioctl(fd, cmd & 0xffffffffL, NativeBuffers.address(scratch));
            arg.duplicate().put(scratch);
            return r;
        } catch (LastErrorException e) {
            throw Errnos.of(e, "ioctl 0x" + Integer.toHexString(cmd) + " on " + path);
        } finally {
            exit();
        }
    }

    @Override
    public int poll(int events, int timeoutMillis) {
        enter("poll");
        try {
            ByteBuffer pfd = NativeBuffers.scratch(8);
            pfd.putInt(0, fd).putShort(4, (short) events).putShort(6, (short) 0);
            int n = LibC.poll(NativeBuffers.address(pfd), 1, timeoutMillis);
            return n == 0 ? 0 : pfd.getShort(6) & 0xffff;
        } catch (LastErrorException e) {
            throw Errnos.of(e, "poll " + path);
        } finally {
            exit();
        }
    }

    @Override
    public NodeStat stat() {
        enter("fstat");
        try {
            return fstat(fd, path);
        } finally {
            exit();
        }
    }

    static NodeStat fstat(int fd, String path) {
        ByteBuffer st = NativeBuffers.scratch(STAT_SIZE).order(ByteOrder.nativeOrder());
        try {
            LibC.fstat(fd, NativeBuffers.address(st));
        } catch (LastErrorException e) {
            throw Errnos.of(e, "fstat " + path);
        }
        return new NodeStat(st.getInt(ST_MODE), st.getLong(ST_RDEV), st.getLong(ST_SIZE));
    }

    @Override
    public void close() {
        if (!closed) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            exit();
        }
    }

    @Override
    public String toString() {
        return path + " (fd " + fd + (closed ? ", closed)" : ")");
    }
}
