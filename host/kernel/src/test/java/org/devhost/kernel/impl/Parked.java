package org.devhost.kernel.impl;

import java.util.function.BooleanSupplier;

/**
 * Waits for states, never for times: a thread parked in a kernel wait, a counter that moved. The
 * test class's {@code @Timeout} bounds every wait here.
 */
public final class Parked {
    private Parked() {}

    /** True while {@code t} is parked in a {@link WaitQueueImpl} wait (not merely running or blocked on a lock). */
    public static boolean inKernelWait(Thread t) {
        return org.devhost.kernel.testing.TestKernel.isParked(t);
    }

    /** Returns once {@code t} is parked in a kernel wait. */
    public static void untilInKernelWait(Thread t) throws InterruptedException {
        until(() -> inKernelWait(t));
    }

    public static void until(BooleanSupplier condition) throws InterruptedException {
        while (!condition.getAsBoolean()) {
            Thread.sleep(1);
        }
    }
}
