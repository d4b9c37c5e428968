package org.devhost.drivers.scull;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.PollEvents;
import org.devhost.kernel.PollTable;
import org.devhost.kernel.WaitQueue;

/**
 * One scullpipe device, as LDD3's {@code scull/pipe.c} (see {@link Scull} for the version
 * compared): a blocking FIFO over a ring buffer. A read waits while the pipe is empty and returns
 * what is there (up to the buffer's wrap); a write waits while the pipe is full and stores what
 * fits (so large writes return short counts and the caller loops). Readers wake writers and
 * writers wake readers. O_NONBLOCK gives EAGAIN instead of waiting. Seek is ESPIPE
 * ({@code nonseekable_open}).
 *
 * <p>As {@code scull_p_open} and {@code scull_p_release}: every open empties the pipe (read and
 * write positions back to the start) and takes the module's current {@code scull_p_buffer}, so a
 * {@code SCULL_P_IOCTSIZE} takes effect at the next open; the last close frees the buffer, so
 * bytes nobody read are gone. A buffer of n bytes holds n - 1 (one slot tells full from empty).
 * A reader therefore opens before its writer writes, as with LDD3.
 *
 * <p>Where we differ on purpose: an open that finds a buffer of another size allocates one of the
 * new size (LDD3 keeps the old allocation and uses the new size, which overruns it when the size
 * grew); an open wakes waiting writers, which may now have room (LDD3 leaves them asleep until a
 * read that may never come); a read of 0 bytes returns 0 without waiting; no {@code fasync}
 * (SIGIO) and no {@code /proc/scullpipe}.
 *
 * <p>Invariants (guarded by {@code lock}): {@code buffer} is null exactly when no file is open;
 * else {@code 0 <= rp, wp < buffer.length} and the pipe holds {@code (wp - rp) mod length} bytes,
 * so {@code rp == wp} means empty.
 */
final class ScullPipe implements FileOperations<Void> {
    private final ReentrantLock lock = new ReentrantLock();
    private final WaitQueue inq;
    private final WaitQueue outq;
    private final ScullSettings settings;
    private byte[] buffer;
    private int rp;
    private int wp;
    private int nreaders;
    private int nwriters;

    ScullPipe(DeviceRegistry registry, ScullSettings settings) {
        this.settings = settings;
        inq = registry.newWaitQueue(lock);
        outq = registry.newWaitQueue(lock);
    }

    private int held() {
        return (wp - rp + buffer.length) % buffer.length;
    }

    /** {@code spacefree}. */
    private int free() {
        return buffer.length - 1 - held();
    }

    @Override
    public Void open(File file) {
        lock.lock();
        try {
            int size = settings.pipeBuffer();
            if (buffer == null || buffer.length != size) {
                buffer = new byte[size];
            }
            rp = wp = 0; // "rd and wr from the beginning"
            if (OpenFlags.readable(file.flags())) {
                nreaders++;
            }
            if (OpenFlags.writable(file.flags())) {
                nwriters++;
            }
        } finally {
            lock.unlock();
        }
        outq.wakeAll();
        return null;
    }

    @Override
    public void release(Void d, File file) {
        lock.lock();
        try {
            if (OpenFlags.readable(file.flags())) {
                nreaders--;
            }
            if (OpenFlags.writable(file.flags())) {
                nwriters--;
            }
            if (nreaders + nwriters == 0) {
                buffer = null; // the last close frees the buffer, and with it what nobody read
            }
        } finally {
            lock.unlock();
        }
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
            // up to the end of the buffer, or up to rp - 1 once wp has wrapped
            int contiguous = wp >= rp ? buffer.length - wp : rp - wp - 1;
            count = Math.min(Math.min(src.remaining(), free()), contiguous);
            src.get(buffer, wp, count);
            wp = (wp + count) % buffer.length;
        } finally {
            lock.unlock();
        }
        inq.wakeAll();
        return count;
    }

    /**
     * {@code scull_p_poll}: names both queues ({@code poll_wait(filp, &dev->inq, wait)} and
     * {@code outq}) before it looks, so a read or write that changes the answer wakes the poller.
     */
    @Override
    public int poll(Void d, File file, PollTable table) {
        table.register(inq);
        table.register(outq);
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
