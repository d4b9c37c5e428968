package org.devhost.kernel.impl;

import org.osgi.framework.Bundle;
import org.osgi.service.component.annotations.Component;
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

    @Override
    public void logged(LogEntry entry) {
        if (entry.getLogLevel() != LogLevel.ERROR || entry.getBundle() == null) {
            return;
        }
        Bundle bundle = entry.getBundle();
        ModuleContext module = core.module(bundle);
        if (module == null || module.registrationCount() == 0 || !initFailed(bundle)) {
            return;
        }
        Throwable cause = entry.getException();
        module.log("ERROR", "init failed: " + (cause == null ? entry.getMessage() : cause.getMessage()), null);
        module.reapAfterFailedInit();
    }

    /** True when a component of the bundle failed to activate and none of its components is active. */
    private boolean initFailed(Bundle bundle) {
        boolean failed = false;
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(bundle)) {
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                if (c.state == ComponentConfigurationDTO.ACTIVE) {
                    return false;
                }
                failed |= c.state == ComponentConfigurationDTO.FAILED_ACTIVATION;
            }
        }
        return failed;
    }
}
