package org.devhost.kernel;

import java.util.List;

/**
 * The kernel log ring buffer: the most recent lines logged through the OSGi Log Service by the
 * kernel and by drivers. Drivers write with the Log Service ({@code Logger}); this is the reading
 * side, which {@code dev:dmesg} prints. Bounded: the oldest lines are dropped first. Thread-safe.
 */
public interface KernelLog {
    /** The lines now held, oldest first. */
    List<LogLine> lines();

    /** Forgets every line held ({@code dmesg -c}). */
    void clear();
}
