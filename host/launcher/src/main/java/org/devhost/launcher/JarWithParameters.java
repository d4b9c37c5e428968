package org.devhost.launcher;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A driver jar named on the command line with its module parameters: {@code counter.jar:start=3}
 * (several: {@code counter.jar:start=3:step=2}), loaded once the drivers are up exactly as {@code
 * dev:insmod counter.jar start=3} loads it, through the kernel's {@code ModuleManager}: the same
 * checks, the parameters typed by the module's Metatype, the load undone when its init fails, and
 * each refusal a line with the errno. A value cannot hold a colon this way; a {@code conf/NAME.cfg}
 * file can. The launcher is not a bundle and does not link against the kernel API, so it calls the
 * service by reflection on the interface the kernel bundle exports. Immutable.
 */
record JarWithParameters(String location, Map<String, String> parameters, String sha256) {
    private static final String MANAGER = "org.devhost.kernel.ModuleManager";
    /** How long the launcher waits for the kernel's ModuleManager to be there: a bound, not a timing. */
    private static final long WAIT_MS = 30_000;

    /** Whether the argument is a jar with parameters: {@code ….jar:name=value[:name=value]…}. */
    static boolean matches(String arg) {
        int at = arg.lastIndexOf(".jar:");
        return at > 0 && arg.substring(at + 5).contains("=");
    }

    /**
     * @param sha256 the pin given right before it ({@code --sha256 HEX}), or null
     * @throws IllegalArgumentException for a parameter that is not {@code name=value} (the message says so, with EINVAL)
     */
    static JarWithParameters parse(String arg, String sha256) {
        int at = arg.lastIndexOf(".jar:");
        String jar = arg.substring(0, at + 4);
        Map<String, String> params = new LinkedHashMap<>();
        for (String p : arg.substring(at + 5).split(":")) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + p + "' after " + jar + " is not a parameter: give " + jar
                        + ":name=value[:name=value]... (EINVAL)");
            }
            params.put(p.substring(0, eq), p.substring(eq + 1));
        }
        String location = jar.contains(":") && !jar.startsWith("/") ? jar : Path.of(jar).toAbsolutePath().toUri().toString();
        return new JarWithParameters(location, Map.copyOf(params), sha256);
    }

    /** Loads it through the kernel's ModuleManager; prints what happened. */
    void load(BundleContext ctx) {
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(ctx, MANAGER, null);
        tracker.open();
        ServiceReference<Object> ref;
        try {
            tracker.waitForService(WAIT_MS);
            ref = tracker.getServiceReference();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } finally {
            tracker.close();
        }
        if (ref == null) {
            System.err.println("devhost: not loading " + location + ": the kernel's module manager is not running (ENODEV)");
            return;
        }
        Object manager = ctx.getService(ref);
        try {
            Method load = ref.getBundle().loadClass(MANAGER).getMethod("load", String.class, Map.class, String.class);
            load.invoke(manager, location, parameters, sha256);
            System.out.println("devhost: loaded " + location + " with " + parameters);
        } catch (InvocationTargetException e) {
            System.err.println("devhost: not loading " + location + ": " + e.getCause().getMessage());
        } catch (ReflectiveOperationException e) {
            System.err.println("devhost: not loading " + location + ": " + e);
        } finally {
            ctx.ungetService(ref);
        }
    }
}
