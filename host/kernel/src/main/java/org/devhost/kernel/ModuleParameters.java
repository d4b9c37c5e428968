package org.devhost.kernel;

import java.util.List;
import java.util.Map;

/**
 * Module parameters ({@code /sys/module/M/parameters} and {@code insmod m p=v}): each module's
 * parameters are the Configuration Admin configuration whose PID is the module name, described by
 * the module's Metatype definition.
 *
 * <p>{@link #set} checks each value against the definition before storing it, so a bad value is
 * refused with EINVAL naming the parameter and nothing is stored; a parameter the definition does
 * not know is stored as text (the module logs "unknown parameter 'x' ignored" when it loads);
 * changing a {@link KernelModule#readonly()} parameter of a loaded module is EPERM. Thread-safe.
 */
@org.osgi.annotation.versioning.ProviderType
public interface ModuleParameters {
    /** One declared parameter, as {@code modinfo}'s {@code parm:} lines show it. */
    record Parameter(String name, String type, String description, List<String> defaults, boolean readonly) {}

    /**
     * The parameters a module declares (empty when it declares none).
     *
     * @throws KernelException ENOENT when no installed bundle is that module
     */
    List<Parameter> describe(String module);

    /**
     * Current values: what is configured, else the declared defaults.
     *
     * @throws KernelException ENOENT when no installed bundle is that module
     */
    Map<String, Object> get(String module);

    /**
     * Sets parameters, all or none. A loaded module sees writable changes at once.
     *
     * @param values name to value as text; lists as comma-separated text
     * @throws KernelException EINVAL for a value that does not fit its parameter, EPERM for a
     *     read-only parameter of a loaded module, ENOENT for an unknown module, ENODEV when
     *     Configuration Admin is not running
     */
    void set(String module, Map<String, String> values);

    /**
     * Replaces the module's parameters with exactly these values, before it loads ({@code insmod
     * m p=v}): what an earlier load was given does not carry over. Checked as {@link #set}.
     */
    void load(String module, Map<String, String> values);

    /**
     * What is stored for a module now, exactly, to give back to {@link #restore} when a load
     * fails; empty when nothing is stored. Needs no installed module.
     *
     * @since 1.2
     */
    Map<String, Object> stored(String module);

    /**
     * Puts back what {@link #stored} returned: the same values, or no configuration at all when
     * it was empty. Not checked against a definition (it was what the module had).
     *
     * @throws KernelException ENODEV when Configuration Admin is not running, EIO when its store fails
     * @since 1.2
     */
    void restore(String module, Map<String, Object> stored);
}
