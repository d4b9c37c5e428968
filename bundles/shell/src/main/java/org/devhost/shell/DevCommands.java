package org.devhost.shell;

import java.io.File;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.felix.service.command.Descriptor;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.Operation;
import org.devhost.kernel.Region;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code dev} commands. Each returns its text (Gogo prints it) or throws a
 * {@link org.devhost.kernel.KernelException}, which Gogo reports as the command's failure.
 */
@Component(service = DevCommands.class, property = {
        "osgi.command.scope=dev",
        "osgi.command.function=ls",
        "osgi.command.function=majors",
        "osgi.command.function=lsmod"})
public final class DevCommands {
    private final DeviceRegistry registry;
    private final BundleContext context;

    @Activate
    public DevCommands(@Reference DeviceRegistry registry, BundleContext context) {
        this.registry = registry;
        this.context = context;
    }

    @Descriptor("list devices: name, type, major:minor, owning module, open files, implemented operations")
    public String ls() {
        return ls("*");
    }

    @Descriptor("list the devices whose name matches a glob pattern")
    public String ls(@Descriptor("glob pattern, e.g. rust_*") String pattern) {
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + stripDev(pattern));
        Table t = new Table("NAME", "TYPE", "DEVICE", "MODULE", ">OPEN", "OPS");
        for (Device d : registry.devices()) {
            if (m.matches(Path.of(d.name()))) {
                t.row(d.name(), d.type().label(), d.number(), d.module(), d.openCount(), ops(d));
            }
        }
        return t.toString();
    }

    @Descriptor("show reserved device numbers as /proc/devices does")
    public String majors() {
        StringBuilder sb = new StringBuilder("Character devices:");
        for (Region r : registry.regions()) {
            sb.append('\n').append(String.format("%3d %s", r.major(), r.name()));
        }
        return sb.toString();
    }

    @Descriptor("list loaded driver modules as lsmod does: name, size, use count and dependent modules")
    public String lsmod() {
        Map<String, Integer> openByModule = new TreeMap<>();
        for (Device d : registry.devices()) {
            openByModule.merge(d.module(), d.openCount(), Integer::sum);
        }
        StringBuilder sb = new StringBuilder(String.format("%-19s %8s  %s", "Module", "Size", "Used by"));
        for (Bundle b : context.getBundles()) {
            Optional<ModuleInfo> info = ModuleInfo.of(b);
            if (info.isEmpty() || b.getState() != Bundle.ACTIVE) {
                continue;
            }
            String name = info.get().name();
            List<String> users = dependents(b);
            int used = openByModule.getOrDefault(name, 0) + users.size();
            sb.append('\n').append(String.format("%-19s %8d  %d%s", name, size(b), used,
                    users.isEmpty() ? "" : " " + String.join(",", users)));
        }
        return sb.toString();
    }

    static String stripDev(String name) {
        return name.startsWith("/dev/") ? name.substring(5) : name;
    }

    private static String ops(Device d) {
        return d.operations().stream().map(Operation::methodName).collect(Collectors.joining(","));
    }

    /** Modules wired to packages this bundle exports (the "Used by" list). */
    private static List<String> dependents(Bundle b) {
        List<String> names = new ArrayList<>();
        BundleWiring w = b.adapt(BundleWiring.class);
        if (w != null) {
            for (BundleWire wire : w.getProvidedWires(null)) {
                String n = ModuleInfo.nameOf(wire.getRequirer().getBundle());
                if (!names.contains(n) && wire.getRequirer().getBundle() != b) {
                    names.add(n);
                }
            }
        }
        return names;
    }

    /** The bundle's jar size in bytes, when it was installed from a file. */
    private static long size(Bundle b) {
        try {
            String loc = b.getLocation();
            if (loc.startsWith("reference:")) {
                loc = loc.substring("reference:".length());
            }
            if (loc.startsWith("file:")) {
                return new File(URI.create(loc)).length();
            }
        } catch (RuntimeException unreadable) {
            // a location that is not a plain file URL has no size we can tell
        }
        return 0;
    }
}
