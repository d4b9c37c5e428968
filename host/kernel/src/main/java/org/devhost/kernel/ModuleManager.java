package org.devhost.kernel;

import java.util.List;
import java.util.Map;

/**
 * Loading and unloading driver modules ({@code insmod}, {@code rmmod}, {@code lsmod}, {@code
 * modinfo}): the one code path that the shell, a web console and the supervisor call, so every
 * caller gets the same checks, the same rollback and the same errno.
 *
 * <p>Invariants:
 * <ul>
 * <li>One load or unload runs at a time (as Linux's {@code module_mutex}): the check that a module
 *     is not loaded and its install cannot interleave with another load.
 * <li>A load either leaves the module running with exactly the parameters it was given, or leaves
 *     nothing: no bundle installed by it, no device registered by it, and the module's stored
 *     parameters as they were before (none, if there were none).
 * <li>A failure is a {@link KernelException} whose errno says what went wrong and whose message
 *     names the object and what to do, without a command name in front (a caller adds its own).
 * </ul>
 *
 * <p>Thread-safe. Only the host implements it: a method added later is a minor version change.
 *
 * @since 1.4
 */
@org.osgi.annotation.versioning.ProviderType
public interface ModuleManager {
    /** How long {@link #load} waits for the module's init to finish, in milliseconds. */
    long INIT_WAIT_MS = 10_000;

    /**
     * Loads a driver jar: installs it, stores its parameters, starts it and waits for its init
     * (every immediate component active, or one failed; a component still waiting for a service
     * counts as loaded).
     *
     * <p>The jar is read into memory once and the bytes checked are the bytes installed. A local
     * path or {@code file:} URL loads as it is; any other URL needs {@code sha256}. A given
     * {@code sha256} is checked for local files too.
     *
     * @param jar a local path, a {@code file:} URL, or a remote URL (with {@code sha256})
     * @param parameters module parameters, name to value as text, checked against the module's
     *     declaration before init runs; they replace whatever an earlier load stored
     * @param sha256 the jar's SHA-256 as 64 hex digits, or null or empty for none
     * @return the module, live
     * @throws KernelException
     *     EINVAL no jar given, {@code sha256} not 64 hex digits, not a path or URL, not a jar, not
     *     an OSGi bundle, not a driver module ({@code @KernelModule}), larger than 64 MiB, a
     *     parameter value that does not fit its declaration, or the bundle cannot start;
     *     ENOENT a local file that does not exist;
     *     EACCES a remote jar without {@code sha256}, or a SHA-256 that does not match;
     *     EIO the jar cannot be read or fetched, or init threw without an errno;
     *     EEXIST the jar, or a bundle that is this module, is already installed (checked before
     *     anything is touched);
     *     ETIMEDOUT init still running after {@link #INIT_WAIT_MS} (the load is undone);
     *     ENODEV Configuration Admin is not running and parameters were given;
     *     the errno init failed with, when its failure carries one
     */
    ModuleStatus load(String jar, Map<String, String> parameters, String sha256);

    /**
     * Loads a driver jar as {@link #load(String, Map, String)} does, to run in a JVM process of its
     * own when {@code isolated} ({@code dev:insmod --isolated}): the host keeps its devices, numbers
     * and files, forwards every operation to the process, and ends the module by killing the
     * process, so a module that spins, leaks or deadlocks is always ended. The jar is the same
     * either way, and so are its parameters: stored on the host, given to the
     * process before its init. The call returns once the process has started the driver.
     *
     * @throws KernelException as {@link #load(String, Map, String)}; also the errno of the driver's
     *     failed init in its process (EIO when its process cannot start)
     * @since 1.7
     */
    ModuleStatus load(String jar, Map<String, String> parameters, String sha256, boolean isolated);

    /**
     * Unloads a module: uninstalls its bundle and refreshes it, so its class loader goes now.
     * Without {@code force} it is refused while files are open on the module's devices or other
     * modules use its packages; with {@code force}, open files are revoked (their later calls get
     * ENODEV and blocked callers wake) and the module goes.
     *
     * @param module the module name, as {@link #modules()} lists it
     * @throws KernelException
     *     EINVAL no name given;
     *     ENOENT no installed bundle is that module, or its bundle is installed but stopped (a
     *     RESTARTING or FAILED module unloads: its numbers' reservation goes with it);
     *     EBUSY the module is in use and {@code force} is false;
     *     EIO the framework refused to uninstall it
     */
    void unload(String module, boolean force);

    /**
     * Restarts a module now, with a fresh instance and a fresh class loader (its devices are
     * revoked first: open files get ENODEV); a FAILED module is given a new chance, and its
     * restart counters start again.
     *
     * @throws KernelException
     *     EINVAL no name given; ENOENT no installed bundle is that module;
     *     the errno its init failed with (EIO when it carries none), or ETIMEDOUT, when the
     *     restarted init does not come up (the module is then FAILED)
     */
    void restart(String module);

    /**
     * A health summary a tool can read: every module that is not live and supervised-healthy.
     * Cheap; takes no lock.
     */
    Health health();

    /**
     * @param healthy no module is RESTARTING or FAILED and no thread is stuck in a driver
     * @param live modules running
     * @param restarting modules waiting for their restart
     * @param failed modules the supervisor gave up on
     * @param stuckThreads threads abandoned in drivers' code, all modules
     * @param attention the modules that are restarting, failed, have restarted or have stuck threads
     */
    record Health(boolean healthy, int live, int restarting, int failed, int stuckThreads, List<ModuleStatus> attention) {
        public Health {
            attention = List.copyOf(attention);
        }
    }

    /**
     * The process an isolated module runs in, while it runs; empty for a module in the host's
     * process (or one whose process is between a kill and its restart).
     *
     * @since 1.7
     */
    java.util.Optional<ModuleProcess> process(String module);

    /** Every installed driver module, by name. */
    List<ModuleStatus> modules();

    /**
     * One installed driver module.
     *
     * @param nameOrBundleId a module name, or the id of a bundle that is a driver module
     * @throws KernelException EINVAL no name given; ENOENT no installed bundle is that module
     */
    ModuleStatus module(String nameOrBundleId);
}
