package org.devhost.drivers.scull;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.PollEvents;
import org.devhost.kernel.WaitQueue;

/**
 * One scullpipe device: a blocking FIFO over a ring buffer of {@code scull_p_buffer} bytes, as
 * LDD3's {@code pipe.c}. A read waits while the pipe is empty and returns what is there (up to the
 * buffer's wrap); a write waits while the pipe is full and stores what fits (so large writes
 * return short counts and the caller loops, as with a real pipe). Readers wake writers and
 * writers wake readers. O_NONBLOCK gives EAGAIN instead of waiting.
 *
 * <p>Invariants (guarded by {@code lock}): {@code 0 <= rp, wp < buffer.length}; the pipe holds
 * {@code (wp - rp) mod length} bytes and one slot always stays free, so {@code rp == wp} means
 * empty.
 */
final class ScullPipe implements FileOperations<Void> {
    private final ReentrantLock lock = new ReentrantLock();
    private final WaitQueue inq;
    private final WaitQueue outq;
    private final byte[] buffer;
    private final ScullSettings settings;
    private int rp;
    private int wp;

    ScullPipe(DeviceRegistry registry, ScullSettings settings) {
        this.settings = settings;
        buffer = new byte[settings.pipeBuffer() + 1]; // one slot stays empty to tell full from empty
        inq = registry.newWaitQueue(lock);
        outq = registry.newWaitQueue(lock);
    }

    private int held() {
        return (wp - rp + buffer.length) % buffer.length;
    }

    private int free() {
        return buffer.length - 1 - held();
    }

    @Override
    public Void open(File file) {
        return null;
    }

    @Override
    public int read(Void d, File file, ByteBuffer dst, long offset) {
        if (!dst.hasRemaining()) {
            return 0;
        }
        int count;
        lock.lock();
        try {
            inq.waitUntil(file, () -> rp != wp);
            int contiguous = wp > rp ? wp - rp : buffer.length - rp;
            count = Math.min(dst.remaining(), contiguous);
            dst.put(buffer, rp, count);
            rp = (rp + count) % buffer.length;
        } finally {
            lock.unlock();
        }
        outq.wakeAll();
        return count;
    }

    @Override
    public int write(Void d, File file, ByteBuffer src, long offset) {
        if (!src.hasRemaining()) {
            return 0;
        }
        int count;
        lock.lock();
        try {
            outq.waitUntil(file, () -> free() > 0);
            int contiguous = wp >= rp ? buffer.length - wp - (rp == 0 ? 1 : 0) : rp - wp - 1;
            count = Math.min(src.remaining(), contiguous);
            src.get(buffer, wp, count);
            wp = (wp + count) % buffer.length;
        } finally {
            lock.unlock();
        }
        inq.wakeAll();
        return count;
    }

    @Override
    public int poll(Void d, File file) {
        lock.lock();
        try {
            int mask = 0;
            if (rp != wp) {
                mask |= PollEvents.POLLIN | PollEvents.POLLRDNORM;
            }
            if (free() > 0) {
                mask |= PollEvents.POLLOUT | PollEvents.POLLWRNORM;
            }
            return mask;
        } finally {
            lock.unlock();
        }
    }

    /** The pipe shares {@code scull_ioctl} with scull, as LDD3's {@code scull_pipe_fops} does. */
    @Override
    public long ioctl(Void d, File file, int cmd, IoctlArg arg) {
        return settings.ioctl(cmd, arg);
    }
}
