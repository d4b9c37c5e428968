package org.devhost.kernel.impl.wait;

import java.util.Arrays;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.WaitQueue;

/**
 * A condition on the driver's lock, plus one-shot poll listeners. Revocation cannot be missed: the
 * waiter checks {@link File#isRevoked()} with the lock held, and the revoker sets the flag before
 * {@link #wakeAll()}, which needs the lock, so the signal reaches a waiter that saw the old value.
 *
 * <p>Listeners ({@link PollSubscription}s a driver's poll registered) are kept in a copy-on-write
 * array: {@code wakeAll} reads one volatile field and, when it is empty (the usual case: nobody
 * polls), does nothing more than before listeners existed. A wake takes the whole array off the
 * queue (one-shot) and fires each subscription outside the listener lock, after signalling the
 * waiters. A listener added after that read is not fired by this wake: it was registered after the
 * change the wake announces, and the driver's poll that registered it sees that change itself.
 */
public final class WaitQueueImpl implements WaitQueue {
    private static final PollSubscription[] NO_LISTENERS = {};

    private final Lock lock;
    private final Condition condition;
    /** Guards changes of {@code listeners}; never held while a subscription fires. */
    private final Object listenerLock = new Object();
    private volatile PollSubscription[] listeners = NO_LISTENERS;

    public WaitQueueImpl(Lock lock) {
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
        if (listeners.length != 0) {
            fireListeners();
        }
    }

    private void fireListeners() {
        PollSubscription[] woken;
        synchronized (listenerLock) {
            woken = listeners;
            listeners = NO_LISTENERS;
        }
        for (PollSubscription s : woken) {
            s.fire();
        }
    }

    void addListener(PollSubscription s) {
        synchronized (listenerLock) {
            PollSubscription[] old = listeners;
            for (PollSubscription o : old) {
                if (o == s) {
                    return;
                }
            }
            PollSubscription[] grown = Arrays.copyOf(old, old.length + 1);
            grown[old.length] = s;
            listeners = grown;
        }
    }

    void removeListener(PollSubscription s) {
        synchronized (listenerLock) {
            PollSubscription[] old = listeners;
            for (int i = 0; i < old.length; i++) {
                if (old[i] == s) {
                    PollSubscription[] shrunk = new PollSubscription[old.length - 1];
                    System.arraycopy(old, 0, shrunk, 0, i);
                    System.arraycopy(old, i + 1, shrunk, i, old.length - i - 1);
                    listeners = shrunk.length == 0 ? NO_LISTENERS : shrunk;
                    return;
                }
            }
        }
    }

    /** Poll subscriptions waiting for this queue's next wake (for tests). */
    public int listenerCount() {
        return listeners.length;
    }

    /**
     * Parks a poller until {@code sub} fired, the deadline passed or the thread was interrupted.
     * Here, not in the file, so that a poller is "parked in a kernel wait" for the testing kit
     * (StandaloneKernel.WAIT_QUEUE_CLASS, this class's name) as a blocked reader is.
     *
     * @param deadlineNanos a {@link System#nanoTime()} value, or {@link Long#MAX_VALUE} for none
     * @return false when the deadline passed before the subscription fired
     * @throws KernelException EINTR on interrupt, the interrupt status kept
     */
    public static boolean parkUntilFired(PollSubscription sub, long deadlineNanos, String what) {
        while (!sub.isDone()) {
            if (Thread.currentThread().isInterrupted()) {
                throw new KernelException(Errno.EINTR, "poll on " + what);
            }
            if (deadlineNanos == Long.MAX_VALUE) {
                LockSupport.park(sub);
            } else {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                LockSupport.parkNanos(sub, left);
            }
        }
        return true;
    }
}
