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
            for (Bundle b : installed.subList(0, installed.size() - 1)) {
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
}
