package org.devhost.drivers.rust_sync;

import java.util.concurrent.atomic.AtomicInteger;
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
 * Rust synchronisation primitives sample ({@code samples/rust/rust_sync.rs}): at init it uses a
 * mutex, a wait queue (the condition variable) and an atomic (where Rust uses a spinlock), and logs
 * what each saw. No devices.
 */
@KernelModule(name = "rust_sync", author = "Rust for Linux Contributors",
        description = "Rust synchronisation primitives sample", license = "GPL")
@Component(immediate = true)
public final class RustSync {
    private final Logger log;

    @Activate
    public RustSync(@Reference DeviceRegistry registry, @Reference(service = LoggerFactory.class) Logger log)
            throws InterruptedException {
        this.log = log;
        log.info("Rust synchronisation primitives sample (init)");

        // Mutex: the value is read and written with the lock held.
        ReentrantLock mutex = new ReentrantLock();
        int[] value = {10};
        mutex.lock();
        try {
            log.info("Value: {}", value[0]);
        } finally {
            mutex.unlock();
        }

        // Condition variable: wait, with the mutex held, until a helper thread changes the value.
        WaitQueue changed = registry.newWaitQueue(mutex);
        Thread helper = new Thread(() -> {
            mutex.lock();
            try {
                value[0] = 11;
            } finally {
                mutex.unlock();
            }
            changed.wakeAll();
        }, "rust_sync helper");
        mutex.lock();
        try {
            helper.start();
            changed.waitUntil(() -> value[0] != 10);
            log.info("Value: {} (changed by the helper thread, seen after a wait on the condition)", value[0]);
        } finally {
            mutex.unlock();
        }
        helper.join();

        // Spinlock: a lock-free atomic update.
        AtomicInteger spin = new AtomicInteger(10);
        spin.incrementAndGet();
        log.info("Value: {} (atomic)", spin.get());
    }

    @Deactivate
    void drop() {
        log.info("Rust synchronisation primitives sample (exit)");
    }
}
