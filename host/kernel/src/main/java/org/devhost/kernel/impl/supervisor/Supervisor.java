package org.devhost.kernel.impl.supervisor;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.impl.lifecycle.LifecycleSteps;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.Supervision;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.event.EventAdmin;

/**
 * The reincarnation server (MINIX 3 RS, with Erlang/OTP restart intensity): finds a crashed or
 * hung driver module, restarts it with back-off, keeps its numbers while it is down, and gives up
 * when it keeps failing. This component holds what its parts share and is what the rest of the
 * kernel calls; each part says what it does:
 *
 * <ul>
 *   <li>detection: {@link Faults} (operation faults over a threshold, an init that throws) and
 *       {@link Watchdog} (an operation running in the driver too long, a missed heartbeat);
 *   <li>the restart state machine: {@link Restarts} (crash → reserve → stop → back-off → refresh
 *       → start, or give up), its steps on the framework in {@link RestartSteps}, and {@link
 *       RestartByHand} (dev:restart);
 *   <li>policy: {@link Policy} (per module, from {@link SupervisionPolicy} configurations: fault
 *       threshold, watchdog, restart intensity, back-off);
 *   <li>events: {@link Events} (Event Admin topics under {@value Events#TOPIC}).
 * </ul>
 *
 * <p>The layers below tell it what they see through {@link Supervision} (it sets itself on
 * {@link KernelCore} while it runs); the module manager above takes its lock and steps.
 *
 * <p>Thread-safety: each module's {@link Watch} is guarded by itself; every lifecycle step takes
 * {@link #moduleLock}; the parts run on the caller's thread (detection) or the supervisor's two
 * threads (the watchdog, restarts), never blocking a caller that may be inside a driver.
 */
@Component(service = Supervisor.class, immediate = true)
public final class Supervisor implements Supervision {
    static final long TICK_MS = 250;
    public static final String TOPIC = Events.TOPIC;

    /** The lock of every module lifecycle change (load, unload, restart): Linux's module_mutex. */
    public final ReentrantLock moduleLock = new ReentrantLock();
    /** Every framework start and stop of a module's bundle runs through these, under a deadline. */
    public final LifecycleSteps steps;

    final KernelCore core;
    final ServiceComponentRuntime scr;
    final BundleContext context;
    final Map<String, Watch> watches = new ConcurrentHashMap<>();
    /** Bundles a load is waiting for: their init failures are the load's to report, not a crash. */
    final Set<Long> loading = ConcurrentHashMap.newKeySet();
    private final List<SupervisionPolicyConfig> policies = new CopyOnWriteArrayList<>();
    final ScheduledExecutorService threads;

    final Events posts = new Events(() -> this.events);
    final Restarts restarts = new Restarts(this);
    final RestartSteps restartSteps = new RestartSteps(this);
    private final Faults faults = new Faults(this);
    private final RestartByHand byHand = new RestartByHand(this);

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
        boolean satellite = context.getProperty(KernelCore.SATELLITE_PROPERTY) != null;
        if (!satellite) { // in an isolated module's process the host watches, and kills the process
            threads.scheduleWithFixedDelay(new Watchdog(this), TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        }
        // However a module's bundle goes (rmmod, Felix uninstall, the deploy folder), what the
        // supervisor held for it goes too: its reservation and any restart still pending.
        uninstalls = e -> {
            if (e.getType() == BundleEvent.UNINSTALLED) {
                ModuleInfo.of(e.getBundle()).ifPresent(i -> forgetIfBundle(i.name(), e.getBundle()));
            }
        };
        context.addBundleListener(uninstalls);
        if (!satellite) {
            core.supervisor(this);
        }
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

    /** A module's policy, in plain values: its own configuration, else {@code module=*}, else the defaults. */
    Policy policy(String module) {
        return Policy.of(module, policies);
    }

    /**
     * The module's isolation policy ({@code isolation}, {@code isolation.heap}): its own configuration's,
     * else {@code module=*}'s, else empty (what the jar asks; the host's heap).
     *
     * @return {isolation, heap}, each "" when not configured
     */
    public String[] isolation(String module) {
        SupervisionPolicy any = null;
        for (SupervisionPolicyConfig c : policies) {
            if (module.equals(c.policy.module())) {
                return new String[] {c.policy.isolation().trim(), c.policy.isolation_heap().trim()};
            }
            if ("*".equals(c.policy.module())) {
                any = c.policy;
            }
        }
        return any == null ? new String[] {"", ""} : new String[] {any.isolation().trim(), any.isolation_heap().trim()};
    }

    Watch watch(String module) {
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

    // ---- what the layers below report (Supervision), and what the module manager asks ----

    /** From a character device's fault (through KernelCore), on the caller's thread: see {@link Faults}. */
    @Override
    public void driverFault(String module, String operation, Throwable error) {
        faults.driverFault(module, operation, error);
    }

    @Override
    public boolean reserveBeforeReap(Bundle bundle) {
        return faults.reserveBeforeReap(bundle);
    }

    @Override
    public void initFailed(Bundle bundle, String reason) {
        faults.initFailed(bundle, reason);
    }

    @Override
    public void processEnded(Bundle bundle, String reason) {
        faults.processEnded(bundle, reason);
    }

    /** Declares a crash or hang of a live module (see {@link Restarts#crash}). */
    public void crash(String module, String kind, String reason, String summary, String topic) {
        restarts.crash(module, kind, reason, summary, topic);
    }

    /** {@code dev:restart} (see {@link RestartByHand}). */
    public void restartNow(String module) {
        byHand.restartNow(module);
    }
}
