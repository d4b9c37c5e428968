package org.devhost.kernel.impl.supervisor;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.devhost.kernel.Device;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.impl.chrdev.CharDevice;
import org.devhost.kernel.impl.chrdev.StuckThreads;
import org.devhost.kernel.impl.lifecycle.ComponentStates;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * The steps of one restart on the framework, each through the lifecycle's deadline ({@code
 * LifecycleSteps}): the stop, which revokes the devices as an unload does (open files ENODEV,
 * blocked callers woken, stuck threads abandoned after the revoke timeout and counted), and the
 * refresh and start.
 *
 * <p>Refresh, not update: it throws the old class loader away and makes a new one from the
 * revision already installed, so the bytes that run are the bytes that were checked at insmod (an
 * update would fetch the location again, past a pinned SHA-256); its statics start fresh. Bundles
 * wired to the module are refreshed with it, as the framework must.
 */
final class RestartSteps {
    private final Supervisor s;

    RestartSteps(Supervisor s) {
        this.s = s;
    }

    /** The operations objects of the module's devices: whose code a thread left running there is in. */
    List<Object> driverCode(String module) {
        List<Object> ops = new java.util.ArrayList<>();
        for (Device d : s.core.devices()) {
            if (d.module().equals(module)) {
                ops.add(((CharDevice) d).ops);
            }
        }
        return ops;
    }

    /**
     * Stops the bundle (revoking its devices) and counts the threads left running in its code.
     *
     * @return false when the step was overtaken (see {@link Restarts#overtaken}) and nothing was done
     */
    boolean stopForRestart(Bundle b, Watch w, int gen) {
        List<Object> ops = driverCode(w.name);
        s.moduleLock.lock();
        try {
            if (s.restarts.overtaken(b, w, gen)) {
                return false;
            }
            if (b.getState() == Bundle.ACTIVE || b.getState() == Bundle.STARTING) {
                s.steps.run(w.name, "drop", () -> b.stop(Bundle.STOP_TRANSIENT), null);
            }
        } catch (BundleException | IllegalStateException e) {
            s.core.log("ERROR", w.name, "stopping for a restart failed: " + e, e);
        } catch (KernelException stuck) {
            failStuck(w, stuck);
            return false;
        } finally {
            s.moduleLock.unlock();
        }
        countStuck(w, ops);
        return true;
    }

    /**
     * A drop past its deadline (or refused while an earlier step is stuck): no restart can follow
     * it, so the module is FAILED with that reason and what was reserved for its restart goes.
     * dev:restart brings it back once the step has returned. The caller holds the module lock.
     */
    void failStuck(Watch w, KernelException stuck) {
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
        s.core.table().unreserve(w.name);
        s.core.log("ERROR", w.name, "failed: " + stuck.getMessage(), null);
        s.posts.post("FAILED", w.name, "stuck", stuck.getMessage(), restarts, -1);
    }

    /** Counts (once each) the threads still running in the code of {@code ops} after a stop: abandoned. */
    void countStuck(Watch w, List<Object> ops) {
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
            s.core.log("WARN", w.name, abandoned + " thread(s) abandoned in the driver's code (a Java thread cannot be stopped)", null);
        }
    }

    /** Refresh (a fresh class loader) and start; the init's failure text, or null when it is up. The caller holds the module lock. */
    String refreshAndStart(Bundle b) {
        String module = ModuleInfo.nameOf(b);
        try {
            if (b.getState() == Bundle.ACTIVE) {
                s.steps.run(module, "drop", () -> b.stop(Bundle.STOP_TRANSIENT), null);
            }
            CountDownLatch refreshed = new CountDownLatch(1);
            s.context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(b),
                    ev -> {
                        if (ev.getType() == FrameworkEvent.PACKAGES_REFRESHED || ev.getType() == FrameworkEvent.ERROR) {
                            refreshed.countDown();
                        }
                    });
            if (!refreshed.await(ModuleManager.INIT_WAIT_MS, TimeUnit.MILLISECONDS)) {
                return "the framework did not refresh the bundle within " + ModuleManager.INIT_WAIT_MS + " ms";
            }
            s.loading.add(b.getBundleId());
            try {
                s.steps.run(module, "init", () -> b.start(Bundle.START_TRANSIENT), null);
                return ComponentStates.awaitInit(s.scr, b);
            } finally {
                s.loading.remove(b.getBundleId());
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
}
