package org.devhost.kernel.impl.supervisor;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ScheduledFuture;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.impl.chrdev.OpenFileImpl;

/**
 * What the supervisor knows of one module: its state (LIVE, RESTARTING, FAILED), its counters and
 * windows, the restart it has scheduled, and the watchdog's memory of its files.
 *
 * <p>Guarded by itself, except {@link #seen}, which only the watchdog's thread touches. A task
 * scheduled for the module carries the {@link #generation} it was scheduled under; a newer one
 * means it was overtaken (see {@link Restarts#overtaken}).
 */
final class Watch {
    final String name;
    ModuleStatus.State state = ModuleStatus.State.LIVE;
    int restarts;
    int stuck;
    int step;
    long liveSinceNanos = System.nanoTime();
    ModuleStatus.Failure lastFailure;
    final Deque<Long> restartTimes = new ArrayDeque<>();
    final Deque<Long> faults = new ArrayDeque<>();
    ScheduledFuture<?> pending;
    /**
     * Bumped by a restart by hand, by {@link Supervisor#forget} and by a stuck step ({@link RestartSteps#failStuck}): a lifecycle task that was
     * scheduled under an older value has been overtaken (a manual restart, an unload) and does nothing.
     */
    int generation;
    /** Threads already counted as stuck, so a later scan does not count them again. */
    final Set<Thread> counted = Collections.newSetFromMap(new WeakHashMap<>());
    /** Watchdog: per file in flight, what it saw last. Touched by the watchdog thread only. */
    final Map<OpenFileImpl, Seen> seen = new WeakHashMap<>();

    Watch(String name) {
        this.name = name;
    }

    /** The watchdog's memory of one file: its operation count, since when, and ticks seen running past the limit. */
    static final class Seen {
        final int seq;
        final long sinceNanos;
        int strikes;

        Seen(int seq, long sinceNanos) {
            this.seq = seq;
            this.sinceNanos = sinceNanos;
        }
    }
}
