package org.devhost.shell;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.DeviceType;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.ModuleParameters;
import org.devhost.kernel.Operation;
import org.devhost.kernel.Region;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The {@code dev} commands that look: {@code ls}, {@code majors}, {@code misc}, {@code lsmod},
 * {@code modinfo}, {@code stat}, {@code dmesg}. Each returns its text, which Gogo prints.
 */
@Component(service = InspectCommands.class, property = {
        "osgi.command.scope=dev",
        "osgi.command.function=ls",
        "osgi.command.function=majors",
        "osgi.command.function=misc",
        "osgi.command.function=lsmod",
        "osgi.command.function=modinfo",
        "osgi.command.function=health",
        "osgi.command.function=stat",
        "osgi.command.function=dmesg",
        "osgi.command.function=devices",
        "osgi.command.function=modules"})
public final class InspectCommands {
    private final DeviceRegistry registry;
    private final KernelLog log;
    private final ModuleParameters params;
    private final ModuleManager modules;
    private final BundleContext context;

    @Activate
    public InspectCommands(@Reference DeviceRegistry registry, @Reference KernelLog log,
            @Reference ModuleParameters params, @Reference ModuleManager modules, BundleContext context) {
        this.registry = registry;
        this.log = log;
        this.params = params;
        this.modules = modules;
        this.context = context;
    }

    @Descriptor("list devices: name, type, mode (as ls -l shows it), major:minor, owning module, open files, implemented operations, and the file under devfs while it is mounted")
    public String ls() {
        return ls("*");
    }

