package org.devhost.launcher;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Starts the host: a Felix framework with the bundles of the distribution folder, in this order:
 * {@code bundle/} (OSGi services, SCR, Gogo runtime, the kernel and the dev commands),
 * {@code drivers/} (the sample drivers), the jars named on the command line, and last the console
 * ({@code console/jline} on a terminal, {@code console/plain} otherwise), because the Gogo shell
 * reads stdin as soon as it starts and stops the framework at end of input.
 *
 * <p>Arguments: {@code name=value} sets a framework property; a path or URL ending in {@code .jar}
 * is installed and started as an extra driver; {@code --no-shell} runs without a console (until
 * the framework is stopped). JVM options are the {@code ./devhost} script's business ({@code -J}).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        Path home = home();
        Map<String, String> config = defaults(home);
        List<String> extraJars = new ArrayList<>();
        boolean shell = true;
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println("usage: devhost [-J<jvm option>]... [name=value]... [driver.jar]... [--no-shell]");
                return;
            } else if (a.equals("--no-shell")) {
                shell = false;
            } else if (a.contains("=") && !a.endsWith(".jar")) {
                config.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else if (a.endsWith(".jar")) {
                extraJars.add(a.contains(":") && !a.startsWith("/") ? a : Path.of(a).toAbsolutePath().toUri().toString());
            } else {
                System.err.println("devhost: unknown argument '" + a + "' (see --help)");
                System.exit(2);
            }
        }
        String console = config.getOrDefault("devhost.console", System.console() != null ? "jline" : "plain");
        if (console.equals("jline")) {
            // etc/gosh_profile there adds Tab completion; the plain shell would fail on its commands
            config.putIfAbsent("gosh.home", home.toString());
        }

        Framework framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
        framework.init();
        BundleContext ctx = framework.getBundleContext();
        framework.start();

        startAll(ctx, install(ctx, jars(home.resolve("bundle"))));
        startAll(ctx, install(ctx, jars(home.resolve("drivers"))));
        startAll(ctx, installLocations(ctx, extraJars));
        if (shell) {
            List<Bundle> consoleBundles = install(ctx, jars(home.resolve("console").resolve(console)));
            // JLine finds its terminal providers through the thread context class loader; the
            // console thread inherits this thread's, so make it JLine's own before the start.
            ctx.getBundle(0).adapt(FrameworkWiring.class).resolveBundles(consoleBundles);
            for (Bundle b : consoleBundles) {
                BundleWiring w = b.adapt(BundleWiring.class);
                if ("org.jline".equals(b.getSymbolicName()) && w != null) {
                    Thread.currentThread().setContextClassLoader(w.getClassLoader());
                }
            }
            startAll(ctx, consoleBundles);
        }

        FrameworkEvent end = framework.waitForStop(0);
        System.exit(end.getType() == FrameworkEvent.ERROR ? 1 : 0);
    }

    /** The distribution folder: the parent of {@code lib/} that holds this class's jar. */
    private static Path home() throws URISyntaxException {
        String explicit = System.getProperty("devhost.home");
        if (explicit != null) {
            return Path.of(explicit);
        }
        Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        return jar.getParent().getParent();
    }

    private static Map<String, String> defaults(Path home) {
        Map<String, String> c = new HashMap<>();
        c.put("org.osgi.framework.storage", home.resolve("cache").toString());
        c.put("org.osgi.framework.storage.clean", "onFirstInit");
        // INFO and up reach the kernel log (DEBUG would fill it with SCR tracing).
        c.put("org.osgi.service.log.admin.loglevel", "INFO");
        c.put("felix.fileinstall.dir", System.getProperty("devhost.deploy", Path.of("deploy").toAbsolutePath().toString()));
        c.put("felix.fileinstall.poll", "1000");
        c.put("felix.fileinstall.noInitialDelay", "true");
        c.put("felix.fileinstall.log.level", "2");
        // JVM -D options with these prefixes reach the framework too.
        for (String k : System.getProperties().stringPropertyNames()) {
            if (k.startsWith("devhost.") || k.startsWith("felix.") || k.startsWith("org.osgi.") || k.startsWith("gosh.")) {
                c.put(k, System.getProperty(k));
            }
        }
        try {
            Files.createDirectories(Path.of(c.get("felix.fileinstall.dir")));
        } catch (IOException e) {
            System.err.println("devhost: cannot create the deploy folder: " + e.getMessage());
        }
        return c;
    }

    private static List<String> jars(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".jar")).map(p -> p.toUri().toString()).sorted().toList();
        }
    }

    private static List<Bundle> install(BundleContext ctx, List<String> locations) {
        return installLocations(ctx, locations);
    }

    private static List<Bundle> installLocations(BundleContext ctx, List<String> locations) {
        List<Bundle> bundles = new ArrayList<>();
        for (String loc : locations) {
            try {
                bundles.add(ctx.installBundle(loc));
            } catch (BundleException e) {
                System.err.println("devhost: cannot install " + loc + ": " + e.getMessage());
            }
        }
        return bundles;
    }

    /** Starts bundles in the order given; fragments are resolved with their hosts and not started. */
    private static void startAll(BundleContext ctx, List<Bundle> bundles) {
        for (Bundle b : bundles) {
            if (b.getHeaders("").get("Fragment-Host") != null) {
                continue;
            }
            try {
                b.start();
            } catch (BundleException e) {
                System.err.println("devhost: cannot start " + b.getSymbolicName() + ": " + e.getMessage());
            }
        }
    }

}
