package org.devhost.drivers.hostdev;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelModule;
import org.devhost.kernel.MiscDevice;
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
 * Brings real host nodes into the registry: each configured {@code name=path} becomes a misc
 * device (dynamic minor) whose operations go to the node through the HAL. Configured with PID
 * {@code hostdev}; a change reloads the driver. A configured node that is absent on this host is
 * skipped with a log line. On unload every real descriptor it opened is closed.
 */
@KernelModule(name = "hostdev", author = "devhost", description = "Real host device nodes as misc devices",
        license = "GPL")
@Component(configurationPid = "hostdev", immediate = true)
@Designate(ocd = HostDev.Config.class)
public final class HostDev {

    @ObjectClassDefinition(name = "hostdev", description = "Host device nodes exposed as misc devices")
    public @interface Config {
        @AttributeDefinition(name = "Nodes", description = "name=path pairs, e.g. host_zero=/dev/zero")
        String[] nodes() default {"host_null=/dev/null", "host_zero=/dev/zero", "host_full=/dev/full",
            "host_urandom=/dev/urandom", "host_kvm=/dev/kvm"};
    }

    private final Logger log;
    private final List<MiscDevice> devices = new ArrayList<>();
    private final Set<DeviceNode> live = ConcurrentHashMap.newKeySet();

    @Activate
    public HostDev(@Reference DeviceRegistry registry, @Reference Hal hal,
            @Reference(service = LoggerFactory.class) Logger log, Config config) {
        this.log = log;
        for (String entry : config.nodes()) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new KernelException(Errno.EINVAL, "hostdev: node '" + entry + "' is not name=path");
            }
            String name = entry.substring(0, eq).trim();
            String path = entry.substring(eq + 1).trim();
            if (!Files.exists(Path.of(path))) {
                log.info("{}: {} is absent on this host; skipped", name, path);
                continue;
            }
            devices.add(registry.registerMisc(name, MiscDevice.DYNAMIC_MINOR, new HostNodeFile(hal, path, live)));
        }
        log.info("hostdev: {} host node(s) registered", devices.size());
    }

    @Deactivate
    void drop() {
        // Closing a registration revokes its files and runs release, which closes each node.
        for (int i = devices.size() - 1; i >= 0; i--) {
            devices.get(i).close();
        }
        // A release still waiting on a hung operation has not closed its node yet: close it now.
        live.forEach(DeviceNode::close);
        live.clear();
        log.info("hostdev: unloaded");
    }
}