    @Descriptor("list the devices whose name matches a glob pattern")
    public String ls(@Descriptor("glob pattern, e.g. rust_* or /dev/scull?") String pattern) {
        Devices.named("ls", pattern);
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + Devices.stripDev(pattern));
        String files = devfsMount();
        Table t = files == null ? new Table("NAME", "TYPE", "MODE", "DEVICE", "MODULE", ">OPEN", "OPS")
                : new Table("NAME", "TYPE", "MODE", "DEVICE", "MODULE", ">OPEN", "OPS", "FILE");
        java.util.Map<String, String> owners = new java.util.HashMap<>();
        for (Device d : registry.devices()) {
            if (m.matches(Path.of(d.name()))) {
                // an isolated module's devices name their process as syslog names a program: module[pid]
                String owner = owners.computeIfAbsent(d.module(),
                        mod -> modules.process(mod).map(p -> mod + "[" + p.pid() + "]").orElse(mod));
                if (files == null) {
                    t.row(d.name(), d.type().label(), Device.modeString(d.mode()), d.number(), owner, d.openCount(), ops(d));
                } else {
                    t.row(d.name(), d.type().label(), Device.modeString(d.mode()), d.number(), owner, d.openCount(), ops(d),
                            files + "/" + d.name());
                }
            }
        }
        return t.toString();
    }

    /**
     * Where devfs shows the devices as files, or null when it is not mounted: the property of the
     * service devfs registers while mounted (the shell needs no devfs package for it).
     */
    private String devfsMount() {
        try {
            org.osgi.framework.ServiceReference<?>[] refs =
                    context.getServiceReferences((String) null, "(devhost.devfs.mount=*)");
            return refs == null ? null : String.valueOf(refs[0].getProperty("devhost.devfs.mount"));
        } catch (org.osgi.framework.InvalidSyntaxException | IllegalStateException e) {
            return null;
        }
    }

    @Descriptor("reserved character device numbers, as /proc/devices shows them")
    public String majors() {
        StringBuilder sb = new StringBuilder("Character devices:");
        for (Region r : registry.regions()) {
            sb.append('\n').append(String.format("%3d %s", r.major(), r.name()));
        }
        return sb.toString();
    }

    @Descriptor("misc devices (major 10) by minor, as /proc/misc shows them")
    public String misc() {
        return registry.devices().stream().filter(d -> d.type() == DeviceType.MISC)
                .sorted(Comparator.comparing(Device::number))
                .map(d -> String.format("%3d %s", d.number().minor(), d.name()))
                .collect(Collectors.joining("\n"));
    }

    @Descriptor("loaded driver modules, as lsmod shows them: name, size, state (live, restarting, failed), restarts by the supervisor, use count and users")
    public String lsmod() {
        List<ModuleStatus> rows = modules.modules().stream().filter(m -> m.state() != ModuleStatus.State.STOPPED).toList();
        // lsmod's layout ("%-19s %8s  %s"), with the name column widened to the longest name, and
        // the supervisor's STATE and RESTARTS before "Used by" (which stays last: its list is open-ended)
        int w = Math.max(19, rows.stream().mapToInt(m -> m.name().length()).max().orElse(0));
        String format = "%-" + w + "s %8s  %-10s %8s  %s";
        StringBuilder sb = new StringBuilder(String.format(format, "Module", "Size", "State", "Restarts", "Used by"));
        for (ModuleStatus m : rows) {
            sb.append('\n').append(String.format(format, m.name(), m.size(), m.state().label(), m.restarts(),
                    m.useCount() + (m.users().isEmpty() ? "" : " " + String.join(",", m.users()))));
            modules.process(m.name()).ifPresent(p -> sb.append("  [isolated: ").append(p.summary()).append(']'));
        }
        return sb.toString();
    }

    @Descriptor("the supervisor's health summary: modules live, restarting, failed, threads stuck in drivers, and the modules that need attention")
    public String health() {
        ModuleManager.Health h = modules.health();
        StringBuilder sb = new StringBuilder(String.format("%s: %d live, %d restarting, %d failed, %d stuck thread(s)",
                h.healthy() ? "healthy" : "unhealthy", h.live(), h.restarting(), h.failed(), h.stuckThreads()));
        for (ModuleStatus m : h.attention()) {
            sb.append('\n').append(String.format("  %-20s %-10s restarts %d, stuck %d%s", m.name(), m.state().label(),
                    m.restarts(), m.stuckThreads(), m.lastFailure() == null ? "" : "; last: " + m.lastFailure().reason()));
        }
        return sb.toString();
    }

    @Descriptor("show a module's metadata and parameters, as modinfo does")
    public String modinfo(@Descriptor("module name or bundle id") String module) {
        ModuleStatus m;
        try {
            m = modules.module(module);
        } catch (KernelException e) {
            throw Failure.detailed("modinfo", e);
        }
        ModuleInfo info = m.info();
        StringBuilder sb = new StringBuilder();
        line(sb, "filename", m.location());
        line(sb, "name", info.name());
        line(sb, "author", info.author());
        line(sb, "description", info.description());
        line(sb, "license", info.license());
        for (String a : info.alias()) {
            line(sb, "alias", a);
        }
        line(sb, "version", m.version());
        line(sb, "bundle", m.symbolicName() + " (" + m.bundleId() + ")");
        line(sb, "state", m.state().label() + (m.supervised() ? ", supervised" : ", not supervised"));
        line(sb, "process", modules.process(info.name()).map(p -> "isolated, " + p.summary()).orElse(""));
        line(sb, "restarts", m.restarts() == 0 ? "" : String.valueOf(m.restarts()));
        line(sb, "stuck threads", m.stuckThreads() == 0 ? "" : String.valueOf(m.stuckThreads()));
        if (m.lastFailure() != null) {
            ModuleStatus.Failure f = m.lastFailure();
            line(sb, "last failure", f.kind() + " at " + java.time.Instant.ofEpochMilli(f.timeMillis()) + ": " + f.reason());
            line(sb, "failure detail", f.summary());
        }
        for (ModuleParameters.Parameter p : params.describe(info.name())) {
            line(sb, "parm", p.name() + ":" + p.description() + " (" + p.type() + ")" + (p.readonly() ? " read-only" : ""));
        }
        return sb.toString().stripTrailing();
    }

    private static void line(StringBuilder sb, String key, String value) {
        if (value != null && !value.isEmpty()) {
            sb.append(String.format("%-16s%s%n", key + ":", value));
        }
    }

    @Descriptor("show a device: type, mode, number in both dev_t encodings, module, open files, operations")
    public String stat(@Descriptor("device: name, /dev/name or major:minor") String device) {
        Devices.named("stat", device);
        Device d;
        try {
            d = Devices.find(registry, device);
        } catch (KernelException e) {
            throw Failure.of("stat", Devices.shown(device), e);
        }
        return String.join("\n",
                "  Device: /dev/" + d.name(),
                "    Type: " + d.type().label() + " (character device)",
                "    Mode: 0" + Integer.toOctalString(d.mode()) + " (" + Device.modeString(d.mode()) + ")",
                "  Number: " + d.number() + " (major " + d.number().major() + ", minor " + d.number().minor() + ")",
                "   dev_t: user 0x" + Long.toHexString(d.number().userEncoding()) + " (stat, makedev), kernel 0x"
                        + Integer.toHexString(d.number().kernelEncoding()) + " (MKDEV)",
                "  Module: " + d.module(),
                "    Open: " + d.openCount(),
                "     Ops: " + ops(d));
    }

    @Descriptor("print the kernel log ring buffer, as dmesg does")
    public String dmesg(
            @Descriptor("only lines at these levels: emerg, alert, crit, err, warn, notice, info, debug (comma-separated)")
            @Parameter(names = {"-l", "--level"}, absentValue = "") String levels,
            @Descriptor("clear the ring after printing")
            @Parameter(names = {"-c", "--read-clear"}, presentValue = "true", absentValue = "false") boolean clear) {
        List<KernLevel> wanted = new ArrayList<>();
        if (!levels.isEmpty()) {
            for (String l : levels.split(",")) {
                try {
                    wanted.add(KernLevel.parse(l.trim()));
                } catch (KernelException e) {
                    throw Failure.detailed("dmesg", e);
                }
            }
        }
        List<LogLine> lines = clear ? log.readClear() : log.lines();
        return lines.stream().filter(l -> wanted.isEmpty() || wanted.contains(l.level()))
                .map(LogLine::toString).collect(Collectors.joining("\n"));
    }

    @Descriptor("names of the registered devices (the console completes device arguments with them)")
    public List<String> devices() {
        return registry.devices().stream().map(Device::name).sorted().collect(Collectors.toList());
    }

    @Descriptor("names of the installed driver modules (the console completes module arguments with them)")
    public List<String> modules() {
        return modules.modules().stream().map(ModuleStatus::name).toList();
    }


    static String ops(Device d) {
        return d.operations().stream().map(Operation::methodName).collect(Collectors.joining(","));
    }
}
