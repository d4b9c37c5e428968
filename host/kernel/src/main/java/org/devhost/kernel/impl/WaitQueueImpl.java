package org.devhost.kernel.impl;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.function.BooleanSupplier;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.WaitQueue;

/**
 * A condition on the driver's lock. Revocation cannot be missed: the waiter checks {@link
 * File#isRevoked()} with the lock held, and the revoker sets the flag before {@link #wakeAll()},
 * which needs the lock, so the signal reaches a waiter that saw the old value.
 */
final class WaitQueueImpl implements WaitQueue {
    private final Lock lock;
    private final Condition condition;

    WaitQueueImpl(Lock lock) {
        this.lock = lock;
        this.condition = lock.newCondition();
    }

    @Override
    public void waitUntil(File file, BooleanSupplier ready) {
        while (!ready.getAsBoolean()) {
            if (file.isRevoked()) {
                throw new KernelException(Errno.ENODEV, "wait on " + file.deviceName() + ": the device was removed");
            }
            if (file.isNonBlocking()) {
                throw new KernelException(Errno.EAGAIN, "wait on " + file.deviceName() + " (O_NONBLOCK)");
            }
            await(file.deviceName());
        }
    }

    @Override
    public void waitUntil(BooleanSupplier ready) {
        while (!ready.getAsBoolean()) {
            await("kernel wait");
        }
    }

    private void await(String what) {
        try {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            condition.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // keep the status, as a pending signal stays pending
            throw new KernelException(Errno.EINTR, "wait on " + what);
        }
    }

    @Override
    public void wakeAll() {
        lock.lock();
        try {
            condition.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
