package org.devhost.hal.common;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The HAL's configuration (PID {@code org.devhost.hal}), the same for every backend: whichever
 * backend serves, the allowlist and the unsafe switch mean the same.
 */
@ObjectClassDefinition(name = "devhost HAL", description = "Which host device nodes the HAL may open. Whatever the"
        + " allowlist says, nodes that can hurt the machine are refused unless 'unsafe' is set: /dev/mem, /dev/kmem,"
        + " /dev/port, /dev/watchdog*, disks and raw SCSI (/dev/sd*, /dev/sg*, /dev/nvme*, /dev/vd*, /dev/hd*,"
        + " /dev/xvd*, /dev/mmcblk*, /dev/bsg/), flash (/dev/mtd*), /dev/cpu/*/msr and /dev/snapshot, by name (also"
        + " after following links) and by device number.")
public @interface HalConfig {
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
