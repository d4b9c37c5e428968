package org.devhost.devfs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** FUSE_INTERRUPT reaches the thread running the named request, and only while it runs it. */
class InterruptsTest {
    private final Interrupts interrupts = new Interrupts();

    @Test
    void anInterruptReachesTheThreadRunningTheRequest() {
        Interrupts.Worker w = new Interrupts.Worker();
        interrupts.begin(w, 42);
        assertTrue(interrupts.interrupt(42));
        assertTrue(Thread.currentThread().isInterrupted()); // a kernel wait now ends with EINTR
        interrupts.end(w, 42);
        assertFalse(Thread.currentThread().isInterrupted(), "the next request must not inherit it");
    }

    @Test
    void anInterruptThatCameFirstAppliesWhenItsRequestStarts() {
        assertFalse(interrupts.interrupt(7)); // read by another server thread before the request ran
        Interrupts.Worker w = new Interrupts.Worker();
        interrupts.begin(w, 7);
        assertTrue(Thread.interrupted());
        interrupts.end(w, 7);
    }

    @Test
    void aLateInterruptNeverHitsTheNextRequest() {
        Interrupts.Worker w = new Interrupts.Worker();
        interrupts.begin(w, 1);
        interrupts.end(w, 1);
        interrupts.interrupt(1); // the reply went out already
        interrupts.begin(w, 2);
        assertFalse(Thread.currentThread().isInterrupted());
        interrupts.end(w, 2);
    }
}
