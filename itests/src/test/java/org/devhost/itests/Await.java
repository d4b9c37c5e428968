package org.devhost.itests;

import java.util.function.BooleanSupplier;

/** Polls a condition that other threads (SCR, Event Admin, the log) make true asynchronously. */
final class Await {
    private Await() {}

    static void until(String what, BooleanSupplier condition) throws InterruptedException {
        until(() -> what, condition);
    }

    /** As above, with a description computed at timeout (to show the state that was reached). */
    static void until(java.util.function.Supplier<String> what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after 10 s waiting for: " + what.get());
            }
            Thread.sleep(10);
        }
    }
}
