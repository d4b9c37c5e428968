package org.devhost.drivers.scull;

import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.KernelModule;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * LDD3's scull: {@code scull0}..{@code scull3}, memory-backed devices, on a dynamic major, and
 * {@code scullpipe0}..{@code scullpipe3}, blocking FIFOs, on another. Module parameters (PID
 * {@code scull}): {@code scull_quantum}, {@code scull_qset}, {@code scull_nr_devs},
 * {@code scull_p_nr_devs}, {@code scull_p_buffer}; a change reloads the module.
 */
@KernelModule(name = "scull", author = "Alessandro Rubini, Jonathan Corbet",
        description = "Simple Character Utility for Loading Localities (LDD3)", license = "Dual BSD/GPL")
@Component(configurationPid = "scull", immediate = true)
@Designate(ocd = Scull.Config.class)
public final class Scull {

    @ObjectClassDefinition(name = "scull", description = "scull module parameters")
    public @interface Config {
        // Metatype and DS read "__" in a method name as "_": scull__quantum is the parameter scull_quantum.
        @AttributeDefinition(description = "bytes per quantum")
        int scull__quantum() default ScullSettings.DEFAULT_QUANTUM;

        @AttributeDefinition(description = "quanta per quantum set")
        int scull__qset() default ScullSettings.DEFAULT_QSET;

        @AttributeDefinition(description = "number of scull devices")
        int scull__nr__devs() default 4;

        @AttributeDefinition(description = "number of scullpipe devices")
        int scull__p__nr__devs() default 4;

        @AttributeDefinition(description = "bytes in each pipe's buffer")
        int scull__p__buffer() default ScullSettings.DEFAULT_P_BUFFER;
    }

    private final ChrdevRegion scull;
    private final ChrdevRegion pipes;
    private final Logger log;

    @Activate
    public Scull(@Reference DeviceRegistry registry, @Reference(service = LoggerFactory.class) Logger log, Config config) {
        this.log = log;
        ScullSettings settings = new ScullSettings(config.scull__quantum(), config.scull__qset(), config.scull__p__buffer());
        scull = registry.chrdevRegion("scull", DeviceRegistry.DYNAMIC_MAJOR, 0, config.scull__nr__devs());
        for (int i = 0; i < config.scull__nr__devs(); i++) {
            scull.register(new ScullDevice(settings));
        }
        pipes = registry.chrdevRegion("scullpipe", DeviceRegistry.DYNAMIC_MAJOR, 0, config.scull__p__nr__devs());
        for (int i = 0; i < config.scull__p__nr__devs(); i++) {
            pipes.register(new ScullPipe(registry, settings));
        }
        log.info("scull: major {}, scullpipe: major {}, quantum {}, qset {}", scull.major(), pipes.major(),
                settings.quantum(), settings.qset());
    }

    @Deactivate
    void drop() {
        pipes.close();
        scull.close();
        log.info("scull: unloaded");
    }
}
