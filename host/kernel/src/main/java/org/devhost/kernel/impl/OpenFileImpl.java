package org.devhost.kernel.impl;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.Operation;

/**
 * An open file: the user's handle ({@link OpenFile}) and the driver's view ({@link File}) of it.
 *
 * <p>Invariants: {@code refs} is 1 for the user's reference (until close or revocation drops it)
 * plus 1 per operation in flight; when it reaches 0 the driver's release runs, exactly once, and
 * the count never rises again. Operations take a reference first, so release never overlaps one.
 * The position is a volatile long: concurrent callers on one file race for it, as in Linux.
 */
final class OpenFileImpl implements OpenFile, File {
    private final CharDevice device;
    private final int flags;
    private final ModuleContext opener;
    private Object data; // written once before the file is published, then only read
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicBoolean userReferenceDropped = new AtomicBoolean();
    private volatile boolean closed;
    private volatile long position;

    OpenFileImpl(CharDevice device, int flags, ModuleContext opener) {
        this.device = device;
        this.flags = flags;
        this.opener = opener;
    }

    void attach(Object data) {
        this.data = data;
    }

    // ---- the driver's view ----

    @Override
    public DeviceNumber device() {
        return device.number();
    }

    @Override
    public String deviceName() {
        return device.name();
    }

    @Override
    public int flags() {
        return flags;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    public boolean isRevoked() {
        return device.isRevoked();
    }

    // ---- reference counting ----

    private void enter(String what) {
        if (closed) {
            throw new KernelException(Errno.EBADF, what + " " + device.name() + ": file is closed");
        }
        int r;
        do {
            r = refs.get();
            if (r == 0) {
                throw closed ? new KernelException(Errno.EBADF, what + " " + device.name() + ": file is closed")
                        : device.gone(what);
            }
        } while (!refs.compareAndSet(r, r + 1));
        if (device.isRevoked()) {
            exit();
            throw device.gone(what);
        }
    }

    private void exit() {
        if (refs.decrementAndGet() == 0) {
            release();
        }
    }

    /** Drops the user's reference once (close or revocation, whichever comes first). */
    void dropOpenReference() {
        if (userReferenceDropped.compareAndSet(false, true)) {
            exit();
        }
    }

    @SuppressWarnings("unchecked")
    private void release() {
        try {
            if (device.operations().contains(Operation.RELEASE)) {
                device.ops.release(data, this);
            }
        } catch (Throwable e) {
            // release has no caller to answer: the fault is logged, the file goes all the same
            device.moduleContext().log("ERROR", "release on " + device.name() + " threw " + e, e);
            if (e instanceof VirtualMachineError vme && !(e instanceof StackOverflowError)) {
                throw vme;
            }
        } finally {
            opener.closed(this);
            device.fileReleased(this);
        }
    }

    // ---- the user's handle (device(), deviceName(), flags() and position() serve both sides) ----

    @Override
    @SuppressWarnings("unchecked")
    public int read(ByteBuffer dst) {
        if (!OpenFlags.readable(flags)) {
            throw new KernelException(Errno.EBADF, "read " + device.name() + ": not open for reading");
        }
        enter("read");
        try {
            int n = device.ops.read(data, this, dst, position);
            if (n > 0) {
                position += n;
            }
            return n;
        } catch (Throwable e) {
            throw device.fault(e, "read");
        } finally {
            exit();
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public int write(ByteBuffer src) {
        if (!OpenFlags.writable(flags)) {
            throw new KernelException(Errno.EBADF, "write " + device.name() + ": not open for writing");
        }
        enter("write");
        try {
            int n = device.ops.write(data, this, src, position);
            if (n > 0) {
                position += n;
            }
            return n;
        } catch (Throwable e) {
            throw device.fault(e, "write");
        } finally {
            exit();
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public long seek(long offset, int whence) {
        if (whence < SEEK_SET || whence > SEEK_END) {
            throw new KernelException(Errno.EINVAL, "seek " + device.name() + ": whence " + whence
                    + " is not SEEK_SET, SEEK_CUR or SEEK_END");
        }
        enter("seek");
        try {
            long p = device.ops.seek(data, this, offset, whence);
            if (p < 0) {
                throw new KernelException(Errno.EINVAL, "seek " + device.name() + ": position would be negative");
            }
            position = p;
            return p;
        } catch (Throwable e) {
            throw device.fault(e, "seek");
        } finally {
            exit();
        }
    }

    @Override
    public long ioctl(int cmd, long arg) {
        return ioctl(cmd, IoctlArg.value(arg));
    }

    @Override
    public long ioctl(int cmd, ByteBuffer arg) {
        return ioctl(cmd, IoctlArg.pointer(arg));
    }

    @SuppressWarnings("unchecked")
    private long ioctl(int cmd, IoctlArg arg) {
        enter("ioctl");
        try {
            return device.ops.ioctl(data, this, cmd, arg);
        } catch (Throwable e) {
            throw device.fault(e, "ioctl");
        } finally {
            exit();
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public int poll() {
        enter("poll");
        try {
            return device.ops.poll(data, this);
        } catch (Throwable e) {
            throw device.fault(e, "poll");
        } finally {
            exit();
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void fsync() {
        enter("fsync");
        try {
            device.ops.fsync(data, this);
        } catch (Throwable e) {
            throw device.fault(e, "fsync");
        } finally {
            exit();
        }
    }

    @Override
    public void close() {
        closed = true;
        dropOpenReference();
    }

    @Override
    public String toString() {
        return "file on " + device;
    }
}
