package org.devhost.hal.impl;

import org.devhost.hal.Hal;
import org.devhost.hal.common.HalConfig;
import org.devhost.hal.common.HalService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@link Hal} service on JNA, configured through Configuration Admin (PID {@code
 * org.devhost.hal}, {@link HalConfig}). Ranked 0: where the FFM backend ({@code
 * org.devhost.hal.ffm}, ranked 100) runs, consumers take that one, and this one stays registered
 * without ever binding JNA's native library.
 */
@Component(service = Hal.class, configurationPid = "org.devhost.hal",
        property = {"service.ranking:Integer=" + JnaSyscalls.RANK, "devhost.hal.backend=jna"})
@Designate(ocd = HalConfig.class)
public final class HalComponent extends HalService {
    @Reference(service = LoggerFactory.class)
    private Logger log;

    public HalComponent() {
        super(new JnaSyscalls());
    }

    @Activate
    @Modified
    void activate(HalConfig config) {
        configure(config, log);
    }
}
