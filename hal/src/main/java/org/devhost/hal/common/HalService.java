package org.devhost.hal.common;

import java.util.List;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.FuseChannel;
import org.devhost.hal.Hal;
import org.osgi.service.log.Logger;

/**
 * What each backend's {@code Hal} component does, once: takes the configuration ({@link
 * HalConfig}) and serves through a {@link HostHal} on the backend's {@link Syscalls}. A backend's
 * component is a subclass that adds only its DS annotations, its {@code service.ranking} and its
 * syscalls. Thread-safe: the configuration is one immutable {@link HostHal} swapped whole; a
 * change takes effect for later opens, nodes open already stay open.
 *
 * <p>Constructing one binds nothing native: a backend's library is bound at its first call, so a
 * registered backend that no consumer picks costs nothing.
 */
public abstract class HalService implements Hal {
    private final Syscalls sys;
    private volatile HostHal hal;

    protected HalService(Syscalls sys) {
        this.sys = sys;
    }

    /** Applies a configuration (activation or change); called by the subclass's {@code @Activate @Modified} method. */
    protected final void configure(HalConfig config, Logger log) {
        HostHal current = hal;
        List<String> allowed = List.of(config.allowed_prefixes());
        HostHal h = current == null ? new HostHal(allowed, config.unsafe(), sys) : current.reconfigured(allowed, config.unsafe());
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
    public FuseChannel mountFuse(String name, String mountPoint, boolean allowOther) {
        return hal.mountFuse(name, mountPoint, allowOther);
    }

    @Override
    public List<String> allowedPrefixes() {
        return hal.allowedPrefixes();
    }

    @Override
    public void sendDatagram(String socketPath, java.nio.ByteBuffer message) {
        hal.sendDatagram(socketPath, message);
    }
}
