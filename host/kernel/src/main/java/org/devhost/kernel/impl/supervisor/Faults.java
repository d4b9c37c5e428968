package org.devhost.kernel.impl.supervisor;

import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleStatus;
import org.osgi.framework.Bundle;

/**
 * Detection of crashes: {@code fault_threshold} operation faults within {@code fault_window_ms}
 * (reported by the character devices through {@code KernelCore}), and an init that throws outside
 * any load (reported by the lifecycle's {@code InitFailureWatcher}; a restart's own failed init is
 * {@link Restarts}' to handle).
 * Each found crash goes to {@link Restarts#crash}. Called on the reporter's thread; never blocks.
 */
final class Faults {
    private final Supervisor s;

    Faults(Supervisor s) {
        this.s = s;
    }

    /** On the caller's thread, after the fault was logged: counts, and declares a crash over the threshold. */
    void driverFault(String module, String operation, Throwable error) {
        Policy p = s.policy(module);
        if (!p.enabled()) {
            return;
        }
        Watch w = s.watch(module);
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
        s.restarts.crash(module, "faults", n + " faults within " + p.faultWindowMs() + " ms (last: " + operation + " threw "
                + org.devhost.kernel.impl.chrdev.ForwardedFault.typeOf(error) + ")", String.valueOf(error), "CRASHED");
    }

    /**
     * The init-failure watcher found a failed init and is about to release what it registered:
     * when this is a crash the supervisor will handle (a live, supervised module, not in a load or
     * a restart of its own), reserve the module's numbers first and say so.
     */
    boolean reserveBeforeReap(Bundle bundle) {
        if (s.loading.contains(bundle.getBundleId()) || bundle.getState() == Bundle.UNINSTALLED) {
            return false;
        }
        String module = ModuleInfo.of(bundle).map(ModuleInfo::name).orElse(null);
        if (module == null || !s.policy(module).enabled()) {
            return false;
        }
        Watch w = s.watches.get(module);
        if (w != null) {
            synchronized (w) {
                if (w.state != ModuleStatus.State.LIVE) {
                    return false;
                }
            }
        }
        s.core.table().reserve(module);
        return true;
    }

    /** An init of the module's bundle threw (the init-failure watcher saw it), outside any load. */
    void initFailed(Bundle bundle, String reason) {
        // A load or a restart waits for its own init and reports it; the watcher sees the same
        // failure later, and counting it twice would skip a back-off step.
        if (s.loading.contains(bundle.getBundleId()) || bundle.getState() == Bundle.UNINSTALLED) {
            return;
        }
        ModuleInfo.of(bundle).ifPresent(i -> s.restarts.crash(i.name(), "init", "init failed: " + reason, reason, "CRASHED"));
    }

    /** The process of an isolated module ended on its own (see Supervision#processEnded), outside any load. */
    void processEnded(Bundle bundle, String reason) {
        if (s.loading.contains(bundle.getBundleId()) || bundle.getState() == Bundle.UNINSTALLED) {
            return;
        }
        ModuleInfo.of(bundle).ifPresent(i -> s.restarts.crash(i.name(), "exit", reason, reason, "CRASHED"));
    }
}
