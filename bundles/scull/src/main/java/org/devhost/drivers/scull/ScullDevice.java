package org.devhost.drivers.scull;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;

/**
 * One scull device (scull0..3), as LDD3's {@code scull/main.c} ({@code scull_open},
 * {@code scull_read}, {@code scull_write}, {@code scull_llseek}, {@code scull_trim}; see {@link
 * Scull} for the version compared): memory kept as a list of quantum sets, each an array of
 * {@code qset} pointers to {@code quantum}-byte areas, allocated on first write. A read or write
 * never crosses a quantum, so callers get short counts at quantum edges and loop. An open for
 * writing only ({@code O_WRONLY}, with or without {@code O_TRUNC}) empties the device, so writing
 * "hello devhost" and then "bye" reads back "bye". A read at a hole (a quantum never written
 * below the size) returns 0, as LDD3's "don't fill holes". Seek takes SEEK_SET, SEEK_CUR and
 * SEEK_END; any other whence, or a negative result, is EINVAL.
 *
 * <p>Differs on purpose: what a write allocates, the quantum and for a new quantum set its array
 * of {@code qset} pointers, is reserved in {@code scull_max_bytes} ({@link ScullQuota}) before any
 * of it is allocated, so a write refused with ENOSPC leaves the device exactly as it was (LDD3 has
 * no limit, and keeps the set it allocated when the quantum's {@code kmalloc} then fails). A write
 * that needs more than all of {@code scull_max_bytes} can never succeed and is ENOMEM, as LDD3's
 * failed {@code kmalloc}.
 *
 * <p>Invariants (guarded by {@code lock}): {@code size} is one past the highest byte written since
 * the last trim; {@code quantum} and {@code qset} are the layout of the data held and change only
 * on trim (to the module's current settings); {@code allocated} is what the quanta and quantum
 * sets held cost ({@link ScullQuota#quantumBytes}, {@link ScullQuota#setBytes}), all reserved in
 * the quota; every set in {@code data} holds at least one quantum.
 */
final class ScullDevice implements FileOperations<Void> {
    private final ScullSettings settings;
    private final ScullQuota quota;
    private final ReentrantLock lock = new ReentrantLock();
    /** Quantum sets by index; only sets with a written quantum exist (LDD3's list, without the empty links). */
    private Map<Integer, byte[][]> data = new HashMap<>();
    private int quantum;
    private int qset;
    private long size;
    private long allocated;

    ScullDevice(ScullSettings settings, ScullQuota quota) {
        this.settings = settings;
        this.quota = quota;
        trim();
    }

    /** {@code scull_trim}: drop all data and take the current quantum and qset. Caller holds the lock or owns the device. */
    private void trim() {
        data = new HashMap<>(); // not clear(), which keeps the table the quota no longer counts
        quota.release(allocated);
        allocated = 0;
        size = 0;
        quantum = settings.quantum();
        qset = settings.qset();
    }

    @Override
    public Void open(File file) {
        // scull_open: "trim to 0 the length of the device if open was write-only" (O_TRUNC or not).
        if ((file.flags() & OpenFlags.O_ACCMODE) == OpenFlags.O_WRONLY) {
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
            byte[][] set = data.get(item);
            byte[] area = set == null ? null : set[sPos];
            if (area == null) {
                return 0; // a hole (never written): "don't fill holes", as scull_read
            }
            dst.put(area, qPos, count);
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
            byte[][] set = data.get((int) item);
            if (set == null || set[sPos] == null) {
                // Reserve all this write allocates before allocating any of it: a refused write leaves the device as it was.
                long need = ScullQuota.quantumBytes(quantum) + (set == null ? ScullQuota.setBytes(qset) : 0);
                if (need > quota.max()) {
                    throw new KernelException(Errno.ENOMEM, "write " + file.deviceName() + ": a quantum of " + quantum
                            + " bytes" + (set == null ? " and a quantum set of " + qset + " pointers need " : " needs ")
                            + need + " bytes of heap, more than all of scull_max_bytes (" + quota.max() + "); set a"
                            + " smaller quantum or qset (SCULL_IOCTQUANTUM, SCULL_IOCTQSET) and empty the device with a"
                            + " write-only open, or load scull with a larger scull_max_bytes");
                }
                quota.reserve(file.deviceName(), need);
                if (set == null) {
                    set = new byte[qset][];
                    data.put((int) item, set);
                }
                set[sPos] = new byte[quantum];
                allocated += need;
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
            case OpenFile.SEEK_END -> size();
            default -> throw new KernelException(Errno.EINVAL, "seek " + file.deviceName() + ": whence " + whence
                    + " is not SEEK_SET, SEEK_CUR or SEEK_END");
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
