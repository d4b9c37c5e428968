package org.devhost.hal.ffm;

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
 * The {@link Hal} service on the FFM API, with the same configuration (PID {@code org.devhost.hal},
 * {@link HalConfig}) as the JNA one. Ranked 100, above JNA's 0: a consumer that asks for a {@code
 * Hal} gets the highest-ranked one, so on JDK 22+ every consumer takes this backend without
 * knowing it exists, and if this bundle stops, DS rebinds them to the JNA HAL.
 */
@Component(service = Hal.class, configurationPid = "org.devhost.hal",
        property = {"service.ranking:Integer=" + FfmSyscalls.RANK, "devhost.hal.backend=ffm"})
@Designate(ocd = HalConfig.class)
public final class FfmHalComponent extends HalService {
    @Reference(service = LoggerFactory.class)
    private Logger log;

    public FfmHalComponent() {
        super(new FfmSyscalls());
    }

    @Activate
    @Modified
    void activate(HalConfig config) {
        configure(config, log);
    }
}
