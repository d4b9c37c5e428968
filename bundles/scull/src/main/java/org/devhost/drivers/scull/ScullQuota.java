package org.devhost.drivers.scull;

import java.util.concurrent.atomic.AtomicLong;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * {@code scull_max_bytes}, a devhost addition to LDD3's scull: the most bytes of quanta all scull
 * devices of one load hold together. A write that needs a new quantum reserves it here first and
 * gets ENOSPC when it would pass the limit; a trim gives the bytes back. Only quanta count (the
 * pointer arrays of the quantum sets are small beside them). Thread-safe (lock-free).
 *
 * <p>Invariant: {@code 0 <= used <= max}.
 */
final class ScullQuota {
    /** 64 MiB: room for any exercise of the book, far below a default heap. */
    static final long DEFAULT_MAX_BYTES = 64L << 20;

    private final long max;
    private final AtomicLong used = new AtomicLong();

    ScullQuota(long max) {
        this.max = max;
    }

    /** Takes {@code bytes} for a new quantum of {@code device}, or throws ENOSPC taking nothing. */
    void reserve(String device, int bytes) {
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
