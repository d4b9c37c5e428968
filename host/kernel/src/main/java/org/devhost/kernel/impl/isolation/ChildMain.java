package org.devhost.kernel.impl.isolation;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * The main class of an isolated module's process, started by the host's {@link Child}: a small
 * Felix with the bundles the host names (the kernel, SCR, Log, Configuration Admin, Event Admin),
 * the driver's bundle installed last and started by the {@link Satellite} once it has reached the
 * host. On the class path only with the framework: it shares nothing with the bundles.
 *
 * <p>Arguments: the host's socket, the module's name, the framework's storage folder, then the
 * bundles' locations with the driver's last.
 */
public final class ChildMain {
    /** Framework property of a child: the driver bundle's location, for the satellite to start. */
    public static final String DRIVER_PROPERTY = "devhost.isolation.driver";

    private ChildMain() {}

    /**
     * First argument of the run that makes the class archive ({@link ClassArchive}): then a storage
     * folder and the bundles (no driver); the framework starts them, stops, and the process exits.
     */
    public static final String ARCHIVE = "--archive";

    /**
     * The file beside the storage folder with the host's HAL configuration ({@link Wire#config}),
     * written by the host for a driver that uses the HAL: applied before the HAL starts, so the
     * driver's first open already meets the host's rules.
     */
    static final String HAL_CONFIG = "hal.config";

    private static final String KERNEL = "org.devhost.kernel";

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals(ARCHIVE)) {
            Map<String, String> config = new HashMap<>();
            config.put(Constants.FRAMEWORK_STORAGE, args[1]);
            config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
            Framework framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
            framework.start();
            for (String location : List.of(args).subList(2, args.length)) {
                Bundle b = framework.getBundleContext().installBundle(location);
                if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    b.start();
                }
            }
            framework.stop();
            framework.waitForStop(10_000);
            System.exit(0);
        }
        if (args.length < 4) {
            System.err.println("usage: ChildMain SOCKET MODULE STORAGE BUNDLE... DRIVER");
            System.exit(2);
        }
        Map<String, String> config = new HashMap<>();
        config.put(Satellite.SOCKET_PROPERTY, args[0]);
        config.put(Satellite.MODULE_PROPERTY, args[1]);
        config.put(Constants.FRAMEWORK_STORAGE, args[2]);
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put("org.osgi.service.log.admin.loglevel", "INFO");
        List<String> bundles = List.of(args).subList(3, args.length);
        config.put(DRIVER_PROPERTY, bundles.get(bundles.size() - 1));
        Framework framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
        framework.start();
        try {
            List<Bundle> installed = new java.util.ArrayList<>();
            for (String location : bundles) {
                installed.add(framework.getBundleContext().installBundle(location));
            }
            java.nio.file.Path hal = java.nio.file.Path.of(args[2]).resolveSibling(HAL_CONFIG);
            // the kernel last: its satellite starts the driver as soon as it runs, and whatever the
            // driver may use (the HAL) must be up by then
            List<Bundle> order = new java.util.ArrayList<>(installed.subList(0, installed.size() - 1));
            order.sort(java.util.Comparator.comparing(b -> KERNEL.equals(b.getSymbolicName())));
            for (Bundle b : order) {
                if (Isolation.HAL_PID.equals(b.getSymbolicName()) && java.nio.file.Files.exists(hal)) {
                    configure(framework.getBundleContext(), java.nio.file.Files.readAllBytes(hal));
                }
                if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    b.start();
                }
            }
        } catch (Exception e) {
            System.err.println("devhost isolated module " + args[1] + ": " + e);
            System.exit(1);
        }
        framework.waitForStop(0);
        System.exit(0);
    }

    /**
     * Stores a configuration ({@link Wire#config}) in the framework's Configuration Admin, which has
     * started. Through reflection: this class is on the class path, the Configuration Admin API in
     * a bundle.
     */
    private static void configure(org.osgi.framework.BundleContext context, byte[] config) throws Exception {
        java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(config));
        String pid = Wire.str(in);
        java.util.Hashtable<String, Object> properties = Wire.properties(in);
        if (properties.isEmpty()) {
            return; // the host has none: the defaults, as there
        }
        org.osgi.framework.ServiceReference<?> ref = context.getServiceReference("org.osgi.service.cm.ConfigurationAdmin");
        if (ref == null) {
            throw new IllegalStateException("no Configuration Admin for the HAL's configuration");
        }
        Object cm = context.getService(ref);
        ClassLoader api = cm.getClass().getClassLoader();
        Class<?> admin = api.loadClass("org.osgi.service.cm.ConfigurationAdmin");
        Class<?> configuration = api.loadClass("org.osgi.service.cm.Configuration");
        Object c = admin.getMethod("getConfiguration", String.class, String.class).invoke(cm, pid, "?");
        configuration.getMethod("update", java.util.Dictionary.class).invoke(c, properties);
    }
}
