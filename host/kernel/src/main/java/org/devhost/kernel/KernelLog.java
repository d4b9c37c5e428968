package org.devhost.kernel;

import java.util.List;

/**
 * The kernel log ring buffer: the most recent lines logged through the OSGi Log Service by the
 * kernel and by drivers. Drivers write with the Log Service ({@code Logger}); this is the reading
 * side, which {@code dev:dmesg} prints. Bounded in lines and in bytes: the oldest lines are dropped
 * first. In the host, a read is current: it holds every line logged, by any thread, before the
 * read began (the Log Service delivers lines on its own thread; the kernel waits for it), so what
 * an {@code init} or {@code drop} logged is there once the load or unload has returned.
 * Thread-safe.
 */
@org.osgi.annotation.versioning.ProviderType
public interface KernelLog {
    /** The lines now held, oldest first. */
    List<LogLine> lines();

    /** Forgets every line held. */
    void clear();

    /**
     * Returns the lines held and forgets them, in one step, so that no line logged meanwhile is
     * lost unseen ({@code dmesg -c}, Linux's {@code SYSLOG_ACTION_READ_CLEAR}). The kernel's log
     * does this atomically; this default is atomic only for an implementation whose {@link
     * #lines()} and {@link #clear()} lock on the instance.
     *
     * @since 1.2
     */
    default List<LogLine> readClear() {
        synchronized (this) {
            List<LogLine> held = lines();
            clear();
            return held;
        }
    }
}
