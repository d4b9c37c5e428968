package org.devhost.shell;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleParameters;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * {@code insmod} and {@code rmmod}: Felix's install/start/stop/uninstall with the kernel's rules.
 * One at a time (as Linux's module mutex): the check that a module is not loaded and its install
 * must not interleave with another load of the same jar.
 * insmod applies parameters before init runs and takes back everything when the load fails;
 * rmmod refuses a module in use unless forced.
 */
@Component(service = ModuleCommands.class, property = {
        "osgi.command.scope=dev",
        "osgi.command.function=insmod",
        "osgi.command.function=rmmod"})
public final class ModuleCommands {
    /** How long insmod waits for the module's init to finish. */
    static final long INIT_WAIT_MS = 10_000;
    /** What {@link #awaitInit} returns when an init is still running at its deadline. */
    static final String STILL_RUNNING = "still running after " + INIT_WAIT_MS / 1000 + " s";
    private static final Pattern ERRNO = Pattern.compile("\\((E[A-Z]+)\\)");

    private final DeviceRegistry registry;
    private final ModuleParameters params;
    private final ServiceComponentRuntime scr;
    private final BundleContext context;

    @Activate
    public ModuleCommands(@Reference DeviceRegistry registry, @Reference ModuleParameters params,
            @Reference ServiceComponentRuntime scr, BundleContext context) {
        this.registry = registry;
        this.params = params;
        this.scr = scr;
        this.context = context;
    }

    @Descriptor("load a driver module: install and start its jar, with parameters applied before init runs")
    public synchronized String insmod(
            @Descriptor("SHA-256 the jar must have (required for a remote URL)")
            @Parameter(names = {"--sha256"}, absentValue = "") String sha256,
            @Descriptor("the driver's jar: a local path, or a URL with --sha256") String jar,
            @Descriptor("module parameters, name=value") String... parameters) throws InterruptedException {
        Map<String, String> values = new LinkedHashMap<>();
        for (String p : parameters) {
            int eq = p == null ? -1 : p.indexOf('=');
            if (eq <= 0) {
                throw new KernelException(Errno.EINVAL, "dev:insmod: parameter '" + p + "' is not name=value");
            }
            values.put(p.substring(0, eq), p.substring(eq + 1));
        }
        DriverJar driver = DriverJar.read(jar, sha256);
        // Refuse before touching anything: installing the same location again would hand back the
        // running bundle, and a failing load would then unload the module the user already had.
        Bundle same = java.util.Arrays.stream(context.getBundles()).filter(driver::isInstalledAs).findFirst().orElse(null);
        if (same != null) {
            throw new KernelException(Errno.EEXIST, "dev:insmod: " + jar + " is already loaded as "
                    + ModuleInfo.of(same).map(i -> "module " + i.name()).orElse("bundle " + same.getSymbolicName())
                    + " (bundle " + same.getBundleId() + "); unload it first (dev:rmmod)");
        }
        Bundle b;
        try {
            b = context.installBundle(driver.location(), driver.stream());
        } catch (BundleException e) {
            throw new KernelException(e.getType() == BundleException.DUPLICATE_BUNDLE_ERROR ? Errno.EEXIST : Errno.EINVAL,
                    "dev:insmod: " + jar + ": cannot install it (" + e.getMessage() + ")");
        }
        String module = null;
        Map<String, Object> before = null;
        try {
            Optional<ModuleInfo> info = ModuleInfo.of(b);
            if (b.getSymbolicName() == null || info.isEmpty()) {
                throw new KernelException(Errno.EINVAL, "dev:insmod: " + jar + ": "
                        + (b.getSymbolicName() == null ? "not an OSGi bundle" : "bundle " + b.getSymbolicName()
                        + " is not a driver module (no @KernelModule)") + "; nothing was loaded");
            }
            String name = info.get().name();
            Optional<Bundle> other = otherBundleOf(name, b);
            if (other.isPresent()) {
                throw new KernelException(Errno.EEXIST, "dev:insmod: module " + name + " is already loaded (bundle "
                        + other.get().getBundleId() + ", " + other.get().getLocation() + "); unload it first (dev:rmmod "
                        + name + ")");
            }
            before = params.stored(name);
            module = name;
            try {
                params.load(module, values);
            } catch (KernelException e) {
                throw Failure.detailed("insmod", e);
            }
            try {
                b.start();
            } catch (BundleException e) {
                throw new KernelException(Errno.EINVAL, "dev:insmod: " + module + ": cannot start (" + e.getMessage() + ")");
            }
            String failure = awaitInit(b);
            if (failure != null) {
                Matcher m = ERRNO.matcher(failure);
                Errno errno = STILL_RUNNING.equals(failure) ? Errno.ETIMEDOUT
                        : m.find() ? Optional.ofNullable(errnoNamed(m.group(1))).orElse(Errno.EIO) : Errno.EIO;
                throw new KernelException(errno, "dev:insmod: " + module + ": init failed: " + failure + "; unloaded");
            }
            StringBuilder sb = new StringBuilder(module + ": loaded (bundle " + b.getBundleId() + ")");
            for (Device d : registry.devices()) {
                if (d.module().equals(module)) {
                    sb.append('\n').append(String.format("  %-16s %s %s", d.name(), d.type().label(), d.number()));
                }
            }
            return sb.toString();
        } catch (Throwable e) {
            // Whatever went wrong, nothing of this load stays: the bundle goes, and the module's
            // parameters are what they were before.
            uninstallQuietly(b);
            if (module != null) {
                try {
                    params.restore(module, before);
                } catch (KernelException restoreFailed) {
                    e.addSuppressed(restoreFailed);
                }
            }
            throw e;
        }
    }

    /** Another installed bundle that is the module of this name. */
    private Optional<Bundle> otherBundleOf(String module, Bundle self) {
        for (Bundle o : context.getBundles()) {
            if (o != self && ModuleInfo.of(o).map(i -> i.name().equals(module)).orElse(false)) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }

    private static Errno errnoNamed(String name) {
        try {
            return Errno.valueOf(name);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Waits until every component of the module has activated or one failed; returns the first
     * failure's text, {@link #STILL_RUNNING} when an init is still running at the deadline (a
     * failure too: a load that has not finished is not a load), or null. A component still
     * waiting for a service counts as loaded.
     */
    private String awaitInit(Bundle b) throws InterruptedException {
        long deadline = System.currentTimeMillis() + INIT_WAIT_MS;
        while (true) {
            boolean pending = false;
            for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs(b)) {
                List<ComponentConfigurationDTO> configs = new ArrayList<>(scr.getComponentConfigurationDTOs(d));
                for (ComponentConfigurationDTO c : configs) {
                    if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                        return c.failure == null ? "init threw" : firstLine(c.failure);
                    }
                    pending |= c.state == ComponentConfigurationDTO.SATISFIED && d.immediate;
                }
            }
            if (!pending) {
                return null;
            }
            if (System.currentTimeMillis() > deadline) {
                return STILL_RUNNING;
            }
            Thread.sleep(5);
        }
    }

    private static String firstLine(String trace) {
        String line = trace.lines().findFirst().orElse(trace);
        int colon = line.indexOf(": ");
        return colon > 0 && line.substring(0, colon).matches("[\\w.$]+") ? line.substring(colon + 2) : line;
    }

    @Descriptor("unload a driver module; refused while its devices are open or other modules use it, unless -f")
    public synchronized void rmmod(
            @Descriptor("unload even when in use: open files are revoked and then fail with ENODEV")
            @Parameter(names = {"-f", "--force"}, presentValue = "true", absentValue = "false") boolean force,
            @Descriptor("module name, as dev:lsmod shows it") String module) {
        if (module == null) {
            throw new KernelException(Errno.EINVAL, "dev:rmmod: no module given (give a name from dev:lsmod)");
        }
        Bundle b = ModuleInfo.find(context, module).orElse(null);
        if (b == null) {
            throw new KernelException(Errno.ENOENT, "dev:rmmod: Module " + module + " is not currently loaded");
        }
        if (b.getState() != Bundle.ACTIVE) {
            throw new KernelException(Errno.ENOENT, "dev:rmmod: Module " + module + " is not currently loaded (bundle "
                    + b.getBundleId() + " is installed but stopped: start " + b.getBundleId() + " loads it, uninstall "
                    + b.getBundleId() + " removes it)");
        }
        int open = registry.devices().stream().filter(d -> d.module().equals(module)).mapToInt(Device::openCount).sum();
        List<String> users = Modules.users(b);
        if (!force && (open > 0 || !users.isEmpty())) {
            throw new KernelException(Errno.EBUSY, "dev:rmmod: Module " + module + " is in use ("
                    + (open > 0 ? open + " open file(s)" : "") + (open > 0 && !users.isEmpty() ? ", " : "")
                    + (users.isEmpty() ? "" : "used by " + String.join(",", users)) + "); use -f to unload it anyway");
        }
        try {
            b.uninstall();
        } catch (BundleException e) {
            throw new KernelException(Errno.EIO, "dev:rmmod: " + module + ": " + e.getMessage());
        }
        // Let the framework drop the old class loader now rather than at the next refresh.
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(b));
    }

    private static void uninstallQuietly(Bundle b) {
        try {
            b.uninstall();
        } catch (BundleException | IllegalStateException ignored) {
            // already gone
        }
    }
}
