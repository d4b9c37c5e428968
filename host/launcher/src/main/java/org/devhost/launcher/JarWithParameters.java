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

    /** Whether the argument is a jar with parameters: {@code ….jar:name=value[:name=value]…}, the jar a file or a URL. */
    static boolean matches(String arg) {
        return split(arg) > 0;
    }

    /** What a jar with parameters looks like, found or not: for a clear error when it is not there. */
    static boolean looksLikeOne(String arg) {
        int at = arg.indexOf(".jar:");
        return at > 0 && arg.substring(at).contains("=");
    }

    /**
     * Where the jar ends: the first {@code .jar:} whose prefix is a URL or an existing file and is
     * followed by a parameter; -1 when there is none (then the argument is something else).
     */
    private static int split(String arg) {
        for (int at = arg.indexOf(".jar:"); at > 0; at = arg.indexOf(".jar:", at + 1)) {
            String jar = arg.substring(0, at + 4);
            String rest = arg.substring(at + 5);
            boolean url = jar.matches("[a-zA-Z][a-zA-Z0-9+.-]*:.*");
            if (rest.contains("=") && (url || java.nio.file.Files.isRegularFile(Path.of(jar)))) {
                return at;
            }
        }
        return -1;
    }

    /**
     * @param sha256 the pin given right before it ({@code --sha256 HEX}), or null
     * @throws IllegalArgumentException for a parameter that is not {@code name=value} (the message says so, with EINVAL)
     */
    static JarWithParameters parse(String arg, String sha256) {
        int at = split(arg);
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
        String location = jar.matches("[a-zA-Z][a-zA-Z0-9+.-]*:.*") ? jar : Path.of(jar).toAbsolutePath().toUri().toString();
        return new JarWithParameters(location, java.util.Collections.unmodifiableMap(params), sha256);
    }

    /** Loads it through the kernel's ModuleManager; prints what happened. */
    void load(BundleContext ctx) {
        load(ctx, true);
    }

    /** Loads it through the kernel's ModuleManager; prints a refusal, and the success only when {@code announce}. */
    void load(BundleContext ctx, boolean announce) {
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
        if (manager == null) {
            System.err.println("devhost: not loading " + location + ": the kernel's module manager went away (ENODEV)");
            return;
        }
        try {
            Method load = ref.getBundle().loadClass(MANAGER).getMethod("load", String.class, Map.class, String.class);
            load.invoke(manager, location, parameters, sha256);
            if (announce) {
                System.out.println("devhost: loaded " + location + " with " + parameters);
            }
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            System.err.println("devhost: not loading " + location + ": " + (cause.getMessage() == null ? cause.toString()
                    : cause.getMessage() + (cause.getClass().getSimpleName().equals("KernelException") ? "" : " (" + cause.getClass().getName() + ")")));
        } catch (ReflectiveOperationException e) {
            System.err.println("devhost: not loading " + location + ": " + e);
        } finally {
            ctx.ungetService(ref);
        }
    }
}
