package org.devhost.hal.common;

import java.nio.ByteBuffer;
import org.devhost.hal.FuseChannel;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * A {@code /dev/fuse} descriptor and its mount.
 *
 * <p>Invariants: {@code refs} is 1 (the owner's reference, until close) plus one per call in
 * flight, and the descriptor is closed exactly once, when it reaches 0, so no call runs on a
 * closed or reused descriptor number. Receivers sleep inside {@code read(2)}, which a close of the
 * descriptor cannot end; what ends them is the end of the connection: {@link #close()} aborts
 * the connection through the {@code fusectl} file system and detaches the mount ({@link FuseMounts}),
 * and the kernel ends a connection by itself once a detached mount has no open file left. Either
 * way every read then fails with {@code ENODEV}.
 */
final class FuseDevice implements FuseChannel {
    private final FuseMounts mounts;
    private final Syscalls sys;
    private final NativeBuffers buffers;
    private final int fd;
    private final String mountPoint;
    private final String options;
    private final boolean viaHelper;
    private final int connection;
    private final Refs refs = new Refs(this::release);
    private volatile boolean closed;

    /**
     * @param fd the {@code /dev/fuse} descriptor, owned from here on
     * @param connection the connection's number ({@code fusectl}'s folder name), or -1 when unknown
     */
    FuseDevice(FuseMounts mounts, Syscalls sys, NativeBuffers buffers, int fd, String mountPoint, String options,
            boolean viaHelper, int connection) {
        this.mounts = mounts;
        this.sys = sys;
        this.buffers = buffers;
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
                long n = sys.read(fd, address, dst.remaining());
                if (n >= 0) {
                    dst.position(dst.position() + (int) n);
                    return (int) n;
                }
                // EINTR: a signal; EAGAIN: another thread took the request; ENOENT: the request
                // was interrupted before it was read (fs/fuse/dev.c)
                if (Errnos.is(n, Errno.EINTR) || Errnos.is(n, Errno.EAGAIN) || Errnos.is(n, Errno.ENOENT)) {
                    continue;
                }
                if (Errnos.is(n, Errno.ENODEV)) {
                    throw new KernelException(Errno.ENODEV, "the FUSE file system at " + mountPoint + " is unmounted");
                }
                throw Errnos.of(n, "read(/dev/fuse) for " + mountPoint);
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
            long n = sys.write(fd, address, src.remaining());
            if (Errnos.is(n, Errno.ENOENT)) {
                return false; // the request was interrupted and is gone: nobody waits for the reply
            }
            if (n < 0) {
                throw Errnos.of(n, "write(/dev/fuse) of a " + src.remaining() + "-byte message for " + mountPoint);
            }
            return true;
        } finally {
            leave();
        }
    }

    @Override
    public boolean hasQueues() {
        return sys.ioUringSetup(0, 0) != -38;
    }

    @Override
    public org.devhost.hal.FuseQueue queue(int id, int capacity, int payloadSize) {
        if (!hasQueues()) {
            throw new KernelException(Errno.EOPNOTSUPP, "this HAL backend (" + sys.description()
                    + ") cannot call io_uring_setup(2): ENOSYS");
        }
        enter(); // the queue's commands name this descriptor: it stays open while the queue lives
        return new UringQueue(sys, fd, id, capacity, payloadSize, this::leave);
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
            // Only while the mount is still ours: something else may be at that path now, and
            // our connection's number may belong to another mount (a mount detached by hand
            // frees it). Abort first, while the number is surely ours, then detach. A connection
            // whose mount is gone has ended already: its reads fail with ENODEV.
            if (mounts.isOurs(mountPoint, connection)) {
                try {
                    mounts.abort(connection);
                } finally {
                    mounts.detach(mountPoint, viaHelper);
                }
            } else if (connection < 0) {
                mounts.detach(mountPoint, viaHelper); // number unknown (no mountinfo): as before
            }
        } finally {
            leave();
        }
    }

    private long direct(ByteBuffer buffer, String what) {
        if (!buffer.isDirect()) {
            throw new KernelException(Errno.EINVAL, what + " needs a direct ByteBuffer (ByteBuffer.allocateDirect)");
        }
        return buffers.address(buffer);
    }

    private void enter() {
        if (!refs.take()) {
            throw new KernelException(Errno.ENODEV, "the FUSE channel for " + mountPoint + " is closed");
        }
    }

    private void leave() {
        refs.drop();
    }

    private void release() {
        sys.close(fd); // a failure changes nothing: the number is released either way
    }
}
