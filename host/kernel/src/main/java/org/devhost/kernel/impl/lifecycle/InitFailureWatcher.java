package org.devhost.kernel.impl.lifecycle;

import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.devhost.kernel.impl.chrdev.ModuleContext;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.Supervision;
import org.osgi.framework.Bundle;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;

/**
 * Cleans up after a driver init that threw.
 *
 * <p>Why this exists: when a component's constructor or activate method throws, SCR logs the error
 * but keeps the services it bound, so the driver's registry instance is never released and what
 * the init registered before throwing would stay. The spec guarantees the error is logged; so on
 * each ERROR logged for a bundle that holds registrations, this asks SCR about the bundle's
 * components, and when one failed to activate and none is active, nothing of the driver runs and
 * everything it registered is released.
 */
@Component(immediate = true)
public final class InitFailureWatcher implements LogListener {
    private static final int CHECKS = 40;
    private static final long CHECK_DELAY_MS = 25;

    private ScheduledExecutorService timer;

    @Reference
    private KernelCore core;

    @Reference
    private ServiceComponentRuntime scr;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addReader(LogReaderService reader) {
        reader.addLogListener(this);
    }

    void removeReader(LogReaderService reader) {
        reader.removeLogListener(this);
    }

    @Activate
    void activate() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "devhost init-failure watcher");
            t.setDaemon(true);
            return t;
        });
    }

    @Deactivate
    void deactivate() {
        timer.shutdownNow();
    }

    @Override
    public void logged(LogEntry entry) {
        if (entry.getLogLevel() != LogLevel.ERROR || entry.getBundle() == null) {
            return;
        }
        Bundle bundle = entry.getBundle();
        ModuleContext module = core.module(bundle);
        Supervision supervisor = core.supervisor();
        if (module == null || (module.registrationCount() == 0 && (supervisor == null
                || !supervisor.supervised(module.name())))) {
            return;
        }
        // SCR logs the error before it records the failed state: look again shortly, a few times.
        Throwable cause = entry.getException();
        String reason = cause == null ? entry.getMessage() : cause.getMessage();
        check(bundle, module, reason, 0);
    }

    private void check(Bundle bundle, ModuleContext module, String reason, int attempt) {
        try {
            timer.schedule(() -> {
                switch (state(bundle)) {
                    case FAILED -> {
                        module.log("ERROR", "init failed: " + reason, null);
                        Supervision s = core.supervisor();
                        // A module the supervisor will restart keeps its numbers: reserve them
                        // before the reap below gives them back to the pool.
                        boolean restarts = s != null && s.reserveBeforeReap(bundle);
                        module.reapAfterFailedInit();
                        if (restarts) {
                            s.initFailed(bundle, reason);
                        }
                    }
                    case UNDECIDED -> {
                        if (attempt < CHECKS) {
                            check(bundle, module, reason, attempt + 1);
                        }
                    }
                    default -> { }
                }
            }, CHECK_DELAY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopping) {
            // the kernel is going down; it releases every module itself
        }
    }

    private enum InitState { ACTIVE, FAILED, UNDECIDED }

    /** FAILED when a component of the bundle failed to activate and none of its components is active. */
    private InitState state(Bundle bundle) {
        boolean failed = false;
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(bundle)) {
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                if (c.state == ComponentConfigurationDTO.ACTIVE) {
                    return InitState.ACTIVE;
                }
                failed |= c.state == ComponentConfigurationDTO.FAILED_ACTIVATION;
            }
        }
        return failed ? InitState.FAILED : InitState.UNDECIDED;
    }
}
