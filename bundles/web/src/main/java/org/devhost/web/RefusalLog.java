package org.devhost.web;

import java.util.function.LongSupplier;
import org.osgi.service.log.Logger;

/**
 * The kernel log lines of the console's refusals (a cross-site request, a wrong Host, an upload
 * too large, a wrong password), bounded: a page of another site can send requests as fast as it
 * likes, and each would otherwise push a line of the kernel's ring out. At most {@link #PER_MINUTE}
 * lines a minute are logged; the others are counted, and the next line logged says how many were
 * left out. Each line goes to the Log Service as a warning, so {@code dev:dmesg} and the Kernel log
 * page show it under {@code org.devhost.web}.
 *
 * <p>Thread-safe (one lock for the count).
 */
final class RefusalLog {
    static final int PER_MINUTE = 30;
    private static final long MINUTE_NANOS = 60_000_000_000L;

    private final Logger log;
    private final LongSupplier nanoTime;
    private long windowStart;
    private int inWindow;
    private int leftOut;

    RefusalLog(Logger log, LongSupplier nanoTime) {
        this.log = log;
        this.nanoTime = nanoTime;
        this.windowStart = nanoTime.getAsLong();
    }

    /** Logs {@code line} unless {@link #PER_MINUTE} lines were logged in the last minute. */
    void refused(String line) {
        String logged;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            if (now - windowStart >= MINUTE_NANOS) {
                windowStart = now;
                inWindow = 0;
            }
            if (inWindow >= PER_MINUTE) {
                leftOut++;
                return;
            }
            inWindow++;
            logged = leftOut == 0 ? line : line + " (" + leftOut + " more refusals were not logged)";
            leftOut = 0;
        }
        log.warn(logged);
    }
}
