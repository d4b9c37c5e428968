package org.devhost.hal.impl;

import com.sun.jna.LastErrorException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.devhost.hal.FuseChannel;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * A {@code /dev/fuse} descriptor and its mount.
 *
 * <p>Invariants: {@code refs} is 1 (the owner's reference, until close) plus one per call in
 * flight, and the descriptor is closed exactly once, when it reaches 0, so no call runs on a
 * closed or reused descriptor number. Receivers sleep inside {@code read(2)}, which a close of the
 * descriptor cannot end; what ends them is the end of the connection: {@link #close()} detaches
 * the mount and aborts the connection through the {@code fusectl} file system ({@link FuseMounts}),
 * and the kernel ends a connection by itself once a detached mount has no open file left. Either
 * way every read then fails with {@code ENODEV}.
 */
final class FuseDevice implements FuseChannel {
    private final int fd;
    private final String mountPoint;
    private final String options;
    private final boolean viaHelper;
    private final int connection;
    private final AtomicInteger refs = new AtomicInteger(1);
    private volatile boolean closed;

    /**
     * @param fd the {@code /dev/fuse} descriptor, owned from here on
     * @param connection the connection's number ({@code fusectl}'s folder name), or -1 when unknown
     */
    FuseDevice(int fd, String mountPoint, String options, boolean viaHelper, int connection) {
        this.fd = fd;
        this.mountPoint = mountPoint;
        this.options = options;
        this.viaHelper = viaHelper;
        this.connection = connection;
    }

    @Override
    public String mountPoint() {
        return mountPoint;
    }

    @Override
    public String options() {
        return options;
    }

    @Override
    public boolean viaHelper() {
        return viaHelper;
    }

    @Override
    public int receive(ByteBuffer dst) {
        long address = direct(dst, "receive");
        enter();
        try {
            while (true) {
                try {
                    int n = (int) LibC.read(fd, address, dst.remaining());
                    dst.position(dst.position() + n);
                    return n;
                } catch (LastErrorException e) {
                    int errno = e.getErrorCode();
                    // EINTR: a signal; EAGAIN: another thread took the request; ENOENT: the request
                    // was interrupted before it was read (fs/fuse/dev.c)
                    if (errno == Errno.EINTR.number() || errno == Errno.EAGAIN.number()
                            || errno == Errno.ENOENT.number()) {
                        continue;
                    }
                    if (errno == Errno.ENODEV.number()) {
                        throw new KernelException(Errno.ENODEV, "the FUSE file system at " + mountPoint + " is unmounted");
                    }
                    throw Errnos.of(e, "read(/dev/fuse) for " + mountPoint);
                }
            }
        } finally {
            leave();
        }
    }

    @Override
    public boolean send(ByteBuffer src) {
        long address = direct(src, "send");
        enter();
        try {
            LibC.write(fd, address, src.remaining());
            return true;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.ENOENT.number()) {
                return false; // the request was interrupted and is gone: nobody waits for the reply
            }
            throw Errnos.of(e, "write(/dev/fuse) of a " + src.remaining() + "-byte message for " + mountPoint);
        } finally {
            leave();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            FuseMounts.detach(mountPoint, viaHelper);
        } finally {
            FuseMounts.abort(connection);
            leave();
        }
    }

    private static long direct(ByteBuffer buffer, String what) {
        if (!buffer.isDirect()) {
            throw new KernelException(Errno.EINVAL, what + " needs a direct ByteBuffer (ByteBuffer.allocateDirect)");
        }
        return NativeBuffers.address(buffer);
    }

    private void enter() {
        while (true) {
            int r = refs.get();
            if (r == 0) {
                throw new KernelException(Errno.ENODEV, "the FUSE channel for " + mountPoint + " is closed");
            }
            if (refs.compareAndSet(r, r + 1)) {
                return;
            }
        }
    }

    private void leave() {
        if (refs.decrementAndGet() == 0) {
            try {
                LibC.close(fd);
            } catch (LastErrorException ignored) {
                // nothing to do: the number is released either way
            }
        }
    }
}
