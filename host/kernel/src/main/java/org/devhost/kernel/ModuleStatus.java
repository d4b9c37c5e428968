package org.devhost.kernel;

import java.util.List;

/**
 * One installed driver module as the {@link ModuleManager} sees it: what {@code dev:lsmod} lists
 * and {@code dev:modinfo} shows. A snapshot, taken when it was asked for; immutable.
 *
 * @param name the module name ({@link KernelModule#name()})
 * @param info the module's metadata
 * @param bundleId the id of the bundle that is the module
 * @param symbolicName the bundle's symbolic name
 * @param version the bundle's version
 * @param location where the bundle was installed from (a {@code file:} URL for a local jar)
 * @param size the jar's size in bytes when it was installed from a file, else 0
 * @param state whether the module runs
 * @param openFiles files open now on the module's devices
 * @param users other driver modules wired to packages this module exports
 * @since 1.4
 */
public record ModuleStatus(String name, ModuleInfo info, long bundleId, String symbolicName, String version,
        String location, long size, State state, int openFiles, List<String> users) {

    public ModuleStatus {
        users = List.copyOf(users);
    }

    /** The state of a module. */
    public enum State {
        /** Its bundle is active: its init ran and its devices are there. */
        LIVE,
        /** Installed but not started (or stopped by hand, e.g. Felix's {@code stop}): nothing of it runs. */
        STOPPED;

        /** The lower-case word the shell shows. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What {@code lsmod}'s "Used by" counts: open files plus using modules. */
    public int useCount() {
        return openFiles + users.size();
    }
}
