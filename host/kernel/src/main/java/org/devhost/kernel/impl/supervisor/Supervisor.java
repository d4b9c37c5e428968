package org.devhost.kernel.impl.supervisor;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.Device;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.impl.chrdev.CharDevice;
import org.devhost.kernel.impl.chrdev.DeviceTable;
import org.devhost.kernel.impl.chrdev.HeartbeatImpl;
import org.devhost.kernel.impl.chrdev.OpenFileImpl;
import org.devhost.kernel.impl.chrdev.StuckThreads;
import org.devhost.kernel.impl.lifecycle.ComponentStates;
import org.devhost.kernel.impl.lifecycle.LifecycleSteps;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.Supervision;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleException;
import org.osgi.framework.BundleListener;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;

/**
 * The reincarnation server (MINIX 3 RS, with Erlang/OTP restart intensity): finds a crashed or
 * hung driver module, restarts it with back-off, keeps its numbers while it is down, and gives up
 * when it keeps failing.
 *
 * <p>Detection: an init that throws ({@link #initFailed}, from the lifecycle's InitFailureWatcher, or a
 * restart's own wait); {@code fault_threshold} operation faults within {@code fault_window_ms}
 * ({@link #driverFault}, from {@link CharDevice#fault}); the watchdog (every {@link #TICK_MS}): a
 * file whose operation count has not moved for {@code watchdog_ms} while an operation is in
 * flight, and whose last entrant ({@link OpenFileImpl#lastEntrant}) runs in the driver's code, not
 * parked in a kernel wait, on two ticks in a row ({@link StuckThreads#runningInDriver}); and a
 * {@link HeartbeatImpl} past its period. The I/O path pays two opaque stores per operation and a
 * load on exit; only the suspect thread's stack is taken.
 *
 * <p>Restart = reserve → stop (transient) → back-off → refresh → start, on the supervisor's
 * threads, under the module manager's lock (one load, unload or restart at a time); each step
 * carries its module's generation, and a step overtaken by an unload, a new load, an uninstall or
 * a dev:restart does nothing. Stop revokes the devices as an unload
 * does (open files ENODEV, blocked callers woken, stuck threads abandoned after the revoke
 * timeout and counted). Refresh, not update: it throws the old class loader away and makes a
 * new one from the revision already installed, so the bytes that run are the bytes that were
 * checked at insmod (an update would fetch the location again, past a pinned SHA-256); its
 * statics start fresh. Bundles wired to the module are refreshed with it, as the framework must.
 * Before the stop the device table reserves the module's majors, misc minors and device names
 * ({@link DeviceTable#reserve}): an open answers EAGAIN, no other module gets them, and the
 * restarted init gets them back; the reservation goes when the module is live again, unloaded,
 * or given up.
 *
 * <p>Back-off: the first restart at once, then {@code backoff_initial_ms} doubling up to {@code
 * backoff_max_ms}. More than {@code max_restarts} within {@code restart_window_ms}: FAILED, the
 * bundle stays stopped until {@link #restartNow} or a new load. A module live for {@code
 * healthy_after_ms} since its last restart starts its counters again.
 *
 * <p>Thread-safety: each module's {@link Watch} is guarded by itself; the lifecycle steps take
 * {@link #moduleLock}.
 */
@Component(service = Supervisor.class, immediate = true)
public final class Supervisor implements Supervision {
    static final long TICK_MS = 250;
    public static final String TOPIC = "org/devhost/module/";

    /** The lock of every module lifecycle change (load, unload, restart): Linux's module_mutex. */
    public final ReentrantLock moduleLock = new ReentrantLock();
    /** Every framework start and stop of a module's bundle runs through these, under a deadline. */
    public final LifecycleSteps steps;

