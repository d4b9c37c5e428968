package org.devhost.kernel.impl.module;

import java.io.File;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.devhost.kernel.Device;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleParameters;
import org.devhost.kernel.ModuleStatus;
import org.devhost.kernel.impl.isolation.Isolation;
import org.devhost.kernel.impl.lifecycle.ComponentStates;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.supervisor.Supervisor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

/**
 * The {@link ModuleManager}: Felix's install/start/stop/uninstall with the kernel's rules.
 *
 * <p>{@code lock} serializes loads and unloads (Linux's {@code module_mutex}); listing and lookup
 * take no lock and read the framework's state as it is.
 */
@Component(service = ModuleManager.class)
public final class ModuleManagerComponent implements ModuleManager {
    private final KernelCore core;
    private final ModuleParameters params;
    private final ServiceComponentRuntime scr;
    private final BundleContext context;
    private final Supervisor supervisor;
    private final Isolation isolation;
    /** The supervisor's: loads, unloads and restarts take turns. */
    private final ReentrantLock lock;

    @Activate
    public ModuleManagerComponent(@Reference KernelCore core, @Reference ModuleParameters params,
            @Reference ServiceComponentRuntime scr, @Reference Supervisor supervisor, @Reference Isolation isolation,
            BundleContext context) {
        this.isolation = isolation;
        this.core = core;
        this.params = params;
        this.scr = scr;
        this.supervisor = supervisor;
        this.lock = supervisor.moduleLock;
        this.context = context;
    }

    @Override
    public Optional<org.devhost.kernel.ModuleProcess> process(String module) {
        return isolation == null ? Optional.empty() : isolation.process(module);
    }

    @Override
    public ModuleStatus load(String jar, Map<String, String> parameters, String sha256) {
        return load(jar, parameters, sha256, false);
    }

    @Override
    public ModuleStatus load(String jar, Map<String, String> parameters, String sha256, boolean isolated) {
        DriverJar driver = DriverJar.read(jar, sha256);
        // where it runs: the caller's --isolated, else the module's policy, else what its jar asks
        String[] policy = driver.moduleName().map(supervisor::isolation).orElse(new String[] {"", ""});
        if (!List.of("", "process", "none").contains(policy[0])) {
            throw new KernelException(Errno.EINVAL, jar + ": its supervision policy says isolation=" + policy[0]
                    + ", which is none of process, none (or empty, for what the jar asks); fix the policy file in conf/");
        }
        isolated = isolated || policy[0].equals("process") || (policy[0].isEmpty() && driver.asksForIsolation());
        if (isolated) {
            driver = driver.isolated(policy[1]);
        }
        lock.lock();
        try {
            return load(jar, driver, parameters == null ? Map.of() : parameters, isolated);
        } finally {
            lock.unlock();
        }
    }

