package org.devhost.hal.common;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The references that keep a native resource (descriptors, mappings) alive: one for its owner
 * until it closes, one per call in flight. Whoever drops the last one releases the resource, once.
 *
 * <p>Invariant: the count is 0 only when the release has run or is running, and no reference is
 * taken after that, so no call ever uses a closed descriptor or a freed mapping. Thread-safe.
 */
final class Refs {
    private final AtomicInteger count = new AtomicInteger(1);
    private final Runnable release;

    /** One reference, the owner's; {@code release} runs when the last is dropped. */
    Refs(Runnable release) {
        this.release = release;
    }

    /** Takes a reference for a call; false once the resource is released (the caller fails the call). */
    boolean take() {
        int r;
        do {
            r = count.get();
            if (r == 0) {
                return false;
            }
        } while (!count.compareAndSet(r, r + 1));
        return true;
    }

    /** Drops a reference taken by {@link #take}, or the owner's at its close. */
    void drop() {
        if (count.decrementAndGet() == 0) {
            release.run();
        }
    }
}
