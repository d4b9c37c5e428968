package org.devhost.drivers.scull;

import java.util.concurrent.atomic.AtomicLong;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * {@code scull_max_bytes}, a devhost addition to LDD3's scull: the most heap all scull devices of
 * one load hold together. Everything a write allocates counts, the quantum ({@link #quantumBytes})
 * and, for a new quantum set, its array of pointers ({@link #setBytes}), each with the overhead the
 * JVM adds: a set of 1000 pointers takes 4 to 8 KB, one or two 4000-byte quanta, and uncounted,
 * 1-byte writes each in a new set filled the heap while the quota saw one byte each. A write
 * reserves what it needs here before it allocates and gets ENOSPC when that would pass the limit;
 * a trim gives it back. Thread-safe (lock-free).
 *
 * <p>Invariant: {@code 0 <= used <= max}, and {@code used} is at least the heap the devices' data
 * takes on a 64-bit HotSpot with compressed class pointers (the default).
 */
final class ScullQuota {
    /** 64 MiB: room for any exercise of the book, far below a default heap. */
    static final long DEFAULT_MAX_BYTES = 64L << 20;
    /** A Java array's header; every object is then rounded up to 8 bytes. */
    private static final int ARRAY_HEADER = 16;
    /** A quantum set's place in the device's map: its HashMap node (32), Integer key (16) and table slots. */
    private static final int SET_ENTRY = 64;

    private final long max;
    private final AtomicLong used = new AtomicLong();

    ScullQuota(long max) {
        this.max = max;
    }

    /** What a quantum of {@code quantum} bytes takes of the heap. */
    static long quantumBytes(int quantum) {
        return align(ARRAY_HEADER + (long) quantum);
    }

    /** What a quantum set of {@code qset} pointers takes: 8 bytes a pointer (a reference is 4 or 8), and its map entry. */
    static long setBytes(int qset) {
        return SET_ENTRY + align(ARRAY_HEADER + (long) Long.BYTES * qset);
    }

    private static long align(long bytes) {
        return bytes + 7 & ~7L;
    }

    long max() {
        return max;
    }

    /**
     * Takes {@code bytes} for what a write of {@code device} is about to allocate, or throws ENOSPC
     * taking nothing. The caller allocates only after this returns, so a refused write costs no heap.
     */
    void reserve(String device, long bytes) {
        long now = used.get();
        while (true) {
            if (now + bytes > max) {
                throw new KernelException(Errno.ENOSPC, "write " + device + ": the scull devices hold " + now + " of "
                        + max + " bytes (scull_max_bytes); empty one with a write-only open, or load scull with a"
                        + " larger scull_max_bytes");
            }
            long seen = used.compareAndExchange(now, now + bytes);
            if (seen == now) {
                return;
            }
            now = seen;
        }
    }

    void release(long bytes) {
        used.addAndGet(-bytes);
    }

    long used() {
        return used.get();
    }
}
