package org.devhost.kernel.impl.supervisor;

import java.util.List;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.impl.lifecycle.ComponentStates;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;

/**
 * {@code dev:restart}: a restart now, whatever the module's state, with its counters started
 * again. Runs on the caller's thread under the module lock, through the same {@link RestartSteps}
 * as an automatic restart; a restart the supervisor had scheduled is overtaken (its generation is
 * bumped) and does nothing. A failed init leaves the module FAILED and says why, with its errno.
 */
final class RestartByHand {
    private final Supervisor s;

    RestartByHand(Supervisor s) {
        this.s = s;
    }

    void restartNow(String module) {
        Bundle b = ModuleInfo.find(s.context, module).orElseThrow(() -> new KernelException(Errno.ENOENT,
                "module " + module + " not found (give a module name from dev:lsmod)"));
        Watch w = s.watch(module);
        s.moduleLock.lock();
        try {
            s.steps.refuseIfStuck(module);
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
                List<Object> ops = s.restartSteps.driverCode(module);
                s.core.table().reserve(module);
                try {
                    s.steps.run(module, "drop", () -> b.stop(Bundle.STOP_TRANSIENT), null);
                } catch (BundleException | IllegalStateException e) {
                    s.core.log("ERROR", module, "stopping for a restart failed: " + e, e);
                } catch (KernelException stuck) {
                    s.restartSteps.failStuck(w, stuck);
                    throw stuck;
                }
                s.restartSteps.countStuck(w, ops);
            }
            s.posts.post("RESTARTING", module, "manual", "dev:restart", restarts, 0);
            String failure = s.restartSteps.refreshAndStart(b);
            s.core.table().unreserve(module);
            if (failure != null) {
                synchronized (w) {
                    w.state = ModuleStatus.State.FAILED;
                    w.lastFailure = new ModuleStatus.Failure("init", "init failed: " + failure, System.currentTimeMillis(), failure);
                }
                try {
                    s.steps.run(module, "drop", () -> b.stop(Bundle.STOP_TRANSIENT), null);
                } catch (BundleException | IllegalStateException | KernelException ignored) {
                    // it did not come up; nothing of it runs (or its step is stuck, and says so)
                }
                s.core.log("ERROR", module, "restart by hand failed: " + failure + "; the module is FAILED", null);
                s.posts.post("FAILED", module, "init", failure, restarts, -1);
                throw new KernelException(ComponentStates.errnoOf(failure), module + ": restart failed: " + failure
                        + "; the module is FAILED");
            }
            synchronized (w) {
                w.state = ModuleStatus.State.LIVE;
                w.liveSinceNanos = System.nanoTime();
            }
            s.core.log("INFO", module, "restarted by hand (restart " + restarts + ")", null);
            s.posts.post("RESTARTED", module, "manual", null, restarts, -1);
        } finally {
            s.moduleLock.unlock();
        }
    }
}
