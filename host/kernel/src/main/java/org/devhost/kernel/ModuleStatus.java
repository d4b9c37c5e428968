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
 * @param supervised whether the supervisor restarts the module when it crashes or hangs
 * @param restarts restarts by the supervisor since the module was loaded
 * @param stuckThreads threads abandoned inside the module's code (a Java thread cannot be
 *     stopped): they still run, counted across restarts
 * @param lastFailure the last crash or hang, or null when there was none
 * @since 1.4
 */
public record ModuleStatus(String name, ModuleInfo info, long bundleId, String symbolicName, String version,
        String location, long size, State state, int openFiles, List<String> users, boolean supervised, int restarts,
        int stuckThreads, Failure lastFailure) {

    public ModuleStatus {
        users = List.copyOf(users);
    }

    /** The state of a module. */
    public enum State {
        /** Its bundle is active: its init ran and its devices are there. */
        LIVE,
        /** Installed but not started (or stopped by hand, e.g. Felix's {@code stop}): nothing of it runs. */
        STOPPED,
        /**
         * Crashed or hung and waiting for its restart (or restarting): its devices are gone, an open
         * of one of their names or numbers answers EAGAIN, and its numbers are held for it.
         */
        RESTARTING,
        /** Restarted too often; stays down until {@link ModuleManager#restart} or a new load. */
        FAILED;

        /** The lower-case word the shell shows. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A crash or hang the supervisor saw.
     *
     * @param kind {@code init} (init threw), {@code faults} (operations threw above the
     *     threshold), {@code hang} (an operation ran in the driver past the watchdog limit),
     *     {@code heartbeat} (a {@link Heartbeat} was not called within its period)
     * @param reason one sentence
     * @param timeMillis when, in {@link System#currentTimeMillis()} terms
     * @param summary the exception or stack position behind it, one line
     */
    public record Failure(String kind, String reason, long timeMillis, String summary) {}

    /** What {@code lsmod}'s "Used by" counts: open files plus using modules. */
    public int useCount() {
        return openFiles + users.size();
    }
}
