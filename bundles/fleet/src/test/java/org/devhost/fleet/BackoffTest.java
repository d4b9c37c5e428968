package org.devhost.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Exponential back-off with equal jitter: each wait in the upper half of a doubling ceiling. */
class BackoffTest {
    @Test
    void theCeilingDoublesUpToTheMaximumAndTheWaitIsInItsUpperHalf() {
        Backoff shortest = new Backoff(1000, 5000, bound -> 0);
        assertEquals(500, shortest.next());
        assertEquals(1000, shortest.next());
        assertEquals(2000, shortest.next());
        assertEquals(2500, shortest.next(), "capped at 5000");
        assertEquals(2500, shortest.next());

        Backoff longest = new Backoff(1000, 5000, bound -> bound - 1);
        assertEquals(1000, longest.next());
        assertEquals(2000, longest.next());
        assertEquals(4000, longest.next());
        assertEquals(5000, longest.next());
    }

    @Test
    void aConnectionThatCameUpStartsAgainFromTheFirstWait() {
        Backoff b = new Backoff(100, 10_000, bound -> bound - 1);
        b.next();
        b.next();
        b.next();
        b.reset();
        assertEquals(100, b.next());
    }

    @Test
    void nonsenseBoundsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(0, 10, bound -> 0));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(100, 10, bound -> 0));
    }
}
