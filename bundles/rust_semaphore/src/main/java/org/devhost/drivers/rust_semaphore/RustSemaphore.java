package org.devhost.drivers.rust_semaphore;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.WaitQueue;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Rust semaphore sample. Original: {@code samples/rust/rust_semaphore.rs} of Rust-for-Linux's
 * {@code rust} branch (blob at commit 0c57fbcacc88), compared line by line: a misc device, named
 * after the module, that counts. A
 * write of n bytes adds n to the count (saturating) and records the highest count seen; a read
 * waits while the count is 0, takes one, returns a single {@code 0x00} byte and adds one to this
 * file's read count. Two ioctls read and set that per-file count as a u64:
 * {@link #IOCTL_GET_READ_COUNT} ({@code _IOR('c', 1, u64)}) and {@link #IOCTL_SET_READ_COUNT}
 * ({@code _IOW('c', 1, u64)}); any other command is EINVAL (as the original's {@code IoctlHandler}
 * defaults), a buffer shorter than 8 bytes EFAULT.
 *
 * <p>A waiting read ends with EINTR on interrupt (the original's signal) and ENODEV when the driver
 * is unloaded. Differs on purpose: with O_NONBLOCK a read that would wait is EAGAIN; the
 * original's {@code CondVar::wait} ignores O_NONBLOCK and sleeps, devhost's wait queue honours it for
 * every driver, as a Linux driver should. The count saturates at {@code Long.MAX_VALUE} (a
 * {@code usize} saturates at its own maximum). No poll, as the original has none: {@code poll}
 * reports the kernel's default (readable and writable), so a poller never waits on it although a
 * read may block; the device keeps the default mode.
 *
 * <p>Invariant: {@code 0 <= count <= maxSeen}, both guarded by {@code lock}.
 */
@KernelModule(name = "rust_semaphore", author = "Rust for Linux Contributors",
        description = "Rust semaphore sample", license = "GPL")
@Component(immediate = true)
public final class RustSemaphore implements FileOperations<RustSemaphore.FileState> {
    public static final int IOCTL_GET_READ_COUNT = 0x80086301;
    public static final int IOCTL_SET_READ_COUNT = 0x40086301;

    /** Per-open state: how many reads this file made. */
    static final class FileState {
        final AtomicLong readCount = new AtomicLong();
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final WaitQueue changed;
    private long count;
    private long maxSeen;
    private final Logger log;
    private final MiscDevice device;

    @Activate
    public RustSemaphore(@Reference DeviceRegistry registry, @Reference(service = LoggerFactory.class) Logger log) {
        this.log = log;
        log.info("Rust semaphore sample (init)");
        changed = registry.newWaitQueue(lock);
        device = registry.registerMisc("rust_semaphore", MiscDevice.DYNAMIC_MINOR, this);
    }

    @Deactivate
    void drop() {
        device.close();
        log.info("Rust semaphore sample (exit)");
    }

    @Override
    public FileState open(File file) {
        return new FileState();
    }

    @Override
    public int read(FileState state, File file, ByteBuffer dst, long offset) {
        if (!dst.hasRemaining() || offset > 0) {
            return 0;
        }
        lock.lock();
        try {
            changed.waitUntil(file, () -> count > 0);
            count--;
        } finally {
            lock.unlock();
        }
        dst.put((byte) 0);
        state.readCount.incrementAndGet();
        return 1;
    }

    @Override
    public int write(FileState state, File file, ByteBuffer src, long offset) {
        int n = src.remaining();
        src.position(src.limit());
        lock.lock();
        try {
            count = count + n < count ? Long.MAX_VALUE : count + n;
            maxSeen = Math.max(maxSeen, count);
        } finally {
            lock.unlock();
        }
        changed.wakeAll();
        return n;
    }

    @Override
    public long ioctl(FileState state, File file, int cmd, IoctlArg arg) {
        switch (cmd) {
            case IOCTL_GET_READ_COUNT -> {
                ByteBuffer b = arg.buffer();
                requireU64(b);
                b.duplicate().order(ByteOrder.nativeOrder()).putLong(state.readCount.get());
                return 0;
            }
            case IOCTL_SET_READ_COUNT -> {
                ByteBuffer b = arg.buffer();
                requireU64(b);
                state.readCount.set(b.duplicate().order(ByteOrder.nativeOrder()).getLong());
                return 0;
            }
            default -> throw new KernelException(Errno.EINVAL, "rust_semaphore: ioctl 0x" + Integer.toHexString(cmd)
                    + " is not IOCTL_GET_READ_COUNT (0x80086301) or IOCTL_SET_READ_COUNT (0x40086301)");
        }
    }

    private static void requireU64(ByteBuffer b) {
        if (b.remaining() < Long.BYTES) {
            throw new KernelException(Errno.EFAULT, "rust_semaphore: ioctl needs 8 bytes of memory, got " + b.remaining());
        }
    }

    /** The highest count seen (the sample's max_seen). */
    long maxSeen() {
        lock.lock();
        try {
            return maxSeen;
        } finally {
            lock.unlock();
        }
    }
}
