package org.devhost.devfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The table of requests in driver code: FUSE_INTERRUPT reaches the thread running the named
 * request, and only while it runs it; each request's reply is claimed once, by its thread or for
 * it; an interrupted request is overdue only after the grace, a revoked one at once.
 */
class RequestsTest {
    private static final long GRACE = TimeUnit.MILLISECONDS.toNanos(200);
    private final Requests requests = new Requests();

    @AfterEach
    void noInterruptLeft() {
        Thread.interrupted();
    }

    @Test
    void anInterruptReachesTheThreadRunningTheRequest() {
        Requests.Worker w = new Requests.Worker();
        Requests.Request r = requests.begin(w, 42, 5, 0, null, "READ");
        assertTrue(requests.interrupt(42));
        assertTrue(Thread.currentThread().isInterrupted()); // a kernel wait now ends with EINTR
        assertTrue(r.interrupted());
        requests.end(r);
        assertFalse(Thread.currentThread().isInterrupted(), "the next request must not inherit it");
    }

    @Test
    void anInterruptThatCameFirstAppliesWhenItsRequestStarts() {
        assertFalse(requests.interrupt(7)); // read by another server thread before the request ran
        Requests.Worker w = new Requests.Worker();
        Requests.Request r = requests.begin(w, 7, 5, 0, null, "READ");
        assertTrue(Thread.interrupted());
        assertTrue(r.interrupted(), "its grace runs from now");
        requests.end(r);
    }

    @Test
    void aLateInterruptNeverHitsTheNextRequest() {
        Requests.Worker w = new Requests.Worker();
        Requests.Request first = requests.begin(w, 1, 5, 0, null, "READ");
        requests.end(first);
        requests.interrupt(1); // the reply went out already
        Requests.Request second = requests.begin(w, 2, 5, 0, null, "READ");
        assertFalse(Thread.currentThread().isInterrupted());
        requests.end(second);
    }

    @Test
    void theReplyIsClaimedOnceWhoeverClaimsFirst() {
        Requests.Worker w = new Requests.Worker();
        Requests.Request answeredForIt = requests.begin(w, 3, 5, 0, null, "READ");
        assertTrue(answeredForIt.takeOver(true));
        assertFalse(answeredForIt.claim(), "the driver's late return sends nothing");
        assertTrue(answeredForIt.abandoned());
        requests.end(answeredForIt);

        Requests.Request answeredByItsThread = requests.begin(w, 4, 5, 0, null, "READ");
        assertTrue(answeredByItsThread.claim());
        assertFalse(answeredByItsThread.takeOver(true), "the watch thread sends nothing");
        assertFalse(answeredByItsThread.abandoned());
        requests.end(answeredByItsThread);

        Requests.Request kept = requests.begin(w, 5, 5, 0, null, "READ");
        assertTrue(kept.takeOver(false));
        assertFalse(kept.claim());
        assertFalse(kept.abandoned(), "taken over without replacing its thread: it stays in the pool");
        requests.end(kept);
    }

    @Test
    void anInterruptedRequestIsOverdueOnlyAfterTheGrace() {
        Requests.Worker w = new Requests.Worker();
        Requests.Request r = requests.begin(w, 9, 5, 0, null, "READ");
        long now = System.nanoTime();
        assertEquals(List.of(), requests.overdue(now + GRACE, GRACE, x -> false), "not interrupted: never overdue");
        requests.interrupt(9);
        long interrupted = System.nanoTime();
        assertEquals(List.of(), requests.overdue(interrupted, GRACE, x -> false), "within the grace");
        List<Requests.Overdue> due = requests.overdue(interrupted + GRACE + 1, GRACE, x -> false);
        assertEquals(1, due.size());
        assertSame(r, due.get(0).request());
        assertEquals(Fuse.EINTR, due.get(0).errno());
        requests.end(r);
    }

    /** A revoked request gets the grace too, from the first sweep that sees it revoked, to answer for itself. */
    @Test
    void aRevokedRequestIsOverdueAGraceAfterItWasSeenRevoked() {
        Requests.Worker w = new Requests.Worker();
        Requests.Request r = requests.begin(w, 11, 5, 0, null, "IOCTL");
        long seen = System.nanoTime();
        assertEquals(List.of(), requests.overdue(seen, GRACE, x -> x == r), "first seen revoked");
        assertEquals(List.of(), requests.overdue(seen + GRACE / 2, GRACE, x -> x == r), "within the grace");
        List<Requests.Overdue> due = requests.overdue(seen + GRACE + 1, GRACE, x -> x == r);
        assertEquals(1, due.size());
        assertEquals(Fuse.ENODEV, due.get(0).errno());
        assertEquals(1, requests.overdue(seen + 1, 0, x -> x == r).size(), "a grace of 0: at once");
        requests.end(r);
    }

    /** Once answered for its driver, a request is out of the table: what names its unique next is another request. */
    @Test
    void anAnsweredRequestLeavesTheTableAndItsLateEndRemovesNothingElse() {
        Requests.Worker stuck = new Requests.Worker();
        Requests.Request old = requests.begin(stuck, 13, 5, 0, null, "READ");
        assertTrue(old.takeOver(true));
        requests.answered(old);
        assertEquals(0, requests.size());
        assertFalse(requests.interrupt(13), "nothing runs 13 now: the interrupt is kept for a request that may start");
        Requests.Worker next = new Requests.Worker();
        Requests.Request same = requests.begin(next, 13, 5, 0, null, "READ");
        assertTrue(same.interrupted());
        requests.end(old); // the driver returns the abandoned thread at last
        assertEquals(1, requests.size(), "the newer request stays");
        assertEquals(1, requests.overdue(System.nanoTime() + GRACE, GRACE, x -> false).size());
        requests.end(same);
        assertEquals(0, requests.size());
    }

    @Test
    void anAnsweredRequestIsNeverOverdueAgain() {
        Requests.Worker w = new Requests.Worker();
        Requests.Request r = requests.begin(w, 15, 5, 0, null, "READ");
        requests.interrupt(15);
        assertTrue(r.claim()); // its own reply is going out
        assertEquals(List.of(), requests.overdue(System.nanoTime() + GRACE, GRACE, x -> true));
        assertFalse(requests.interrupt(15), "an answered request is not interrupted again");
        requests.end(r);
    }
}
