package org.devhost.kernel.impl;

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
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
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
 * <p>Detection: an init that throws ({@link #initFailed}, from {@link InitFailureWatcher} or a
 * restart's own wait); {@code fault_threshold} operation faults within {@code fault_window_ms}
 * ({@link #driverFault}, from {@link CharDevice#fault}); the watchdog (every {@link #TICK_MS}):
 * an operation in flight on a file whose operation count has not moved for {@code watchdog_ms},
 * with a thread inside the driver's code that is not parked in a kernel wait
 * ({@link StuckThreads#running}). The I/O path pays one opaque store per operation
 * ({@code OpenFileImpl.opSeq}); the stack scan runs only for such a candidate.
 *
 * <p>Restart = stop (transient) → refresh → start, on the supervisor's threads, under the module
 * manager's lock (one load, unload or restart at a time). Stop revokes the devices as an unload
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
public final class Supervisor {
    static final long TICK_MS = 250;
    static final String TOPIC = "org/devhost/module/";

    /** The lock of every module lifecycle change (load, unload, restart): Linux's module_mutex. */
    final ReentrantLock moduleLock = new ReentrantLock();

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
        threads = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "devhost supervisor");
            t.setDaemon(true);
            return t;
        });
        threads.scheduleWithFixedDelay(this::watchdog, TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        core.supervisor(this);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPolicy(SupervisionPolicyConfig p) {
        policies.add(p);
    }

    void removePolicy(SupervisionPolicyConfig p) {
        policies.remove(p);
    }

    @Deactivate
    void deactivate() {
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
        /** Threads already counted as stuck, so a later scan does not count them again. */
        final Set<Thread> counted = Collections.newSetFromMap(new WeakHashMap<>());
        /** Watchdog: per file in flight, {operation count, since (nanos)}. Touched by the watchdog thread only. */
        final Map<OpenFileImpl, long[]> seen = new WeakHashMap<>();

        Watch(String name) {
            this.name = name;
        }
    }

    private Watch watch(String module) {
        return watches.computeIfAbsent(module, Watch::new);
    }

    /** The supervisor's view of a module for {@link ModuleStatus}: {state or null, restarts, stuck, failure}. */
    Object[] view(String module) {
        Watch w = watches.get(module);
        if (w == null) {
            return new Object[] {null, 0, 0, null};
        }
        synchronized (w) {
            return new Object[] {w.state == ModuleStatus.State.LIVE ? null : w.state, w.restarts, w.stuck, w.lastFailure};
        }
    }

    boolean supervised(String module) {
        return policy(module).enabled();
    }

    /** A load (insmod) is about to start {@code bundle}: its init failure is the load's. */
    void loading(Bundle bundle, boolean on) {
        if (on) {
            loading.add(bundle.getBundleId());
        } else {
            loading.remove(bundle.getBundleId());
        }
    }

    /** A new load of the module replaces whatever the supervisor held for it (a FAILED module's state). */
    void forget(String module) {
        Watch w = watches.remove(module);
        if (w != null) {
            synchronized (w) {
                if (w.pending != null) {
                    w.pending.cancel(false);
                }
            }
        }
        core.table().unreserve(module);
    }

    // ---- detection ----

    /** From {@link CharDevice#fault}, on the caller's thread: counts, and declares a crash over the threshold. */
    void driverFault(String module, String operation, Throwable error) {
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

    /** An init of the module's bundle threw (InitFailureWatcher saw it), outside any load. */
    void initFailed(Bundle bundle, String reason) {
        if (loading.contains(bundle.getBundleId())) {
            return;
        }
        ModuleInfo.of(bundle).ifPresent(i -> crash(i.name(), "init", "init failed: " + reason, reason, "CRASHED"));
    }

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
                for (CharDevice d : e.getValue()) {
                    for (OpenFileImpl f : d.files()) {
                        if (!f.operationInFlight()) {
                            w.seen.remove(f);
                            continue;
                        }
                        long seq = f.operationsEntered();
                        long[] s = w.seen.get(f);
                        if (s == null || s[0] != seq) {
                            w.seen.put(f, new long[] {seq, now});
                        } else if (now - s[1] >= p.watchdogMs() * 1_000_000L) {
                            List<Thread> running = StuckThreads.running(d.ops);
                            if (running.isEmpty()) {
                                s[1] = now; // parked in a kernel wait: normal; look again after another limit
                            } else {
                                w.seen.clear();
                                Thread t = running.get(0);
                                StackTraceElement[] st = t.getStackTrace();
                                crash(e.getKey(), "hang", "an operation on " + d.name() + " has run in the driver for more than "
                                        + p.watchdogMs() + " ms", "'" + t.getName() + "' at " + (st.length == 0 ? "?" : st[0]),
                                        "HUNG");
                                break;
                            }
                        }
                    }
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
    void crash(String module, String kind, String reason, String summary, String topic) {
        Policy p = policy(module);
        Bundle b = ModuleInfo.find(context, module).orElse(null);
        if (b == null || !p.enabled()) {
            return;
        }
        Watch w = watch(module);
        long delay;
        boolean giveUp;
        int restarts;
        synchronized (w) {
            if (w.state != ModuleStatus.State.LIVE && !"init".equals(kind)) {
                return; // already being handled
            }
            if (w.state == ModuleStatus.State.FAILED) {
                return;
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
        }
        core.log("ERROR", module, topic.toLowerCase(java.util.Locale.ROOT) + ": " + reason + " (" + summary + ")", null);
        post(topic, module, kind, reason, restarts, -1);
        if (giveUp) {
            submit(() -> giveUp(b, w, p));
            return;
        }
        // Reserve before the stop takes the devices away, so the numbers are never free.
        core.table().reserve(module);
        submit(() -> {
            stopForRestart(b, w);
            core.log("WARN", module, "restarting in " + delay + " ms (restart " + restarts + ")", null);
            post("RESTARTING", module, kind, reason, restarts, delay);
            synchronized (w) {
                if (w.state == ModuleStatus.State.RESTARTING) {
                    w.pending = threads.schedule(() -> restart(b, w), delay, TimeUnit.MILLISECONDS);
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

    /** Stops the bundle (revoking its devices) and counts the threads left running in its code. */
    private void stopForRestart(Bundle b, Watch w) {
        List<Object> ops = new java.util.ArrayList<>();
        for (Device d : core.devices()) {
            if (d.module().equals(w.name)) {
                ops.add(((CharDevice) d).ops);
            }
        }
        moduleLock.lock();
        try {
            if (b.getState() == Bundle.ACTIVE || b.getState() == Bundle.STARTING) {
                b.stop(Bundle.STOP_TRANSIENT);
            }
        } catch (BundleException | IllegalStateException e) {
            core.log("ERROR", w.name, "stopping for a restart failed: " + e, e);
        } finally {
            moduleLock.unlock();
        }
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

    private void restart(Bundle b, Watch w) {
        String failure;
        moduleLock.lock();
        try {
            synchronized (w) {
                if (w.state != ModuleStatus.State.RESTARTING) {
                    return;
                }
            }
            if (b.getState() == Bundle.UNINSTALLED) {
                return;
            }
            failure = refreshAndStart(b);
        } finally {
            moduleLock.unlock();
        }
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
            crash(w.name, "init", "init failed: " + failure, failure, "CRASHED");
        }
    }

    /** Refresh (a fresh class loader) and start; the init's failure text, or null when it is up. The caller holds moduleLock. */
    String refreshAndStart(Bundle b) {
        try {
            if (b.getState() == Bundle.ACTIVE) {
                b.stop(Bundle.STOP_TRANSIENT);
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
                b.start(Bundle.START_TRANSIENT);
                return ComponentStates.awaitInit(scr, b);
            } finally {
                loading.remove(b.getBundleId());
            }
        } catch (BundleException | IllegalStateException e) {
            return "cannot start (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private void giveUp(Bundle b, Watch w, Policy p) {
        stopForRestart(b, w);
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
     * The caller holds no lock.
     */
    void restartNow(String module) {
        Bundle b = ModuleInfo.find(context, module).orElseThrow(() -> new KernelException(Errno.ENOENT,
                "module " + module + " not found (give a module name from dev:lsmod)"));
        Watch w = watch(module);
        int restarts;
        synchronized (w) {
            if (w.pending != null) {
                w.pending.cancel(false);
            }
            w.restartTimes.clear();
            w.step = 0;
            w.state = ModuleStatus.State.RESTARTING;
            restarts = ++w.restarts;
        }
        if (b.getState() == Bundle.ACTIVE) {
            core.table().reserve(module);
            stopForRestart(b, w);
        }
        post("RESTARTING", module, "manual", "dev:restart", restarts, 0);
        String failure;
        moduleLock.lock();
        try {
            failure = refreshAndStart(b);
        } finally {
            moduleLock.unlock();
        }
        core.table().unreserve(module);
        if (failure != null) {
            synchronized (w) {
                w.state = ModuleStatus.State.FAILED;
                w.lastFailure = new ModuleStatus.Failure("init", "init failed: " + failure, System.currentTimeMillis(), failure);
            }
            try {
                b.stop(Bundle.STOP_TRANSIENT);
            } catch (BundleException | IllegalStateException ignored) {
                // it did not come up; nothing of it runs
            }
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
