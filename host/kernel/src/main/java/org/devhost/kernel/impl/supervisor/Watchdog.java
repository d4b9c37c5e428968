package org.devhost.kernel.impl.supervisor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.devhost.kernel.Device;
import org.devhost.kernel.impl.chrdev.CharDevice;
import org.devhost.kernel.impl.chrdev.DeviceTable;
import org.devhost.kernel.impl.chrdev.HeartbeatImpl;
import org.devhost.kernel.impl.chrdev.OpenFileImpl;
import org.devhost.kernel.impl.chrdev.StuckThreads;

/**
 * Detection of hangs, every {@link Supervisor#TICK_MS} on a supervisor thread: for each file of a
 * supervised module with an operation in flight, when its operation count has stood still for
 * {@code watchdog_ms}, the thread that entered that operation ({@link OpenFileImpl#lastEntrant})
 * has been in it at least that long. If that thread is running in the driver's code (not parked
 * in a kernel wait, {@link StuckThreads#runningInDriver}) on two ticks in a row, it is a hang. A
 * blocked reader is parked in a {@code WaitQueue}: never a hang, however long it waits. Then every
 * open {@link HeartbeatImpl} that is past its period is a hang too. Each hang goes to {@link
 * Restarts#crash}. The I/O path pays two opaque stores per operation and a load on exit; only the
 * suspect thread's stack is taken.
 */
final class Watchdog implements Runnable {
    private final Supervisor s;

    Watchdog(Supervisor s) {
        this.s = s;
    }

    @Override
    public void run() {
        try {
            Map<String, List<CharDevice>> byModule = new HashMap<>();
            for (Device d : s.core.devices()) {
                byModule.computeIfAbsent(d.module(), k -> new java.util.ArrayList<>()).add((CharDevice) d);
            }
            long now = System.nanoTime();
            for (Map.Entry<String, List<CharDevice>> e : byModule.entrySet()) {
                Policy p = s.policy(e.getKey());
                if (!p.enabled() || p.watchdogMs() <= 0 || DeviceTable.KERNEL.equals(e.getKey())) {
                    continue;
                }
                Watch w = s.watch(e.getKey());
                scan:
                for (CharDevice d : e.getValue()) {
                    for (OpenFileImpl f : d.files()) {
                        if (!f.operationInFlight()) {
                            w.seen.remove(f);
                            continue;
                        }
                        int seq = f.operationsEntered();
                        Watch.Seen seen = w.seen.get(f);
                        if (seen == null || seen.seq != seq) {
                            w.seen.put(f, new Watch.Seen(seq, now));
                            continue;
                        }
                        if (now - seen.sinceNanos < p.watchdogMs() * 1_000_000L) {
                            continue;
                        }
                        Thread t = f.lastEntrant();
                        if (t == null || !StuckThreads.runningInDriver(t, d.ops)) {
                            seen.strikes = 0; // parked in a kernel wait (normal), or not ours to judge
                            continue;
                        }
                        if (++seen.strikes < 2) {
                            continue; // a waiter caught between two waits is not a hang: look once more
                        }
                        w.seen.clear();
                        StackTraceElement[] st = t.getStackTrace();
                        String where = d.ops instanceof org.devhost.kernel.impl.chrdev.ForwardedOperations fo ? fo.where(t) : null;
                        s.restarts.crash(e.getKey(), "hang", "an operation on " + d.name() + " has run in the driver for more than "
                                + p.watchdogMs() + " ms", where != null ? where
                                        : "'" + t.getName() + "' at " + (st.length == 0 ? "?" : st[0]), "HUNG");
                        break scan;
                    }
                }
            }
            for (HeartbeatImpl h : s.core.table().heartbeats) {
                long late = h.overdueMillis(now);
                if (late < 0) {
                    continue;
                }
                h.reset(now); // one report per missed period
                if (s.policy(h.module()).enabled()) {
                    s.restarts.crash(h.module(), "heartbeat", "no heartbeat for " + late + " ms (period " + h.periodMillis() + " ms)",
                            "missed heartbeat", "HUNG");
                } else {
                    s.core.log("WARN", h.module(), "no heartbeat for " + late + " ms (period " + h.periodMillis()
                            + " ms); not supervised, so nothing is done", null);
                }
            }
        } catch (RuntimeException e) {
            s.core.log("ERROR", "kernel", "supervisor watchdog: " + e, e);
        }
    }
}