    private final KernelCore core;
    private final ServiceComponentRuntime scr;
    private final BundleContext context;
    private final Map<String, Watch> watches = new ConcurrentHashMap<>();
    /** Bundles a load is waiting for: their init failures are the load's to report, not a crash. */
    private final Set<Long> loading = ConcurrentHashMap.newKeySet();
    private final List<SupervisionPolicyConfig> policies = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService threads;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    @Activate
    public Supervisor(@Reference KernelCore core, @Reference ServiceComponentRuntime scr, BundleContext context) {
        this.core = core;
        this.scr = scr;
        this.context = context;
        this.steps = new LifecycleSteps(core, LifecycleSteps.timeout(context.getProperty(LifecycleSteps.TIMEOUT_PROPERTY)));
        threads = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "devhost supervisor");
            t.setDaemon(true);
            return t;
        });
        threads.scheduleWithFixedDelay(this::watchdog, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        // However a module's bundle goes (rmmod, Felix uninstall, the deploy folder), what the
        // supervisor held for it goes too: its reservation and any restart still pending.
        uninstalls = e -> {
            if (e.getType() == BundleEvent.UNINSTALLED) {
                ModuleInfo.of(e.getBundle()).ifPresent(i -> forgetIfBundle(i.name(), e.getBundle()));
            }
        };
        context.addBundleListener(uninstalls);
        core.supervisor(this);
    }

    private final BundleListener uninstalls;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    public void addPolicy(SupervisionPolicyConfig p) {
        policies.add(p);
    }

    void removePolicy(SupervisionPolicyConfig p) {
        policies.remove(p);
    }

    @Deactivate
    public void deactivate() {
        context.removeBundleListener(uninstalls);
        core.supervisor(null);
        threads.shutdownNow();
    }

    // ---- policy ----

    /** A module's policy, in plain values: its own configuration, else {@code module=*}, else the defaults. */
    record Policy(boolean enabled, int faultThreshold, long faultWindowMs, long watchdogMs, int maxRestarts,
            long restartWindowMs, long backoffInitialMs, long backoffMaxMs, long healthyAfterMs) {
        static final Policy DEFAULT = new Policy(true, 5, 10_000, 10_000, 5, 60_000, 1000, 30_000, 60_000);

        static Policy of(SupervisionPolicy p) {
            return new Policy(p.enabled(), Math.max(1, p.fault_threshold()), p.fault_window_ms(), p.watchdog_ms(),
                    Math.max(0, p.max_restarts()), p.restart_window_ms(), Math.max(0, p.backoff_initial_ms()),
                    Math.max(0, p.backoff_max_ms()), p.healthy_after_ms());
        }

        /** The delay before restart number {@code n} (0-based) of a run: 0, initial, 2 initial, ... max. */
        long backoff(int n) {
            if (n == 0) {
                return 0;
            }
            long d = backoffInitialMs << Math.min(n - 1, 30);
            return d < 0 ? backoffMaxMs : Math.min(d, backoffMaxMs);
        }
    }

    Policy policy(String module) {
        Policy any = null;
        for (SupervisionPolicyConfig c : policies) {
            if (module.equals(c.policy.module())) {
                return Policy.of(c.policy);
            }
            if ("*".equals(c.policy.module())) {
                any = Policy.of(c.policy);
            }
        }
        return any != null ? any : Policy.DEFAULT;
    }

    // ---- state ----

    /** What the supervisor knows of one module; guarded by itself. */
    static final class Watch {
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
         * Bumped by {@link #restartNow} and {@link #forget}: a lifecycle task that was scheduled
         * under an older value has been overtaken (a manual restart, an unload) and does nothing.
         */
        int generation;
        /** Threads already counted as stuck, so a later scan does not count them again. */
        final Set<Thread> counted = Collections.newSetFromMap(new WeakHashMap<>());
        /** Watchdog: per file in flight, what it saw last. Touched by the watchdog thread only. */
        final Map<OpenFileImpl, Seen> seen = new WeakHashMap<>();

        Watch(String name) {
            this.name = name;
        }
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

    private Watch watch(String module) {
        return watches.computeIfAbsent(module, Watch::new);
    }

    /** The supervisor's view of a module for {@link ModuleStatus}: {state or null, restarts, stuck, failure}. */
    public Object[] view(String module) {
        Watch w = watches.get(module);
        if (w == null) {
            return new Object[] {null, 0, 0, null};
        }
        synchronized (w) {
            return new Object[] {w.state == ModuleStatus.State.LIVE ? null : w.state, w.restarts, w.stuck, w.lastFailure};
        }
    }

    @Override
    public boolean supervised(String module) {
        return policy(module).enabled();
    }

    /** A load (insmod) is about to start {@code bundle}: its init failure is the load's. */
    public void loading(Bundle bundle, boolean on) {
        if (on) {
            loading.add(bundle.getBundleId());
        } else {
            loading.remove(bundle.getBundleId());
        }
    }

    /** A new load of the module replaces whatever the supervisor held for it (a FAILED module's state). */
    public void forget(String module) {
        Watch w = watches.remove(module);
        if (w != null) {
            synchronized (w) {
                w.generation++;
                if (w.pending != null) {
                    w.pending.cancel(false);
                }
            }
        }
        core.table().unreserve(module);
    }

    /** The module's bundle was uninstalled: forget it, unless another bundle is that module now. */
    private void forgetIfBundle(String module, Bundle gone) {
        Bundle now = ModuleInfo.find(context, module).orElse(null);
        if (now == null || now.getBundleId() == gone.getBundleId()) {
            forget(module);
        }
    }

    // ---- detection ----

    /** From {@link CharDevice#fault}, on the caller's thread: counts, and declares a crash over the threshold. */
    @Override
    public void driverFault(String module, String operation, Throwable error) {
        Policy p = policy(module);
        if (!p.enabled()) {
            return;
        }
        Watch w = watch(module);
        int n;
        synchronized (w) {
            if (w.state != ModuleStatus.State.LIVE) {
                return;
            }
            long now = System.nanoTime();
            w.faults.addLast(now);
            while (!w.faults.isEmpty() && now - w.faults.peekFirst() > p.faultWindowMs() * 1_000_000L) {
                w.faults.removeFirst();
            }
            n = w.faults.size();
            if (n < p.faultThreshold()) {
                return;
            }
            w.faults.clear();
        }
        crash(module, "faults", n + " faults within " + p.faultWindowMs() + " ms (last: " + operation + " threw "
                + error.getClass().getSimpleName() + ")", String.valueOf(error), "CRASHED");
    }

    /**
     * InitFailureWatcher found a failed init and is about to release what it registered: when
     * this is a crash the supervisor will handle (a live, supervised module, not in a load or a
     * restart of its own), reserve the module's numbers first and say so.
     */
    @Override
    public boolean reserveBeforeReap(Bundle bundle) {
        if (loading.contains(bundle.getBundleId()) || bundle.getState() == Bundle.UNINSTALLED) {
            return false;
        }
        String module = ModuleInfo.of(bundle).map(ModuleInfo::name).orElse(null);
        if (module == null || !policy(module).enabled()) {
            return false;
        }
        Watch w = watches.get(module);
        if (w != null) {
            synchronized (w) {
                if (w.state != ModuleStatus.State.LIVE) {
                    return false;
                }
            }
        }
        core.table().reserve(module);
        return true;
    }

    /** An init of the module's bundle threw (InitFailureWatcher saw it), outside any load. */
    @Override
    public void initFailed(Bundle bundle, String reason) {
        // A load or a restart waits for its own init and reports it; the watcher sees the same
        // failure later, and counting it twice would skip a back-off step.
        if (loading.contains(bundle.getBundleId()) || bundle.getState() == Bundle.UNINSTALLED) {
            return;
        }
        ModuleInfo.of(bundle).ifPresent(i -> crash(i.name(), "init", "init failed: " + reason, reason, "CRASHED"));
    }

    /**
     * Every {@link #TICK_MS}: for each file of a supervised module with an operation in flight,
     * when its operation count has stood still for {@code watchdog_ms}, the thread that entered
     * that operation ({@link OpenFileImpl#lastEntrant}) has been in it at least that long. If that
     * thread is running in the driver's code (not parked in a kernel wait) on two ticks in a row,
     * it is a hang. A blocked reader is parked in a {@code WaitQueue}: never a hang, however long
     * it waits. Then every open heartbeat that is past its period is a hang too.
     */
    private void watchdog() {
        try {
            Map<String, List<CharDevice>> byModule = new HashMap<>();
            for (Device d : core.devices()) {
                byModule.computeIfAbsent(d.module(), k -> new java.util.ArrayList<>()).add((CharDevice) d);
            }
            long now = System.nanoTime();
            for (Map.Entry<String, List<CharDevice>> e : byModule.entrySet()) {
                Policy p = policy(e.getKey());
                if (!p.enabled() || p.watchdogMs() <= 0 || DeviceTable.KERNEL.equals(e.getKey())) {
                    continue;
                }
                Watch w = watch(e.getKey());
                scan:
                for (CharDevice d : e.getValue()) {
                    for (OpenFileImpl f : d.files()) {
                        if (!f.operationInFlight()) {
                            w.seen.remove(f);
                            continue;
                        }
                        int seq = f.operationsEntered();
                        Seen s = w.seen.get(f);
                        if (s == null || s.seq != seq) {
                            w.seen.put(f, new Seen(seq, now));
                            continue;
                        }
                        if (now - s.sinceNanos < p.watchdogMs() * 1_000_000L) {
                            continue;
                        }
                        Thread t = f.lastEntrant();
                        if (t == null || !StuckThreads.runningInDriver(t, d.ops)) {
                            s.strikes = 0; // parked in a kernel wait (normal), or not ours to judge
                            continue;
                        }
                        if (++s.strikes < 2) {
                            continue; // a waiter caught between two waits is not a hang: look once more
                        }
                        w.seen.clear();
                        StackTraceElement[] st = t.getStackTrace();
                        crash(e.getKey(), "hang", "an operation on " + d.name() + " has run in the driver for more than "
                                + p.watchdogMs() + " ms", "'" + t.getName() + "' at " + (st.length == 0 ? "?" : st[0]),
                                "HUNG");
                        break scan;
                    }
                }
            }
            for (HeartbeatImpl h : core.table().heartbeats) {
                long late = h.overdueMillis(now);
                if (late < 0) {
                    continue;
                }
                h.reset(now); // one report per missed period
                if (policy(h.module()).enabled()) {
                    crash(h.module(), "heartbeat", "no heartbeat for " + late + " ms (period " + h.periodMillis() + " ms)",
                            "missed heartbeat", "HUNG");
                } else {
                    core.log("WARN", h.module(), "no heartbeat for " + late + " ms (period " + h.periodMillis()
                            + " ms); not supervised, so nothing is done", null);
                }
            }
        } catch (RuntimeException e) {
            core.log("ERROR", "kernel", "supervisor watchdog: " + e, e);
        }
    }

    // ---- restart ----

    /**
     * Declares a crash or hang of a live module: logs it, posts CRASHED or HUNG, and either
     * schedules its restart or gives up. Never blocks the caller: the lifecycle steps run on the
     * supervisor's threads (the caller may be a thread inside the driver).
     */
    public void crash(String module, String kind, String reason, String summary, String topic) {
        crash(module, kind, reason, summary, topic, false);
    }

    /**
     * @param restartFailed the init of a restart this supervisor ran failed: the module is
     *     RESTARTING, not LIVE, and this is the next step of the same run of restarts
     */
    private void crash(String module, String kind, String reason, String summary, String topic, boolean restartFailed) {
        Policy p = policy(module);
        Bundle b = ModuleInfo.find(context, module).orElse(null);
        if (b == null || !p.enabled()) {
            return;
        }
        Watch w = watch(module);
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
        core.log("ERROR", module, topic.toLowerCase(java.util.Locale.ROOT) + ": " + reason + " (" + summary + ")", null);
        post(topic, module, kind, reason, restarts, -1);
        if (giveUp) {
            submit(() -> giveUp(b, w, p, gen));
            return;
        }
        // Reserve before the stop takes the devices away, so the numbers are never free.
        core.table().reserve(module);
        submit(() -> {
            if (!stopForRestart(b, w, gen)) {
                return;
            }
            core.log("WARN", module, "restarting in " + delay + " ms (restart " + restarts + ")", null);
            post("RESTARTING", module, kind, reason, restarts, delay);
            synchronized (w) {
                if (w.state == ModuleStatus.State.RESTARTING && w.generation == gen) {
                    w.pending = threads.schedule(() -> restart(b, w, gen), delay, TimeUnit.MILLISECONDS);
                }
            }
        });
    }

    private void submit(Runnable r) {
        try {
            threads.execute(r);
        } catch (RejectedExecutionException stopping) {
            // the kernel is going down
        }
    }

    /**
     * Whether a lifecycle step scheduled at generation {@code gen} has been overtaken (a manual
     * restart, an unload, a new load, the bundle uninstalled). If so, a reservation made for it
     * that nobody else needs goes. The caller holds {@link #moduleLock}.
     */
    private boolean overtaken(Bundle b, Watch w, int gen) {
        boolean stale;
        synchronized (w) {
            stale = w.generation != gen;
        }
        stale |= watches.get(w.name) != w || b.getState() == Bundle.UNINSTALLED;
        if (stale) {
            Watch now = watches.get(w.name);
            boolean down;
            if (now == null) {
                down = false;
            } else {
                synchronized (now) {
                    down = now.state == ModuleStatus.State.RESTARTING;
                }
            }
            if (!down) {
                core.table().unreserve(w.name);
            }
        }
        return stale;
    }

    /**
     * Stops the bundle (revoking its devices) and counts the threads left running in its code.
     *
     * @return false when the step was overtaken (see {@link #overtaken}) and nothing was done
     */
    private boolean stopForRestart(Bundle b, Watch w, int gen) {
        List<Object> ops = new java.util.ArrayList<>();
        for (Device d : core.devices()) {
            if (d.module().equals(w.name)) {
                ops.add(((CharDevice) d).ops);
            }
        }
        moduleLock.lock();
        try {
            if (overtaken(b, w, gen)) {
                return false;
            }
            if (b.getState() == Bundle.ACTIVE || b.getState() == Bundle.STARTING) {
                steps.run(w.name, "drop", () -> b.stop(Bundle.STOP_TRANSIENT), null);
            }
        } catch (BundleException | IllegalStateException e) {
            core.log("ERROR", w.name, "stopping for a restart failed: " + e, e);
        } catch (KernelException stuck) {
            failStuck(w, stuck);
            return false;
        } finally {
            moduleLock.unlock();
        }
        countStuck(w, ops);
        return true;
    }

    /**
     * A drop past its deadline (or refused while an earlier step is stuck): no restart can follow
     * it, so the module is FAILED with that reason and what was reserved for its restart goes.
     * dev:restart brings it back once the step has returned. The caller holds {@link #moduleLock}.
     */
    private void failStuck(Watch w, KernelException stuck) {
        int restarts;
        synchronized (w) {
            w.generation++;
            if (w.pending != null) {
                w.pending.cancel(false);
            }
            w.state = ModuleStatus.State.FAILED;
            w.lastFailure = new ModuleStatus.Failure("stuck", stuck.getMessage(), System.currentTimeMillis(), stuck.getMessage());
            restarts = w.restarts;
        }
        core.table().unreserve(w.name);
        core.log("ERROR", w.name, "failed: " + stuck.getMessage(), null);
        post("FAILED", w.name, "stuck", stuck.getMessage(), restarts, -1);
    }

    /** Counts (once each) the threads still running in the code of {@code ops} after a stop: abandoned. */
    private void countStuck(Watch w, List<Object> ops) {
        int abandoned = 0;
        for (Object o : ops) {
            for (Thread t : StuckThreads.running(o)) {
                synchronized (w) {
                    if (w.counted.add(t)) {
                        abandoned++;
                        w.stuck++;
                    }
                }
            }
        }
        if (abandoned > 0) {
            core.log("WARN", w.name, abandoned + " thread(s) abandoned in the driver's code (a Java thread cannot be stopped)", null);
        }
    }

    /**
     * The scheduled restart: refresh and start under {@link #moduleLock}, and record the outcome
     * before letting go of it, so that an unload never sees a module half restarted.
     */
    private void restart(Bundle b, Watch w, int gen) {
        moduleLock.lock();
        try {
            synchronized (w) {
                if (w.state != ModuleStatus.State.RESTARTING) {
                    return;
                }
            }
            if (overtaken(b, w, gen)) {
                return;
            }
            String failure = refreshAndStart(b);
            if (failure == null) {
                int restarts;
                synchronized (w) {
                    w.state = ModuleStatus.State.LIVE;
                    w.liveSinceNanos = System.nanoTime();
                    restarts = w.restarts;
                }
                core.table().unreserve(w.name);
                core.log("INFO", w.name, "restarted (restart " + restarts + ")", null);
                post("RESTARTED", w.name, null, null, restarts, -1);
            } else {
                crash(w.name, "init", "init failed: " + failure, failure, "CRASHED", true);
            }
        } finally {
            moduleLock.unlock();
        }
    }

    /** Refresh (a fresh class loader) and start; the init's failure text, or null when it is up. The caller holds moduleLock. */
    String refreshAndStart(Bundle b) {
        String module = ModuleInfo.nameOf(b);
        try {
            if (b.getState() == Bundle.ACTIVE) {
                steps.run(module, "drop", () -> b.stop(Bundle.STOP_TRANSIENT), null);
            }
            CountDownLatch refreshed = new CountDownLatch(1);
            context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(b),
                    ev -> {
                        if (ev.getType() == FrameworkEvent.PACKAGES_REFRESHED || ev.getType() == FrameworkEvent.ERROR) {
                            refreshed.countDown();
                        }
                    });
            if (!refreshed.await(ModuleManager.INIT_WAIT_MS, TimeUnit.MILLISECONDS)) {
                return "the framework did not refresh the bundle within " + ModuleManager.INIT_WAIT_MS + " ms";
            }
            loading.add(b.getBundleId());
            try {
                steps.run(module, "init", () -> b.start(Bundle.START_TRANSIENT), null);
                return ComponentStates.awaitInit(scr, b);
            } finally {
                loading.remove(b.getBundleId());
            }
        } catch (BundleException | IllegalStateException e) {
            return "cannot start (" + e.getMessage() + ")";
        } catch (KernelException stuck) { // past the deadline, or refused: an earlier step is stuck
            return stuck.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private void giveUp(Bundle b, Watch w, Policy p, int gen) {
        if (!stopForRestart(b, w, gen)) {
            return;
        }
        core.table().unreserve(w.name);
        int restarts;
        synchronized (w) {
            restarts = w.restarts;
        }
        core.log("ERROR", w.name, "failed: more than " + p.maxRestarts() + " restarts within " + p.restartWindowMs()
                + " ms; giving up (dev:restart " + w.name + " or a new insmod brings it back)", null);
        post("FAILED", w.name, null, "more than " + p.maxRestarts() + " restarts within " + p.restartWindowMs() + " ms",
                restarts, -1);
    }

    /**
     * {@code dev:restart}: a restart now, whatever the state, with the counters started again.
     * Runs on the caller's thread under {@link #moduleLock}; a restart the supervisor had
     * scheduled is overtaken and does nothing.
     */
    public void restartNow(String module) {
        Bundle b = ModuleInfo.find(context, module).orElseThrow(() -> new KernelException(Errno.ENOENT,
                "module " + module + " not found (give a module name from dev:lsmod)"));
        Watch w = watch(module);
        moduleLock.lock();
        try {
            steps.refuseIfStuck(module);
            int restarts;
            synchronized (w) {
                if (w.pending != null) {
                    w.pending.cancel(false);
                }
                w.generation++;
                w.restartTimes.clear();
                w.step = 0;
                w.state = ModuleStatus.State.RESTARTING;
                restarts = ++w.restarts;
            }
            if (b.getState() == Bundle.ACTIVE) {
                List<Object> ops = new java.util.ArrayList<>();
                for (Device d : core.devices()) {
                    if (d.module().equals(module)) {
                        ops.add(((CharDevice) d).ops);
                    }
                }
                core.table().reserve(module);
                try {
                    steps.run(module, "drop", () -> b.stop(Bundle.STOP_TRANSIENT), null);
                } catch (BundleException | IllegalStateException e) {
                    core.log("ERROR", module, "stopping for a restart failed: " + e, e);
                } catch (KernelException stuck) {
                    failStuck(w, stuck);
                    throw stuck;
                }
                countStuck(w, ops);
            }
            post("RESTARTING", module, "manual", "dev:restart", restarts, 0);
            String failure = refreshAndStart(b);
            core.table().unreserve(module);
            if (failure != null) {
                synchronized (w) {
                    w.state = ModuleStatus.State.FAILED;
                    w.lastFailure = new ModuleStatus.Failure("init", "init failed: " + failure, System.currentTimeMillis(), failure);
                }
                try {
                    steps.run(module, "drop", () -> b.stop(Bundle.STOP_TRANSIENT), null);
                } catch (BundleException | IllegalStateException | KernelException ignored) {
                    // it did not come up; nothing of it runs (or its step is stuck, and says so)
                }
                core.log("ERROR", module, "restart by hand failed: " + failure + "; the module is FAILED", null);
                post("FAILED", module, "init", failure, restarts, -1);
                throw new KernelException(ComponentStates.errnoOf(failure), module + ": restart failed: " + failure
                        + "; the module is FAILED");
            }
            synchronized (w) {
                w.state = ModuleStatus.State.LIVE;
                w.liveSinceNanos = System.nanoTime();
            }
            core.log("INFO", module, "restarted by hand (restart " + restarts + ")", null);
            post("RESTARTED", module, "manual", null, restarts, -1);
        } finally {
            moduleLock.unlock();
        }
    }

    private void post(String topic, String module, String kind, String reason, int restarts, long backoffMs) {
        EventAdmin ea = events;
        if (ea == null) {
            return;
        }
        Map<String, Object> p = new HashMap<>();
        p.put("module", module);
        p.put("restarts", restarts);
        if (kind != null) {
            p.put("kind", kind);
        }
        if (reason != null) {
            p.put("reason", reason);
        }
        if (backoffMs >= 0) {
            p.put("backoff.ms", backoffMs);
        }
        ea.postEvent(new Event(TOPIC + topic, p));
    }
}