    private ModuleStatus load(String jar, DriverJar driver, Map<String, String> values, boolean isolated) {
        // Refuse before touching anything: installing the same location again would hand back the
        // running bundle, and a failing load would then unload the module the user already had.
        Bundle same = Arrays.stream(context.getBundles()).filter(driver::isInstalledAs).findFirst().orElse(null);
        if (same != null) {
            ModuleInfo.of(same).ifPresent(i -> supervisor.steps.refuseIfStuck(i.name()));
        }
        if (same != null && isDown(same)) {
            // A module the supervisor gave up on (or is restarting): a new load replaces it.
            removeDown(same);
            same = null;
        }
        if (same != null) {
            throw new KernelException(Errno.EEXIST, jar + " is already loaded as "
                    + ModuleInfo.of(same).map(i -> "module " + i.name()).orElse("bundle " + same.getSymbolicName())
                    + " (bundle " + same.getBundleId() + "); unload it first (dev:rmmod)");
        }
        Bundle b;
        try {
            b = context.installBundle(driver.location(), driver.stream());
        } catch (BundleException e) {
            throw new KernelException(e.getType() == BundleException.DUPLICATE_BUNDLE_ERROR ? Errno.EEXIST : Errno.EINVAL,
                    jar + ": cannot install it (" + e.getMessage() + ")");
        }
        String module = null;
        Map<String, Object> before = null;
        try {
            Optional<ModuleInfo> info = ModuleInfo.of(b);
            if (b.getSymbolicName() == null || info.isEmpty()) {
                throw new KernelException(Errno.EINVAL, jar + ": "
                        + (b.getSymbolicName() == null ? "not an OSGi bundle" : "bundle " + b.getSymbolicName()
                        + " is not a driver module (no @KernelModule)") + "; nothing was loaded");
            }
            String name = info.get().name();
            supervisor.steps.refuseIfStuck(name);
            Optional<Bundle> other = otherBundleOf(name, b);
            if (other.isPresent() && isDown(other.get())) {
                removeDown(other.get());
                other = Optional.empty();
            }
            if (other.isPresent()) {
                throw new KernelException(Errno.EEXIST, "module " + name + " is already loaded (bundle "
                        + other.get().getBundleId() + ", " + other.get().getLocation() + "); unload it first (dev:rmmod "
                        + name + ")");
            }
            before = params.stored(name);
            module = name;
            params.load(module, values);
            supervisor.forget(module);
            supervisor.loading(b, true);
            try {
                String loaded = module;
                Map<String, Object> old = before;
                supervisor.steps.run(module, "init", b::start, () -> undoLateLoad(b, loaded, old));
            } catch (BundleException e) {
                throw new KernelException(Errno.EINVAL, module + ": cannot start (" + e.getMessage() + ")");
            }
            String failure = isolated ? isolation.awaitReady(b, ModuleManager.INIT_WAIT_MS) : ComponentStates.awaitInit(scr, b);
            if (failure != null) {
                throw new KernelException(ComponentStates.errnoOf(failure), module + ": init failed: " + failure + "; unloaded");
            }
            return status(b, info.get());
        } catch (Throwable e) {
            // Whatever went wrong, nothing of this load stays: the bundle goes, and the module's
            // parameters are what they were before. An init past its deadline still runs in the
            // framework's start, which holds the bundle: the undo waits for its return.
            if (module != null && supervisor.steps.isStuck(module)) {
                throw sneaky(e);
            }
            uninstallQuietly(b);
            if (module != null) {
                try {
                    params.restore(module, before);
                } catch (KernelException restoreFailed) {
                    e.addSuppressed(restoreFailed);
                }
            }
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt(); // kept, as a pending signal stays pending
                throw new KernelException(Errno.EINTR, module + ": load interrupted while init ran; unloaded");
            }
            throw sneaky(e);
        } finally {
            // Only now: an init failure the watcher reports late is this load's (rolled back above), not a crash.
            supervisor.loading(b, false);
        }
    }

    /** A load whose init ran past its deadline, undone when the init returns at last. */
    private void undoLateLoad(Bundle b, String module, Map<String, Object> before) {
        lock.lock();
        try {
            uninstallQuietly(b);
            context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(b));
            try {
                params.restore(module, before);
            } catch (KernelException e) {
                core.log("WARN", module, "its parameters could not be put back after the late init: " + e.getMessage(), null);
            }
            core.log("INFO", module, "the load whose init ran past its deadline is undone", null);
        } finally {
            lock.unlock();
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable e) throws E {
        throw (E) e;
    }

    /** Whether the bundle is a module the supervisor holds down (RESTARTING or FAILED). */
    private boolean isDown(Bundle b) {
        return ModuleInfo.of(b).map(i -> supervisor.view(i.name())[0] != null).orElse(false);
    }

    /** Uninstalls a module that is down, and lets go of what the supervisor held for it. */
    private void removeDown(Bundle b) {
        String name = ModuleInfo.nameOf(b);
        supervisor.forget(name);
        uninstallQuietly(b);
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(b));
        core.log("INFO", name, "unloaded while down (restarting or failed)", null);
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

    @Override
    public void unload(String module, boolean force) {
        if (module == null) {
            throw new KernelException(Errno.EINVAL, "no module given (give a name from dev:lsmod)");
        }
        lock.lock();
        try {
            Bundle b = ModuleInfo.find(context, module).orElse(null);
            if (b == null) {
                throw new KernelException(Errno.ENOENT, "Module " + module + " is not currently loaded");
            }
            supervisor.steps.refuseIfStuck(module);
            if (b.getState() != Bundle.ACTIVE && isDown(b)) {
                removeDown(b); // nothing of it runs; its numbers' reservation goes with it
                return;
            }
            if (b.getState() != Bundle.ACTIVE) {
                throw new KernelException(Errno.ENOENT, "Module " + module + " is not currently loaded (bundle "
                        + b.getBundleId() + " is installed but stopped: start " + b.getBundleId() + " loads it, uninstall "
                        + b.getBundleId() + " removes it)");
            }
            int open = openFiles(module);
            List<String> users = users(b);
            if (!force && (open > 0 || !users.isEmpty())) {
                throw new KernelException(Errno.EBUSY, "Module " + module + " is in use ("
                        + (open > 0 ? open + " open file(s)" : "") + (open > 0 && !users.isEmpty() ? ", " : "")
                        + (users.isEmpty() ? "" : "used by " + String.join(",", users)) + "); use -f to unload it anyway");
            }
            try {
                supervisor.steps.run(module, "drop", b::uninstall, () -> {
                    lock.lock();
                    try {
                        finishUnload(b, module);
                    } finally {
                        lock.unlock();
                    }
                });
            } catch (BundleException e) {
                throw new KernelException(Errno.EIO, module + ": " + e.getMessage());
            }
            finishUnload(b, module);
        } finally {
            lock.unlock();
        }
    }

    /** After the uninstall: the framework drops the old class loader now rather than at the next refresh. */
    private void finishUnload(Bundle b, String module) {
        context.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(List.of(b));
        supervisor.forget(module);
    }

    @Override
    public void restart(String module) {
        if (module == null) {
            throw new KernelException(Errno.EINVAL, "no module given (give a name from dev:lsmod)");
        }
        supervisor.restartNow(module);
    }

    @Override
    public Health health() {
        int live = 0;
        int restarting = 0;
        int failed = 0;
        int stuck = 0;
        List<ModuleStatus> attention = new ArrayList<>();
        for (ModuleStatus m : modules()) {
            switch (m.state()) {
                case LIVE -> live++;
                case RESTARTING -> restarting++;
                case FAILED -> failed++;
                default -> { }
            }
            stuck += m.stuckThreads();
            if (m.state() == ModuleStatus.State.RESTARTING || m.state() == ModuleStatus.State.FAILED
                    || m.restarts() > 0 || m.stuckThreads() > 0) {
                attention.add(m);
            }
        }
        return new Health(restarting == 0 && failed == 0 && stuck == 0, live, restarting, failed, stuck, attention);
    }

    @Override
    public List<ModuleStatus> modules() {
        List<ModuleStatus> all = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            ModuleInfo.of(b).ifPresent(info -> all.add(status(b, info)));
        }
        all.sort(Comparator.comparing(ModuleStatus::name));
        return all;
    }

    @Override
    public ModuleStatus module(String nameOrBundleId) {
        if (nameOrBundleId == null) {
            throw new KernelException(Errno.EINVAL, "no module given (give a name from dev:lsmod)");
        }
        Optional<Bundle> b = ModuleInfo.find(context, nameOrBundleId);
        if (b.isEmpty() && nameOrBundleId.matches("\\d{1,18}")) {
            b = Optional.ofNullable(context.getBundle(Long.parseLong(nameOrBundleId)));
        }
        Optional<ModuleInfo> info = b.flatMap(ModuleInfo::of);
        if (info.isEmpty()) {
            throw new KernelException(Errno.ENOENT, "module " + nameOrBundleId + " not found (give a module name from"
                    + " dev:lsmod or a driver's bundle id from lb)");
        }
        return status(b.get(), info.get());
    }

    private ModuleStatus status(Bundle b, ModuleInfo info) {
        Object[] v = supervisor.view(info.name());
        ModuleStatus.State state = v[0] != null ? (ModuleStatus.State) v[0]
                : b.getState() == Bundle.ACTIVE ? ModuleStatus.State.LIVE : ModuleStatus.State.STOPPED;
        return new ModuleStatus(info.name(), info, b.getBundleId(), b.getSymbolicName(), b.getVersion().toString(),
                b.getLocation(), size(b), state, openFiles(info.name()), users(b), supervisor.supervised(info.name()),
                (Integer) v[1], (Integer) v[2], (ModuleStatus.Failure) v[3]);
    }

    private int openFiles(String module) {
        int open = 0;
        for (Device d : core.devices()) {
            if (d.module().equals(module)) {
                open += d.openCount();
            }
        }
        return open;
    }

    /** Other driver modules wired to packages this bundle exports: lsmod's "Used by", what unload refuses on. */
    static List<String> users(Bundle b) {
        List<String> names = new ArrayList<>();
        BundleWiring w = b.adapt(BundleWiring.class);
        // null when the wiring is no longer in use: the bundle is being refreshed (a restart does it)
        List<BundleWire> wires = w == null ? null : w.getProvidedWires(null);
        if (wires != null) {
            for (BundleWire wire : wires) {
                Bundle user = wire.getRequirer().getBundle();
                Optional<ModuleInfo> info = ModuleInfo.of(user);
                if (user != b && info.isPresent() && !names.contains(info.get().name())) {
                    names.add(info.get().name());
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

    private static void uninstallQuietly(Bundle b) {
        try {
            b.uninstall();
        } catch (BundleException | IllegalStateException ignored) {
            // already gone
        }
    }
}
