package org.devhost.drivers.scull;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;

/**
 * One scull device (scull0..3): memory kept as a list of quantum sets, each an array of
 * {@code qset} pointers to {@code quantum}-byte areas, allocated on first write, as in LDD3.
 * A read or write never crosses a quantum, so callers get short counts at quantum edges and loop.
 *
 * <p>Invariants (guarded by {@code lock}): {@code size} is one past the highest byte written since
 * the last trim; {@code quantum} and {@code qset} are the layout of the data held and change only
 * on trim (to the module's current settings).
 */
final class ScullDevice implements FileOperations<Void> {
    private final ScullSettings settings;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<byte[][]> data = new ArrayList<>();
    private int quantum;
    private int qset;
    private long size;

    ScullDevice(ScullSettings settings) {
        this.settings = settings;
        trim();
    }

    /** {@code scull_trim}: drop all data and take the current quantum and qset. Caller holds the lock or owns the device. */
    private void trim() {
        data.clear();
        size = 0;
        quantum = settings.quantum();
        qset = settings.qset();
    }

    @Override
    public Void open(File file) {
        // Opened write-only with O_TRUNC: empty the device, as scull_open does.
        if ((file.flags() & OpenFlags.O_ACCMODE) == OpenFlags.O_WRONLY && (file.flags() & OpenFlags.O_TRUNC) != 0) {
            lock.lock();
            try {
                trim();
            } finally {
                lock.unlock();
            }
        }
        return null;
    }

    @Override
    public int read(Void d, File file, ByteBuffer dst, long offset) {
        lock.lock();
        try {
            if (offset >= size || !dst.hasRemaining()) {
                return 0;
            }
            long itemSize = (long) quantum * qset;
            int item = (int) (offset / itemSize);
            long rest = offset % itemSize;
            int sPos = (int) (rest / quantum);
            int qPos = (int) (rest % quantum);
            int count = (int) Math.min(Math.min(dst.remaining(), size - offset), quantum - qPos);
            byte[] area = item < data.size() ? data.get(item)[sPos] : null;
            if (area == null) {
                // a hole (never written): reads as zeros up to the quantum's end
                for (int i = 0; i < count; i++) {
                    dst.put((byte) 0);
                }
            } else {
                dst.put(area, qPos, count);
            }
            return count;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int write(Void d, File file, ByteBuffer src, long offset) {
        lock.lock();
        try {
            if (!src.hasRemaining()) {
                return 0;
            }
            long itemSize = (long) quantum * qset;
            long item = offset / itemSize;
            if (item >= Integer.MAX_VALUE) {
                throw new KernelException(Errno.ENOSPC, "write " + file.deviceName() + " at " + offset + ": beyond what scull can hold");
            }
            long rest = offset % itemSize;
            int sPos = (int) (rest / quantum);
            int qPos = (int) (rest % quantum);
            while (data.size() <= item) {
                data.add(new byte[qset][]);
            }
            byte[][] set = data.get((int) item);
            if (set[sPos] == null) {
                set[sPos] = new byte[quantum];
            }
            int count = Math.min(src.remaining(), quantum - qPos);
            src.get(set[sPos], qPos, count);
            size = Math.max(size, offset + count);
            return count;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long seek(Void d, File file, long offset, int whence) {
        long base = switch (whence) {
            case OpenFile.SEEK_SET -> 0;
            case OpenFile.SEEK_CUR -> file.position();
            default -> size();
        };
        long pos = base + offset;
        if (pos < 0) {
            throw new KernelException(Errno.EINVAL, "seek " + file.deviceName() + ": position " + pos + " would be negative");
        }
        return pos;
    }

    @Override
    public long ioctl(Void d, File file, int cmd, IoctlArg arg) {
        return settings.ioctl(cmd, arg);
    }

    long size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }
}
