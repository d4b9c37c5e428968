package org.devhost.fleet;

import java.util.function.LongUnaryOperator;

/**
 * How long to wait before the next connection attempt: the ceiling doubles from {@code initial}
 * up to {@code max} with each failure in a row, and the wait is a random point in the upper half
 * of it ("equal jitter"), so a fleet that lost its broker at the same moment does not come back
 * at the same moment, while no node waits less than half the ceiling. {@link #reset} after a
 * connection that came up. Not thread-safe: the session's thread alone uses it.
 */
final class Backoff {
    private final long initial;
    private final long max;
    private final LongUnaryOperator random; // bound -> a value in [0, bound)
    private long ceiling;

    /**
     * @param random given a bound, a value from 0 (inclusive) to it (exclusive)
     */
    Backoff(long initialMillis, long maxMillis, LongUnaryOperator random) {
        if (initialMillis <= 0 || maxMillis < initialMillis) {
            throw new IllegalArgumentException("back-off from " + initialMillis + " ms up to " + maxMillis + " ms");
        }
        this.initial = initialMillis;
        this.max = maxMillis;
        this.random = random;
        this.ceiling = initialMillis;
    }

    /** The wait before the next attempt, in milliseconds; doubles the ceiling for the one after. */
    long next() {
        long c = ceiling;
        ceiling = Math.min(max, c * 2);
        long half = c / 2;
        return c - half + random.applyAsLong(half + 1);
    }

    /** A connection came up: the next failure waits about {@code initial} again. */
    void reset() {
        ceiling = initial;
    }
}
