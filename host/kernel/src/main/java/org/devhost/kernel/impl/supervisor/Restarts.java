package org.devhost.kernel.impl.supervisor;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleStatus;
import org.osgi.framework.Bundle;

/**
 * The restart state machine: LIVE → (crash or hang) → RESTARTING → LIVE, or FAILED when the
 * module keeps failing ({@link Policy}). Restart = reserve → stop (transient) → back-off → refresh
 * → start, on the supervisor's threads, under the module manager's lock (one load, unload or
 * restart at a time); the steps on the framework are {@link RestartSteps}.
 *
 * <p>Each step carries its module's generation, and a step overtaken by an unload, a new load, an
 * uninstall or a dev:restart does nothing ({@link #overtaken}). Before the stop the device table
 * reserves the module's majors, misc minors and device names: an open answers EAGAIN, no other
 * module gets them, and the restarted init gets them back; the reservation goes when the module is
 * live again, unloaded, or given up.
 */
final class Restarts {
    private final Supervisor s;

    Restarts(Supervisor s) {
        this.s = s;
    }

    /**
     * Declares a crash or hang of a live module: logs it, posts CRASHED or HUNG, and either
     * schedules its restart or gives up. Never blocks the caller: the lifecycle steps run on the
     * supervisor's threads (the caller may be a thread inside the driver).
     */
    void crash(String module, String kind, String reason, String summary, String topic) {
        crash(module, kind, reason, summary, topic, false);
    }

    /**
     * @param restartFailed the init of a restart this supervisor ran failed: the module is
     *     RESTARTING, not LIVE, and this is the next step of the same run of restarts
     */
    private void crash(String module, String kind, String reason, String summary, String topic, boolean restartFailed) {
        Policy p = s.policy(module);
        Bundle b = ModuleInfo.find(s.context, module).orElse(null);
        if (b == null || !p.enabled()) {
            return;
        }
        Watch w = s.watch(module);
        long delay;
        boolean giveUp;
        int restarts;
        int gen;
        synchronized (w) {
            if (w.state != (restartFailed ? ModuleStatus.State.RESTARTING : ModuleStatus.State.LIVE)) {
                return; // already being handled, or given up
            }
            long now = System.nanoTime();
            if (w.state == ModuleStatus.State.LIVE && now - w.liveSinceNanos >= p.healthyAfterMs() * 1_000_000L) {
                w.restartTimes.clear(); // a stretch of healthy running: a new run of restarts
                w.step = 0;
            }
            w.lastFailure = new ModuleStatus.Failure(kind, reason, System.currentTimeMillis(), summary);
            while (!w.restartTimes.isEmpty() && now - w.restartTimes.peekFirst() > p.restartWindowMs() * 1_000_000L) {
                w.restartTimes.removeFirst();
            }
            giveUp = w.restartTimes.size() >= p.maxRestarts();
            delay = giveUp ? 0 : p.backoff(w.step);
            if (!giveUp) {
                w.step++;
                w.restartTimes.addLast(now);
                w.restarts++;
            }
            restarts = w.restarts;
            w.state = giveUp ? ModuleStatus.State.FAILED : ModuleStatus.State.RESTARTING;
            gen = w.generation;
        }
        s.core.log("ERROR", module, topic.toLowerCase(java.util.Locale.ROOT) + ": " + reason + " (" + summary + ")", null);
        s.posts.post(topic, module, kind, reason, restarts, -1);
        if (giveUp) {
            submit(() -> giveUp(b, w, p, gen));
            return;
        }
        // Reserve before the stop takes the devices away, so the numbers are never free.
        s.core.table().reserve(module);
        submit(() -> {
            if (!s.restartSteps.stopForRestart(b, w, gen)) {
                return;
            }
            s.core.log("WARN", module, "restarting in " + delay + " ms (restart " + restarts + ")", null);
            s.posts.post("RESTARTING", module, kind, reason, restarts, delay);
            synchronized (w) {
                if (w.state == ModuleStatus.State.RESTARTING && w.generation == gen) {
                    w.pending = s.threads.schedule(() -> restart(b, w, gen), delay, TimeUnit.MILLISECONDS);
                }
            }
        });
    }

    private void submit(Runnable r) {
        try {
            s.threads.execute(r);
        } catch (RejectedExecutionException stopping) {
            // the kernel is going down
        }
    }

    /**
     * Whether a lifecycle step scheduled at generation {@code gen} has been overtaken (a manual
     * restart, an unload, a new load, the bundle uninstalled). If so, a reservation made for it
     * that nobody else needs goes. The caller holds the module lock.
     */
    boolean overtaken(Bundle b, Watch w, int gen) {
        boolean stale;
        synchronized (w) {
            stale = w.generation != gen;
        }
        stale |= s.watches.get(w.name) != w || b.getState() == Bundle.UNINSTALLED;
        if (stale) {
            Watch now = s.watches.get(w.name);
            boolean down;
            if (now == null) {
                down = false;
            } else {
                synchronized (now) {
                    down = now.state == ModuleStatus.State.RESTARTING;
                }
            }
            if (!down) {
                s.core.table().unreserve(w.name);
            }
        }
        return stale;
    }

    /**
     * The scheduled restart: refresh and start under the module lock, and record the outcome
     * before letting go of it, so that an unload never sees a module half restarted.
     */
    private void restart(Bundle b, Watch w, int gen) {
        s.moduleLock.lock();
        try {
            synchronized (w) {
                if (w.state != ModuleStatus.State.RESTARTING) {
                    return;
                }
            }
            if (overtaken(b, w, gen)) {
                return;
            }
            String failure = s.restartSteps.refreshAndStart(b);
            if (failure == null) {
                int restarts;
                synchronized (w) {
                    w.state = ModuleStatus.State.LIVE;
                    w.liveSinceNanos = System.nanoTime();
                    restarts = w.restarts;
                }
                s.core.table().unreserve(w.name);
                s.core.log("INFO", w.name, "restarted (restart " + restarts + ")", null);
                s.posts.post("RESTARTED", w.name, null, null, restarts, -1);
            } else {
                crash(w.name, "init", "init failed: " + failure, failure, "CRASHED", true);
            }
        } finally {
            s.moduleLock.unlock();
        }
    }

    private void giveUp(Bundle b, Watch w, Policy p, int gen) {
        if (!s.restartSteps.stopForRestart(b, w, gen)) {
            return;
        }
        s.core.table().unreserve(w.name);
        int restarts;
        synchronized (w) {
            restarts = w.restarts;
        }
        s.core.log("ERROR", w.name, "failed: more than " + p.maxRestarts() + " restarts within " + p.restartWindowMs()
                + " ms; giving up (dev:restart " + w.name + " or a new insmod brings it back)", null);
        s.posts.post("FAILED", w.name, null, "more than " + p.maxRestarts() + " restarts within " + p.restartWindowMs() + " ms",
                restarts, -1);
    }
}
