package org.devhost.kernel.impl.log;

import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Makes the kernel log current: when {@link #await} returns true, every line logged by any thread
 * before it was called has been delivered to the kernel log.
 *
 * <p>Why it works: the Log Service delivers entries to listeners in the order they were logged, on
 * one thread. {@code await} logs a marker (a number, through {@code emit}) and waits until the
 * listener reports that marker ({@link #arrived}); every entry logged earlier was delivered before
 * it. Markers are never kept in the ring. The wait is bounded: a Log Service that drops the marker
 * (not configured to pass it) costs one timeout, after which the barrier is off and {@code await}
 * returns false at once; it still sends markers then, and the first one that arrives turns it on.
 *
 * <p>Thread-safe. Must not be awaited on the delivery thread itself (it would wait for itself);
 * {@link #await} returns at once there.
 */
final class LogBarrier {
    private final AtomicLong next = new AtomicLong();
    private final ConcurrentSkipListMap<Long, CountDownLatch> pending = new ConcurrentSkipListMap<>();
    private final long timeoutMillis;
    private volatile boolean working = true;
    private volatile Thread deliveryThread;

    LogBarrier(long timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    /** Logs a marker with {@code emit} and waits for it; false if the barrier could not be used. */
    boolean await(LongConsumer emit) {
        if (Thread.currentThread() == deliveryThread) {
            return false;
        }
        if (!working) {
            // Off after a timeout: still send a marker, without waiting, so that the barrier comes
            // back on (arrived) as soon as the Log Service passes markers again.
            emit.accept(next.incrementAndGet());
            return false;
        }
        long marker = next.incrementAndGet();
        CountDownLatch arrived = new CountDownLatch(1);
        pending.put(marker, arrived);
        try {
            emit.accept(marker);
            if (arrived.await(timeoutMillis, TimeUnit.MILLISECONDS)) {
                return true;
            }
            working = false;
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            pending.remove(marker);
        }
    }

    /** The listener saw marker {@code n}: it and every earlier marker have arrived. */
    void arrived(long n) {
        deliveryThread = Thread.currentThread();
        working = true;
        pending.headMap(n, true).values().forEach(CountDownLatch::countDown);
    }

    boolean working() {
        return working;
    }
}
