package org.devhost.hal.impl;

import java.util.List;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The {@link Hal} service, configured through Configuration Admin (PID {@code org.devhost.hal}). */
@Component(service = Hal.class, configurationPid = "org.devhost.hal")
@Designate(ocd = HalComponent.Config.class)
public final class HalComponent implements Hal {

    @ObjectClassDefinition(name = "devhost HAL", description = "Which host paths the HAL may open")
    public @interface Config {
        @AttributeDefinition(name = "Allowed prefixes", description = "Absolute folders, each ending in '/'")
        String[] allowed_prefixes() default {"/dev/"};
    }

    private volatile HostHal hal;

    @Activate
    @Modified
    void configure(Config config) {
        hal = new HostHal(List.of(config.allowed_prefixes()));
    }

    @Override
    public DeviceNode open(String path, int flags) {
        return hal.open(path, flags);
    }

    @Override
    public List<String> allowedPrefixes() {
        return hal.allowedPrefixes();
    }
}
