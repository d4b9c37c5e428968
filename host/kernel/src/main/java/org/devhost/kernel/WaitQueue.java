package org.devhost.kernel;

import java.util.function.BooleanSupplier;

/**
 * A kernel wait: blocks a caller until a condition on driver state holds, as a Linux wait queue
 * or the Rust-for-Linux {@code CondVar} does. Made by {@link DeviceRegistry#newWaitQueue}.
 *
 * <p>A wait ends with {@code EAGAIN} at once when the file is non-blocking, with {@code EINTR} when
 * the waiting thread is interrupted (its interrupt status is kept), and with {@code ENODEV} when
 * the file's device is revoked: the kernel wakes every queue of a module when one of its devices
 * goes away, so no caller stays blocked in an unloaded driver.
 *
 * <p>Locking: the caller of {@code waitUntil} holds the queue's lock (the one given at creation);
 * it is released while waiting and held again on return, also on a throw. {@link #wakeAll} may be
 * called with or without the lock.
 */
public interface WaitQueue {
    /**
     * Waits until {@code ready} is true. {@code ready} is evaluated with the lock held.
     *
     * @param file the file the caller works on (its flags and revocation decide how waits end)
     * @throws KernelException EAGAIN, EINTR or ENODEV as described above
     */
    void waitUntil(File file, BooleanSupplier ready);

    /** Waits until {@code ready} is true, for callers without a file (init code): only EINTR ends it. */
    void waitUntil(BooleanSupplier ready);

    /** Wakes every waiter; each re-evaluates its condition. */
    void wakeAll();
}
