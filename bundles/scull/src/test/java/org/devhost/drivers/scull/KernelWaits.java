package org.devhost.drivers.scull;

import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;

/**
 * Waits for states, never for times: a caller thread is known to block in the driver only once it
 * is parked inside the kernel's wait ({@code WaitQueueImpl.await}), not merely running or queued on
 * the driver's lock.
 */
final class KernelWaits {
    private KernelWaits() {}

    /** Runs {@code call} on a new thread; {@link #thread} of the result is that thread. */
    static <T> Call<T> start(String name, Callable<T> call) {
        FutureTask<T> task = new FutureTask<>(call);
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
        return new Call<>(task, t);
    }

    record Call<T>(FutureTask<T> result, Thread thread) {
        /** Returns once the thread is parked in a kernel wait; fails if it ends first. */
        Call<T> parked() {
            while (!parkedInKernelWait(thread)) {
                if (result.isDone()) {
                    throw new AssertionError(thread.getName() + " ended without waiting");
                }
                Thread.yield();
            }
            return this;
        }
    }

    static boolean parkedInKernelWait(Thread t) {
        return org.devhost.kernel.testing.TestKernel.isParked(t);
    }
}
