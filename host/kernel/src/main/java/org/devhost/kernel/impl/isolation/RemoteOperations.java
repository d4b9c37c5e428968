package org.devhost.kernel.impl.isolation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.PollTable;
import org.devhost.kernel.WaitQueue;
import org.devhost.kernel.Operation;
import java.util.Set;
import org.devhost.kernel.impl.chrdev.ForwardedOperations;

/**
 * The operations of every device of an isolated module, as the host's table holds them: each call
 * goes to the child as one request and waits for its answer on the caller's thread (as a system
 * call waits in the driver). The host's character device around it does the rest as for any
 * driver: counting operations in flight (so the watchdog sees a hang), revocation, positions.
 *
 * <p>What the child answers is checked: a read returns no more than it was asked, a write takes no
 * more than it was given, an ioctl's memory comes back at its size; anything else is malformed and
 * the child is killed.
 */
final class RemoteOperations implements FileOperations<RemoteOperations.RemoteFile>, ForwardedOperations {
    private static final byte[] NONE = new byte[0];
    private final Child child;
    private final Set<Operation> table;

    /** One open file in the child, and the host's wait queue its poll wake-ups arrive on. */
    record RemoteFile(long id, WaitQueue queue) {}

    /**
     * Completes when the device is in the child's table too ({@link Wire#ADDED}): the host makes the
     * device first, and an open that came before the child's own registration would find nothing there.
     */
    final java.util.concurrent.CompletableFuture<Void> added = new java.util.concurrent.CompletableFuture<>();

    RemoteOperations(Child child, Set<Operation> table) {
        this.child = child;
        this.table = table;
    }

    @Override
    public Set<Operation> operations() {
        return table;
    }

    @Override
    public boolean runningInDriver(Thread caller) {
        return child.runningInDriver(caller);
    }

    @Override
    public String where(Thread caller) {
        return child.where(caller);
    }

    @Override
    public RemoteFile open(File file) {
        try {
            added.get(Satellite.HOST_ANSWER_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new KernelException(Errno.ENXIO, file.deviceName() + ": module " + child.module()
                    + " has not registered it in its process within " + Satellite.HOST_ANSWER_MS + " ms");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KernelException(Errno.EINTR, "open " + file.deviceName() + ": interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof KernelException k ? k : new KernelException(Errno.EIO, String.valueOf(e.getCause()));
        }
        RemoteFile f = new RemoteFile(child.newFileId(), child.registry().newWaitQueue(new ReentrantLock()));
        child.opened(f);
        try {
            child.call(Wire.OPEN, new Wire.Out().l(f.id()).i(file.device().major()).i(file.device().minor())
                    .i(file.flags()).done());
        } catch (RuntimeException e) {
            child.released(f);
            throw e;
        }
        return f;
    }

    @Override
    public void release(RemoteFile data, File file) {
        try {
            child.call(Wire.RELEASE, new Wire.Out().l(data.id()).done());
        } catch (KernelException gone) {
            // the child has ended: nothing of the file is left there
        } finally {
            child.released(data);
        }
    }

    @Override
    public int read(RemoteFile data, File file, ByteBuffer dst, long offset) {
        int asked = Math.min(dst.remaining(), Wire.MAX_IO);
        Answer a = answer(child.call(Wire.READ, new Wire.Out().l(data.id()).i(asked).l(offset).done()));
        if (a.value < 0 || a.value > asked || a.data.remaining() != a.value) {
            throw malformed("read of " + asked + " bytes answered " + a.value + " with " + a.data.remaining() + " bytes");
        }
        dst.put(a.data);
        return (int) a.value;
    }

    @Override
    public int write(RemoteFile data, File file, ByteBuffer src, long offset) {
        int given = Math.min(src.remaining(), Wire.MAX_IO);
        ByteBuffer b = src.duplicate();
        b.limit(b.position() + given);
        Answer a = answer(child.call(Wire.WRITE, new Wire.Out().l(data.id()).l(offset).done(), b));
        if (a.value < 0 || a.value > given) {
            throw malformed("write of " + given + " bytes answered " + a.value);
        }
        src.position(src.position() + (int) a.value);
        return (int) a.value;
    }

    @Override
    public long seek(RemoteFile data, File file, long offset, int whence) {
        return answer(child.call(Wire.SEEK, new Wire.Out().l(data.id()).l(offset).i(whence).l(file.position()).done())).value;
    }

    @Override
    public long ioctl(RemoteFile data, File file, int cmd, IoctlArg arg) {
        byte[] memory = NONE;
        if (arg.isPointer()) {
            ByteBuffer b = arg.buffer();
            if (b.capacity() > Wire.MAX_IO) {
                throw new KernelException(Errno.EINVAL, "ioctl 0x" + Integer.toHexString(cmd) + ": its memory of "
                        + b.capacity() + " bytes is more than an isolated module takes (" + Wire.MAX_IO + ")");
            }
            memory = new byte[b.capacity()];
            b.duplicate().clear().get(memory);
        }
        Answer a = answer(child.call(Wire.IOCTL, new Wire.Out().l(data.id()).i(cmd).bool(arg.isPointer())
                .l(arg.isPointer() ? 0 : arg.value()).bytes(memory).done()));
        if (arg.isPointer()) {
            if (a.data.remaining() != memory.length) {
                throw malformed("ioctl's memory of " + memory.length + " bytes came back as " + a.data.remaining());
            }
            arg.buffer().duplicate().clear().put(a.data);
        }
        return a.value;
    }

    @Override
    public int poll(RemoteFile data, File file, PollTable table) {
        table.register(data.queue()); // first: a wake-up between the child's answer and our return is not lost
        return (int) answer(child.call(Wire.POLL, new Wire.Out().l(data.id()).done())).value;
    }

    @Override
    public void fsync(RemoteFile data, File file) {
        child.call(Wire.FSYNC, new Wire.Out().l(data.id()).done());
    }

    /** An answer's value and data; {@code data} is a view of the answer's frame, not a copy. */
    private record Answer(long value, ByteBuffer data) {}

    private Answer answer(Wire.Frame f) {
        byte[] p = f.payload();
        try {
            if (p.length < 8) {
                throw new IOException("an answer of " + p.length + " bytes");
            }
            return new Answer(ByteBuffer.wrap(p, 0, 8).getLong(), Wire.field(p, 8, Wire.MAX_IO));
        } catch (IOException e) {
            throw malformed("an answer without its value: " + e.getMessage());
        }
    }

    private KernelException malformed(String what) {
        child.malformedAnswer(what);
        return new KernelException(Errno.EIO, "module " + child.module() + ": " + what);
    }
}
