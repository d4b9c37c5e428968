package org.devhost.drivers.rust_sync;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.WaitQueue;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * Rust synchronisation primitives sample. Original: {@code samples/rust/rust_sync.rs} of
 * Rust-for-Linux's {@code rust} branch (blob at commit 7746b52c0aae), compared line by line. Init
 * does what the original does, in the same order, and logs the same lines: a mutex-guarded value
 * set to 10 and logged ("Value: 10"), a wait on a condition variable for a state that already
 * holds, a wake of one waiter and of all; the same with a statically initialised mutex and
 * condition variable (value 20, nothing logged); then the spinlock block, again "Value: 10". No
 * devices, no threads.
 *
 * <p>Java's equivalents: {@code Mutex} is a {@link ReentrantLock}; {@code CondVar} is the kernel's
 * {@link WaitQueue} on that lock (devhost's CondVar), whose {@code waitUntil} is the original's
 * {@code while !cond { cv.wait() }} loop. Where we differ on purpose:
 * <ul>
 * <li>{@code notify_one}: a {@link WaitQueue} only wakes all (each waiter re-checks its
 * condition, so waking all is always correct where waking one is); the static pair uses a plain
 * {@link Condition}, whose {@code signal()} is {@code notify_one}.</li>
 * <li>{@code SpinLock}: the JVM has no spinlock (a thread cannot disable preemption), so the third
 * block uses a second {@link ReentrantLock}; what the block does and logs is the same.</li>
 * <li>{@code free_waiters} has no equivalent and is left out.</li>
 * <li>the static mutex and condition variable ({@code init_static_sync!}) cannot be a
 * {@link WaitQueue}, which needs the registry; they are a static lock and its {@link Condition}.</li>
 * </ul>
 */
@KernelModule(name = "rust_sync", author = "Rust for Linux Contributors",
        description = "Rust synchronisation primitives sample", license = "GPL")
@Component(immediate = true)
public final class RustSync {
    /** {@code SAMPLE_MUTEX: Mutex<u32> = 10} and {@code SAMPLE_CONDVAR}; the value is guarded by the mutex. */
    private static final ReentrantLock SAMPLE_MUTEX = new ReentrantLock();
    private static final Condition SAMPLE_CONDVAR = SAMPLE_MUTEX.newCondition();
    private static int sampleValue = 10;

    private final Logger log;

    @Activate
    public RustSync(@Reference DeviceRegistry registry, @Reference(service = LoggerFactory.class) Logger log) {
        this.log = log;
        log.info("Rust synchronisation primitives sample (init)");

        // Test mutexes.
        lockAndCondVar(registry, "mutex");

        // Test static mutex + condvar.
        SAMPLE_MUTEX.lock();
        try {
            sampleValue = 20;
        } finally {
            SAMPLE_MUTEX.unlock();
        }
        SAMPLE_MUTEX.lock();
        try {
            while (sampleValue != 20) {
                SAMPLE_CONDVAR.awaitUninterruptibly(); // the original ignores a pending signal: `let _ = wait(..)`
            }
        } finally {
            SAMPLE_MUTEX.unlock();
        }

        // Test spinlocks (a second lock: see the type comment).
        lockAndCondVar(registry, "spinlock");
    }

    /** One block of the original: set 10 under the lock, log it, wait for 10 on a condvar, wake one and all. */
    private void lockAndCondVar(DeviceRegistry registry, String which) {
        ReentrantLock lock = new ReentrantLock();
        int[] data = {0}; // guarded by lock
        lock.lock();
        try {
            data[0] = 10;
        } finally {
            lock.unlock();
        }
        lock.lock();
        try {
            log.info("Value: {}", data[0]);
        } finally {
            lock.unlock();
        }

        WaitQueue cv = registry.newWaitQueue(lock);
        lock.lock();
        try {
            cv.waitUntil(() -> data[0] == 10);
        } finally {
            lock.unlock();
        }
        cv.wakeAll(); // notify_one
        cv.wakeAll(); // notify_all
    }

    @Deactivate
    void drop() {
        log.info("Rust synchronisation primitives sample (exit)");
    }
}
