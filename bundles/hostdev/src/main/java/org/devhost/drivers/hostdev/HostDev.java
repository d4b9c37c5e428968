package org.devhost.drivers.hostdev;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.devhost.hal.Hal;
import org.devhost.hal.KnownIoctl;
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
 * skipped with a log line. ioctls: the HAL's table plus each node's configured entries, ENOTTY
 * for the rest ({@link IoctlGate}). On unload every real descriptor it opened is closed, and a call
 * waiting in one (a blocking read, a poll) ends with ENODEV.
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

        @AttributeDefinition(name = "Extra ioctls", description = "Commands forwarded to one node beyond the HAL's"
                + " table (dev:ioctl -l), each name=command:kind[:size]: name a node above, command a number (0x5401 or"
                + " decimal), kind none, value (a number passed as it is), in or out (memory the kernel reads or"
                + " writes), size the bytes of that memory (1 to 16383; it may not be smaller than the HAL knows)."
                + " E.g. host_null=0x2:out:4. Any other command is refused with ENOTTY; the HAL's RefusedIoctls"
                + " (commands that return descriptors, variable-length arguments) cannot be allowed.")
        String[] ioctls() default {};
    }

    private final Logger log;
    private final List<MiscDevice> devices = new ArrayList<>();
    private final OpenNodes nodes = new OpenNodes(ConcurrentHashMap.newKeySet());

    @Activate
    public HostDev(@Reference DeviceRegistry registry, @Reference Hal hal,
            @Reference(service = LoggerFactory.class) Logger log, Config config) {
        this.log = log;
        Map<String, Map<Integer, KnownIoctl>> ioctls = IoctlGate.parse(config.ioctls());
        Map<String, String> paths = new LinkedHashMap<>();
        for (String entry : config.nodes()) {
            int eq = entry.indexOf('=');
            if (eq <= 0 || eq == entry.length() - 1) {
                throw new KernelException(Errno.EINVAL, "hostdev: node '" + entry + "' is not name=path");
            }
            paths.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
        }
        for (String name : ioctls.keySet()) {
            if (!paths.containsKey(name)) {
                throw new KernelException(Errno.EINVAL, "hostdev: ioctls are configured for '" + name
                        + "', which is not one of the nodes " + paths.keySet());
            }
        }
        paths.forEach((name, path) -> {
            if (!Files.exists(Path.of(path))) {
                log.info("{}: {} is absent on this host; skipped", name, path);
                return;
            }
            IoctlGate gate = new IoctlGate(name, ioctls.getOrDefault(name, Map.of()));
            devices.add(registry.registerMisc(name, MiscDevice.DYNAMIC_MINOR, new HostNodeFile(hal, path, nodes, gate)));
        });
        log.info("hostdev: {} host node(s) registered", devices.size());
    }

    @Deactivate
    void drop() {
        // 1. and 2. New opens fail with ENODEV, and every node is closed: a call waiting in one (a
        //    blocking read, a poll) wakes and leaves with ENODEV. This must come before revoking:
        //    revocation waits for the calls in flight, and a call blocked in the host never ends
        //    on its own. A call inside the host's driver (an ioctl that blocks) finishes first;
        //    the HAL closes each descriptor when its last call returns.
        nodes.closeAll();
        // 3. Closing a registration revokes its files and runs release (closing a closed node is
        //    a no-op); new calls get the kernel's ENODEV.
        for (int i = devices.size() - 1; i >= 0; i--) {
            devices.get(i).close();
        }
        log.info("hostdev: unloaded");
    }
}
