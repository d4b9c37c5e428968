package org.devhost.shell;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code insmod} and {@code rmmod}: the kernel's {@link ModuleManager} behind shell syntax. The
 * shell only parses arguments and prints; every lifecycle rule (EEXIST first, parameters before
 * init, rollback, in-use checks, forced unload) is the manager's, the same for every caller.
 */
@Component(service = ModuleCommands.class, property = {
        "osgi.command.scope=dev",
        "osgi.command.function=insmod",
        "osgi.command.function=rmmod",
        "osgi.command.function=restart"})
public final class ModuleCommands {
    private final DeviceRegistry registry;
    private final ModuleManager modules;

    @Activate
    public ModuleCommands(@Reference DeviceRegistry registry, @Reference ModuleManager modules) {
        this.registry = registry;
        this.modules = modules;
    }

    @Descriptor("load a driver module: install and start its jar, with parameters applied before init runs")
    public String insmod(
            @Descriptor("SHA-256 the jar must have (required for a remote URL)")
            @Parameter(names = {"--sha256"}, absentValue = "") String sha256,
            @Descriptor("run the module in a JVM process of its own, killed and restarted by the supervisor")
            @Parameter(names = {"--isolated"}, presentValue = "true", absentValue = "false") boolean isolated,
            @Descriptor("the driver's jar: a local path, or a URL with --sha256") String jar,
            @Descriptor("module parameters, name=value") String... parameters) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String p : parameters) {
            int eq = p == null ? -1 : p.indexOf('=');
            if (eq <= 0) {
                throw new KernelException(Errno.EINVAL, "dev:insmod: parameter '" + p + "' is not name=value");
            }
            values.put(p.substring(0, eq), p.substring(eq + 1));
        }
        ModuleStatus loaded;
        try {
            loaded = modules.load(jar, values, sha256, isolated);
        } catch (KernelException e) {
            throw Failure.detailed("insmod", e);
        }
        StringBuilder sb = new StringBuilder(loaded.name() + ": loaded (bundle " + loaded.bundleId() + ")");
        for (Device d : registry.devices()) {
            if (d.module().equals(loaded.name())) {
                sb.append('\n').append(String.format("  %-16s %s %s", d.name(), d.type().label(), d.number()));
            }
        }
        return sb.toString();
    }

    @Descriptor("restart a driver module now (a fresh instance and class loader; its open files get ENODEV); brings a FAILED module back")
    public String restart(@Descriptor("module name, as dev:lsmod shows it") String module) {
        try {
            modules.restart(module);
        } catch (KernelException e) {
            throw Failure.detailed("restart", e);
        }
        return module + ": restarted";
    }

    @Descriptor("unload a driver module; refused while its devices are open or other modules use it, unless -f")
    public void rmmod(
            @Descriptor("unload even when in use: open files are revoked and then fail with ENODEV")
            @Parameter(names = {"-f", "--force"}, presentValue = "true", absentValue = "false") boolean force,
            @Descriptor("module name, as dev:lsmod shows it") String module) {
        try {
            modules.unload(module, force);
        } catch (KernelException e) {
            throw Failure.detailed("rmmod", e);
        }
    }
}
