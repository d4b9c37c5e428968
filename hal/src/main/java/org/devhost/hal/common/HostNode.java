package org.devhost.hal.common;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.KnownIoctl;
import org.devhost.hal.NodeStat;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * An open descriptor and its wake descriptor (an eventfd).
 *
 * <p>Invariants: {@code refs} is 1 (the owner's reference, until close) plus one per call in
 * flight; both descriptors are closed exactly once, when it reaches 0, so no call ever runs on a
 * closed or reused descriptor number. {@code closed} never clears; once it is set the eventfd is
 * readable for good (it is never drained), so a call that polls it after the close, or was already
 * polling, returns at once.
 *
 * <p>Blocking reads and writes on a node that may block ({@code mayBlock}: opened in blocking mode,
 * and not one of the devices that never block) run on a descriptor left in non-blocking mode: they
 * try, and on {@code EAGAIN} (nothing to read, no room; or another reader or writer was first)
 * wait in {@code poll(2)} on the node, the eventfd and an eventfd of the wait's own ({@link
 * NodeWait}), then try again. No call ever sleeps inside {@code read(2)} or {@code write(2)},
 * where neither a close nor an interrupt could reach it: that is what makes every blocked call end
 * on close ({@code EBADF}) and on {@link Thread#interrupt()} of its thread ({@code EINTR}).
 * {@link #poll} with a timeout waits the same way. (An ioctl that sleeps in the kernel, such as
 * TCSBRK, is not covered: it finishes first.)
 *
 * <p>The quick ioctl commands ({@link IoctlRules#quick}) go through the backend's quick call.
 */
final class HostNode implements DeviceNode {
    private final Syscalls sys;
    private final NativeBuffers buffers;
    private final int fd;
    private final int wakeFd;
    private final String path;
    private final boolean mayBlock;
    private final Refs refs = new Refs(this::release);
    private volatile boolean closed;
    /**
     * The last command a by-value ioctl and a memory ioctl on this node passed the rules with
     * ({@link IoctlRules}: the verdict depends on the command alone, so a program that repeats a
     * command is checked once). Both are immutable, so a racing reader sees either a whole verdict
     * or the previous one, and at worst checks again.
     */
    private IoctlRules.Value valueChecked;
    private IoctlRules.Memory memoryChecked;

    /**
     * @param fd the node, owned from here on
     * @param wakeFd an eventfd, owned from here on
     * @param mayBlock whether reads and writes can block (blocking mode on a device that can wait)
     */
    HostNode(Syscalls sys, NativeBuffers buffers, int fd, int wakeFd, String path, boolean mayBlock) {
        this.sys = sys;
        this.buffers = buffers;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.path = path;
        this.mayBlock = mayBlock;
    }

    @Override
    public String path() {
        return path;
    }

    /** The descriptor number (tests check that it is closed). */
    int fd() {
        return fd;
    }

    private void enter(String call) {
        if (closed || !refs.take()) {
            throw new KernelException(Errno.EBADF, call + " " + path + ": the node is closed");
        }
    }

    private void exit() {
        refs.drop();
    }

    private void release() {
        // close(2) fails only for a bad fd or EINTR/EIO on flush; the descriptor is gone either way
        sys.close(fd);
        sys.close(wakeFd);
    }

    @Override
    public int read(ByteBuffer dst) {
        return transfer("read", dst, -1, true);
    }

    @Override
    public int write(ByteBuffer src) {
        return transfer("write", src, -1, false);
    }

    @Override
    public int pread(ByteBuffer dst, long offset) {
        return transfer("pread", dst, offset, true);
    }

    @Override
    public int pwrite(ByteBuffer src, long offset) {
        return transfer("pwrite", src, offset, false);
    }

    private int transfer(String call, ByteBuffer buf, long offset, boolean in) {
        if (in && buf.isReadOnly()) {
            throw new KernelException(Errno.EINVAL, call + " " + path + ": the buffer is read-only; pass a writable one");
        }
        enter(call);
        try {
            while (true) {
                long n = transferNow(buf, offset, in);
                if (n >= 0) {
                    return (int) n;
                }
                if (!mayBlock || !Errnos.is(n, Errno.EAGAIN)) {
                    throw Errnos.of(n, call + " " + path);
                }
                // Not ready (or another reader or writer was first): wait, then try again. Trying
                // first costs a ready node one system call, and leaves poll(2) to real waits.
                awaitReady(call, in ? Linux.POLLIN : Linux.POLLOUT);
            }
        } finally {
            exit();
        }
    }

    /**
     * Waits until the node is ready for {@code events} (or reports an error or hang-up, which the
     * following call then returns), after a call found it not ready: EBADF when the node is closed,
     * EINTR when the thread is interrupted, before or while it waits.
     */
    private void awaitReady(String call, short events) {
        NodeWait.await(this, sys, buffers, fd, wakeFd, events, -1, call);
    }

    /**
     * The node's {@code revents} for {@code events}, waiting at most {@code timeoutMillis}
     * (negative: no limit) for one; 0 when the time ran out. A look without waiting comes first:
     * a node that is ready costs one {@code poll(2)} and nothing more, and only a wait pays for
     * what makes it end on an interrupt ({@link NodeWait}).
     *
     * @throws KernelException EBADF when the node is closed, EINTR when the thread is interrupted
     *     while it would wait (or has an interrupt pending then), the errno of {@code poll(2)}
     */
    private int ready(String call, int events, int timeoutMillis) {
        if (closed) {
            throw closedWhileWaiting(call);
        }
        ByteBuffer pfds = buffers.words();
        pfds.putInt(0, fd).putShort(4, (short) events).putShort(6, (short) 0);
        int n;
        do {
            n = sys.poll(buffers.wordsAddress(), 1, 0);
        } while (Errnos.is(n, Errno.EINTR));
        if (n < 0) {
            throw Errnos.of(n, "poll " + path);
        }
        if (n > 0) {
            return pfds.getShort(6) & 0xffff;
        }
        if (timeoutMillis == 0) {
            return 0;
        }
        return NodeWait.await(this, sys, buffers, fd, wakeFd, events, timeoutMillis, call);
    }

    boolean isClosed() {
        return closed;
    }

    KernelException closedWhileWaiting(String call) {
        return new KernelException(Errno.EBADF, call + " " + path + ": the node was closed while the call waited");
    }

    /**
     * One read/write/pread/pwrite: the count, or {@code -errno} (the buffer's position then stays);
     * heap buffers go through native memory of the call's size.
     */
    private long transferNow(ByteBuffer buf, long offset, boolean in) {
        int want = buf.remaining();
        if (buf.isDirect()) {
            long n = call(buffers.address(buf), want, offset, in);
            if (n > 0) {
                buf.position(buf.position() + (int) n);
            }
            return n;
        }
        int chunk = Math.min(want, NativeBuffers.TRANSFER_LIMIT);
        try (NativeBuffers.Lease lease = buffers.lease(chunk)) {
            ByteBuffer scratch = lease.buffer();
            if (!in) {
                ByteBuffer view = buf.duplicate();
                view.limit(view.position() + chunk);
                scratch.put(view).flip();
            }
            long n = call(lease.address(), chunk, offset, in);
            if (n > 0) {
                if (in) {
                    scratch.limit((int) n);
                    buf.put(scratch);
                } else {
                    buf.position(buf.position() + (int) n);
                }
            }
            return n;
        }
    }

    private long call(long address, int count, long offset, boolean in) {
        if (offset < 0) {
            return in ? sys.read(fd, address, count) : sys.write(fd, address, count);
        }
        return in ? sys.pread(fd, address, count, offset) : sys.pwrite(fd, address, count, offset);
    }

    @Override
    public long seek(long offset, int whence) {
        enter("lseek");
        try {
            long r = sys.lseek(fd, offset, whence);
            if (r < 0) {
                throw Errnos.of(r, "lseek " + path);
            }
            return r;
        } finally {
            exit();
        }
    }

    @Override
    public int ioctl(int cmd, long value) {
        IoctlRules.checkUndescribedValue(cmd, value, path);
        return ioctl(IoctlRules.describe(cmd), value);
    }

    @Override
    public int ioctl(int cmd, ByteBuffer arg) {
        return ioctl(IoctlRules.describe(cmd), arg);
    }

    @Override
    public int ioctl(KnownIoctl command, long value) {
        IoctlRules.Value rules = valueChecked;
        if (rules == null || rules.command() != command) {
            rules = IoctlRules.value(command, path);
            valueChecked = rules;
        }
        long cmd = command.value() & 0xffffffffL;
        enter("ioctl");
        try {
            return ioctlResult(rules.quick() ? sys.ioctlQuick(fd, cmd, value) : sys.ioctl(fd, cmd, value), command);
        } finally {
            exit();
        }
    }

    @Override
    public int ioctl(KnownIoctl command, ByteBuffer arg) {
        IoctlRules.Memory rules = memoryChecked;
        if (rules == null || rules.command() != command) {
            rules = IoctlRules.memory(command, path);
            memoryChecked = rules;
        }
        int size = rules.check(arg, path);
        long cmd = command.value() & 0xffffffffL;
        enter("ioctl");
        try {
            if (arg.isDirect()) {
                // check() made sure [position, position + size) lies inside the buffer
                long address = buffers.address(arg);
                return ioctlResult(rules.quick() ? sys.ioctlQuick(fd, cmd, address) : sys.ioctl(fd, cmd, address), command);
            }
            // The kernel may read and write the struct: copy exactly its size in and back out.
            try (NativeBuffers.Lease lease = buffers.lease(size)) {
                ByteBuffer scratch = lease.buffer();
                scratch.put(arg.duplicate().limit(arg.position() + size)).flip();
                int r = ioctlResult(sys.ioctl(fd, cmd, lease.address()), command);
                if (!arg.isReadOnly()) {
                    arg.duplicate().put(scratch);
                }
                return r;
            }
        } finally {
            exit();
        }
    }

    private int ioctlResult(int r, KnownIoctl command) {
        if (r < 0) {
            throw Errnos.of(r, "ioctl 0x" + Integer.toHexString(command.value()) + " on " + path);
        }
        return r;
    }

    @Override
    public int poll(int events, int timeoutMillis) {
        enter("poll");
        try {
            return ready("poll", events, timeoutMillis);
        } finally {
            exit();
        }
    }

    @Override
    public NodeStat stat() {
        enter("fstat");
        try {
            return fstat(sys, buffers, fd, path);
        } finally {
            exit();
        }
    }

    static NodeStat fstat(Syscalls sys, NativeBuffers buffers, int fd, String path) {
        try (NativeBuffers.Lease lease = buffers.lease(Linux.STAT_SIZE)) {
            ByteBuffer st = lease.buffer().order(ByteOrder.nativeOrder());
            int r = sys.fstat(fd, lease.address());
            if (r < 0) {
                throw Errnos.of(r, "fstat " + path);
            }
            return new NodeStat(st.getInt(Linux.ST_MODE), st.getLong(Linux.ST_RDEV), st.getLong(Linux.ST_SIZE));
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        // Wake the calls waiting for this node (before dropping the owner's reference, which keeps
        // the eventfd open for this write): each sees the eventfd readable and leaves with EBADF.
        ByteBuffer one = buffers.words();
        one.putLong(0, 1);
        // a failure is EAGAIN only, if the counter were near overflow: it is then readable anyway
        sys.write(wakeFd, buffers.wordsAddress(), 8);
        exit();
    }

    @Override
    public String toString() {
        return path + " (fd " + fd + (closed ? ", closed)" : ")");
    }
}
