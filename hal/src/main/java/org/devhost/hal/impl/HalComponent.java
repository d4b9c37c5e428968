package org.devhost.hal.impl;

import java.util.List;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The {@link Hal} service, configured through Configuration Admin (PID {@code org.devhost.hal}):
 * {@code allowed_prefixes} (the allowlist) and {@code unsafe} (lifts the denylist). A change takes
 * effect for later opens; nodes open already stay open. Thread-safe: the configuration is one
 * immutable {@link HostHal} swapped whole.
 */
@Component(service = Hal.class, configurationPid = "org.devhost.hal")
@Designate(ocd = HalComponent.Config.class)
public final class HalComponent implements Hal {

    @ObjectClassDefinition(name = "devhost HAL", description = "Which host device nodes the HAL may open. Whatever the"
            + " allowlist says, nodes that can hurt the machine are refused unless 'unsafe' is set: /dev/mem, /dev/kmem,"
            + " /dev/port, /dev/watchdog*, disks and raw SCSI (/dev/sd*, /dev/sg*, /dev/nvme*, /dev/vd*, /dev/hd*,"
            + " /dev/xvd*, /dev/mmcblk*, /dev/bsg/), flash (/dev/mtd*), /dev/cpu/*/msr and /dev/snapshot, by name (also"
            + " after following links) and by device number.")
    public @interface Config {
        @AttributeDefinition(name = "Allowed paths", description = "Nodes the HAL may open, each a folder ending in '/'"
                + " (everything under it), a pattern where '*' stands for any characters but '/', or an exact path."
                + " Default: /dev/null, zero, full, random, urandom, ptmx, pts/, kvm, loop-control, fuse, net/tun,"
                + " rtc, rtc*, gpiochip*, i2c-*, spidev*, input/event*, ttyS*, ttyUSB*, ttyACM*")
        String[] allowed_prefixes() default {
            "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
            "/dev/ptmx", "/dev/pts/",
            "/dev/kvm", "/dev/loop-control", "/dev/fuse", "/dev/net/tun",
            "/dev/rtc", "/dev/rtc*", "/dev/gpiochip*", "/dev/i2c-*", "/dev/spidev*", "/dev/input/event*",
            "/dev/ttyS*", "/dev/ttyUSB*", "/dev/ttyACM*"};

        @AttributeDefinition(name = "Unsafe", description = "Lift the denylist of nodes that can hurt the machine"
                + " (physical memory, watchdogs, disks, flash, MSRs). Only on a machine you are ready to lose;"
                + " logged as an error while it is on.")
        boolean unsafe() default false;
    }

    @Reference(service = LoggerFactory.class)
    private Logger log;

    private volatile HostHal hal;

    @Activate
    @Modified
    void configure(Config config) {
        HostHal h = new HostHal(List.of(config.allowed_prefixes()), config.unsafe());
        if (h.unsafe()) {
            log.error("HAL UNSAFE MODE: the denylist is lifted; /dev/mem, watchdogs, disks, flash and MSRs can be"
                    + " opened through {} (configuration org.devhost.hal, unsafe=true)", h.allowedPrefixes());
        }
        hal = h;
    }

    @Override
    public DeviceNode open(String path, int flags) {
        return hal.open(path, flags);
    }

    @Override
    public org.devhost.hal.FuseChannel mountFuse(String name, String mountPoint, boolean allowOther) {
        return FuseMounts.mount(name, mountPoint, allowOther);
    }

    @Override
    public List<String> allowedPrefixes() {
        return hal.allowedPrefixes();
    }
}
