package org.devhost.kernel;

import java.time.Instant;

/**
 * One line of the kernel log ring buffer ({@code dmesg}).
 *
 * @param sequence increasing number of the line since the kernel started
 * @param time when it was logged
 * @param uptimeNanos nanoseconds since the kernel started, as dmesg's {@code [seconds.micros]}
 * @param level the printk level
 * @param source the module or bundle that logged it
 * @param message the text, with the exception (if any) appended
 */
public record LogLine(long sequence, Instant time, long uptimeNanos, KernLevel level, String source, String message) {
    /** {@code [    1.234567] source: message}, the dmesg layout. */
    @Override
    public String toString() {
        long micros = uptimeNanos / 1000;
        return String.format("[%5d.%06d] %s: %s", micros / 1_000_000, micros % 1_000_000, source, message);
    }
}
