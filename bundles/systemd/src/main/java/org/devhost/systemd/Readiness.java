package org.devhost.systemd;

import java.util.ArrayList;
import java.util.List;
import org.devhost.kernel.Device;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * What {@link Notify} tells systemd, read off the running host: whether it is ready, its one-line
 * status, and whether the kernel is healthy enough for the watchdog to be pinged. Stateless; each
 * answer is read fresh (cheap: service lookups and {@link ModuleManager#modules()}, no lock).
 */
final class Readiness {
    /** The launcher registers a service with this property once it has started everything it boots. */
    static final String BOOT_FILTER = "(devhost.boot=complete)";
    /** devfs registers a service with its mount point while it is mounted. */
    static final String DEVFS_FILTER = "(devhost.devfs.mount=*)";
    /** devfs registers a service with why (and the error number) when it cannot mount in this run. */
    static final String DEVFS_FAILED_FILTER = "(devhost.devfs.failed=*)";

    /** Why the host cannot become ready, and the error number systemd is told ({@code ERRNO=}). */
    record Failure(String why, int errno) {}

    private final BundleContext context;
    private final ModuleManager modules;

    Readiness(BundleContext context, ModuleManager modules) {
        this.context = context;
        this.modules = modules;
    }

    /**
     * Null while nothing stops the host from becoming ready; else, once the launcher has started
     * everything it boots (so that an exit does not cut its start short), why it never will: devfs
     * did not mount.
     */
    Failure failure() throws InvalidSyntaxException {
        ServiceReference<?>[] failed = context.getServiceReferences((String) null, DEVFS_FAILED_FILTER);
        if (failed == null || context.getServiceReferences((String) null, BOOT_FILTER) == null) {
            return null;
        }
        Object errno = failed[0].getProperty("devhost.devfs.errno");
        return new Failure(String.valueOf(failed[0].getProperty("devhost.devfs.failed")),
                errno instanceof Integer n ? n : 5); // EIO when devfs gave none
    }

    /** Null when the host is ready; else what it still waits for. */
    String waitingFor() throws InvalidSyntaxException {
        if (context.getServiceReferences((String) null, BOOT_FILTER) == null) {
            return "the launcher to start the drivers it boots";
        }
        String devfs = context.getProperty("devhost.devfs");
        if (!"off".equals(devfs) && !"false".equals(devfs) && context.getServiceReferences((String) null, DEVFS_FILTER) == null) {
            return "devfs to be mounted";
        }
        for (ModuleStatus m : modules.modules()) {
            if (m.state() == ModuleStatus.State.RESTARTING) {
                return "module " + m.name() + " to be live again";
            }
        }
        return null;
    }

    /** E.g. {@code 24 devices, 13 modules live, 1 restarting, 2 restarts}; the parts that are 0 left out but the first two. */
    String status() throws InvalidSyntaxException {
        ServiceReference<?>[] devices = context.getServiceReferences(Device.class.getName(), null);
        int live = 0;
        int restarting = 0;
        int failed = 0;
        int stopped = 0;
        int restarts = 0;
        int stuck = 0;
        for (ModuleStatus m : modules.modules()) {
            switch (m.state()) {
                case LIVE -> live++;
                case RESTARTING -> restarting++;
                case FAILED -> failed++;
                default -> stopped++;
            }
            restarts += m.restarts();
            stuck += m.stuckThreads();
        }
        List<String> parts = new ArrayList<>();
        parts.add((devices == null ? 0 : devices.length) + " devices");
        parts.add(live + " modules live");
        add(parts, restarting, "restarting");
        add(parts, failed, "failed");
        add(parts, stopped, "stopped");
        add(parts, restarts, restarts == 1 ? "restart" : "restarts");
        add(parts, stuck, stuck == 1 ? "thread stuck" : "threads stuck");
        return String.join(", ", parts);
    }

    private static void add(List<String> parts, int n, String what) {
        if (n > 0) {
            parts.add(n + " " + what);
        }
    }

    /**
     * Null while the kernel is healthy by the supervisor's rules; else why not: a module whose
     * lifecycle step ran past its deadline (FAILED, kind {@code stuck}: the framework holds its
     * bundle), or threads abandoned in a module's code (they still run; only a new JVM ends them).
     * A module that crashed, is restarting or was given up on is the supervisor's business, not
     * the watchdog's.
     */
    String unhealthy() {
        for (ModuleStatus m : modules.modules()) {
            if (m.state() == ModuleStatus.State.FAILED && m.lastFailure() != null && "stuck".equals(m.lastFailure().kind())) {
                return "module " + m.name() + " is stuck: " + m.lastFailure().reason();
            }
            if (m.stuckThreads() > 0) {
                return "module " + m.name() + " has " + m.stuckThreads() + " thread(s) abandoned in its code";
            }
        }
        return null;
    }
}
