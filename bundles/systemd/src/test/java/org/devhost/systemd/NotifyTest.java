package org.devhost.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The watchdog's period from systemd's environment (sd_watchdog_enabled(3)'s rules). */
class NotifyTest {
    @Test
    void pingsComeAtHalfTheWatchdogIntervalOnlyForThisProcess() {
        assertEquals(15_000_000_000L, Notify.watchdogNanos("30000000", null, 42), "WATCHDOG_USEC=30 s: every 15 s");
        assertEquals(15_000_000_000L, Notify.watchdogNanos("30000000", "42", 42));
        assertEquals(0, Notify.watchdogNanos("30000000", "43", 42), "meant for another process");
        assertEquals(0, Notify.watchdogNanos(null, null, 42), "no watchdog");
        assertEquals(0, Notify.watchdogNanos("soon", null, 42));
        assertEquals(0, Notify.watchdogNanos("0", null, 42));
    }
}
