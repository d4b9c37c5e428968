package org.devhost.web;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.felix.webconsole.spi.ConfigurationHandler;
import org.apache.felix.webconsole.spi.ValidationException;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.ModuleParameters;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Module parameters edited on the console's Configuration page are checked by the kernel's {@link
 * ModuleParameters#set}, as {@code dev:insmod}'s are, before Configuration Admin stores them.
 *
 * <p>Why: Configuration Admin stores any value it is given, and the module would only find out in
 * its {@code @Modified} method, after the bad value is stored and with nobody to tell. Here a value
 * that does not fit its parameter (the module's metatype: type, options, count) is refused before
 * anything is stored: the save answers HTTP 400 with the kernel's message ({@code ... (EINVAL)}),
 * which the Configuration page shows in its error dialog, and the module keeps running with its
 * old value. A read-only parameter changed while the module is loaded is refused too (EPERM), the
 * same rule as the shell's.
 *
 * <p>Where: the console's own hook for configuration changes ({@link ConfigurationHandler}), which
 * its configMgr plugin calls with the PID it is about to update, whichever way the request named it
 * (the URL path or a {@code pid} parameter, which the plugin reads first). A servlet filter on the
 * URL path, as this was before, checked one PID while the plugin stored another.
 *
 * <p>What it checks: an update of a configuration whose PID is an installed module. Only the values
 * that differ from the module's current ones are passed to the kernel (the form sends every field,
 * read-only ones included). When the kernel accepts them it has stored them already; the values
 * the console then stores are replaced by exactly what the kernel stored, so the second store
 * changes nothing. A factory configuration named after a module is refused. Creating and deleting
 * a module's configuration are left to the console.
 *
 * <p>Thread-safe: holds no state of its own.
 */
@Component(service = ConfigurationHandler.class)
public final class ModuleParameterCheck implements ConfigurationHandler {
    private final ModuleParameters params;
    private final BundleContext context;

    @Activate
    public ModuleParameterCheck(@Reference ModuleParameters params, BundleContext context) {
        this.params = params;
        this.context = context;
    }

    @Override
    public void createConfiguration(String pid) {
        // an empty configuration: the module's defaults, nothing to check
    }

    @Override
    public void createFactoryConfiguration(String factoryPid, String name) throws ValidationException {
        notAModuleFactory(factoryPid);
    }

    @Override
    public void deleteConfiguration(String factoryPid, String pid) {
        // back to the declared defaults, which the module's metatype accepts
    }

    @Override
    public void updateConfiguration(String factoryPid, String pid, Dictionary<String, Object> props)
            throws ValidationException {
        notAModuleFactory(factoryPid);
        if (factoryPid != null || pid == null || ModuleInfo.find(context, pid).isEmpty()) {
            return;
        }
        try {
            Map<String, String> changed = changes(props, pid);
            if (changed.isEmpty()) {
                return;
            }
            params.set(pid, changed); // checks all, stores all or none
            // What the console stores next must be what the kernel stored (its parsed, typed values).
            for (Map.Entry<String, Object> e : params.stored(pid).entrySet()) {
                props.put(e.getKey(), e.getValue());
            }
        } catch (KernelException e) {
            // The console answers 400 with this as the error page's message, which Jetty's error
            // page escapes (the message quotes what was typed, and the page's dialog inserts the
            // answer as HTML): escaping it here too would show "&lt;" for a typed "<".
            throw new ValidationException(pid + ": " + e.getMessage());
        }
    }

    /**
     * A module's parameters are one configuration, never a factory's: Declarative Services would
     * start one more instance of the module for each factory configuration of its PID, with values
     * nobody checked.
     */
    private void notAModuleFactory(String factoryPid) throws ValidationException {
        if (factoryPid != null && ModuleInfo.find(context, factoryPid).isPresent()) {
            throw new ValidationException(factoryPid + ": a module's parameters are one configuration, not a factory's"
                    + " (EINVAL)");
        }
    }

    /** The values about to be stored that differ from the module's current ones, as text. */
    private Map<String, String> changes(Dictionary<String, Object> props, String module) {
        Map<String, Object> current = params.get(module);
        Map<String, String> changed = new LinkedHashMap<>();
        for (Enumeration<String> keys = props.keys(); keys.hasMoreElements();) {
            String name = keys.nextElement();
            if (name.startsWith("service.") || name.startsWith("felix.") || name.startsWith("component.")) {
                continue; // Configuration Admin's and the framework's own properties
            }
            String value = text(props.get(name));
            if (!value.equals(text(current.get(name)))) {
                changed.put(name, value);
            }
        }
        return changed;
    }

    /** A parameter's value as text: lists and arrays comma-separated, as {@code insmod} takes them. */
    static String text(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Collection<?> c) {
            return c.stream().map(String::valueOf).collect(Collectors.joining(","));
        }
        if (v.getClass().isArray()) {
            List<String> items = new ArrayList<>();
            for (int i = 0; i < Array.getLength(v); i++) {
                items.add(String.valueOf(Array.get(v, i)));
            }
            return String.join(",", items);
        }
        return v.toString();
    }
}
