package org.devhost.web;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Slows down wrong passwords, per client address: the first {@value #FREE} failures in a row are
 * answered as usual; after that the address waits, {@value #FIRST_WAIT_MS} ms after the {@value
 * #FREE}th failure and twice as long after each further one, up to {@value #MAX_WAIT_MS} ms, and
 * every request from it meanwhile, with the right password too, is refused (429) without being
 * checked. Letting the right password through during the wait would answer every guess; refusing
 * it costs the person at that address at most a minute. A login that passes clears the address's
 * count; so does {@value #FORGET_MS} ms without a failure.
 *
 * <p>Bounded: at most {@value #ADDRESSES} addresses are remembered, the least recently seen
 * forgotten first. Times are milliseconds of a monotonic clock the caller passes. Thread-safe (one
 * lock).
 */
final class LoginThrottle {
    static final int FREE = 5;
    static final long FIRST_WAIT_MS = 1_000;
    static final long MAX_WAIT_MS = 60_000;
    static final long FORGET_MS = 15 * 60_000;
    static final int ADDRESSES = 1024;

    private static final class Failures {
        int count;
        long last;
        long until;
    }

    private final Map<String, Failures> byAddress = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Failures> eldest) {
            return size() > ADDRESSES;
        }
    };

    /** How long {@code address} must still wait before its next try, in ms; 0 when it may try now. */
    synchronized long waitMs(String address, long now) {
        Failures f = byAddress.get(address);
        if (f == null) {
            return 0;
        }
        if (now - f.last >= FORGET_MS) {
            byAddress.remove(address);
            return 0;
        }
        return Math.max(0, f.until - now);
    }

    /** Counts a wrong password from {@code address}; returns how long it must now wait, in ms (0: not yet). */
    synchronized long failed(String address, long now) {
        Failures f = byAddress.get(address);
        if (f == null || now - f.last >= FORGET_MS) {
            f = new Failures();
            byAddress.put(address, f);
        }
        f.count++;
        f.last = now;
        long wait = waitAfter(f.count);
        f.until = now + wait;
        return wait;
    }

    /** A login from {@code address} passed: its count starts again. */
    synchronized void passed(String address) {
        byAddress.remove(address);
    }

    /** The wait after {@code failures} failures in a row. */
    static long waitAfter(int failures) {
        if (failures < FREE) {
            return 0;
        }
        int doublings = Math.min(failures - FREE, 30);
        return Math.min(MAX_WAIT_MS, FIRST_WAIT_MS << doublings);
    }
}
