package org.devhost.launcher;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
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
 * is installed and started as an extra driver, a URL only with its SHA-256 pinned by {@code
 * --sha256 HEX} right before it ({@link #installExtraJars}); a jar followed by {@code :name=value}
 * parameters loads as {@code dev:insmod JAR name=value} does ({@link JarWithParameters}); {@code
 * --no-shell} runs without a console (until
 * the framework is stopped); {@code --web} (or {@code devhost.web=true}) also starts the Felix Web
 * Console from {@code web/}, after the drivers, and prints its address and credentials once
 * ({@link WebConsole}). JVM options are the {@code ./devhost} script's business ({@code -J}).
 *
 * <p>Folders, each made absolute: the framework storage ({@code org.osgi.framework.storage},
 * default {@code cache/} here), emptied at every start only when it is the host's own ({@link
 * StorageFolder}); hot deploy's {@code devhost.deploy} (driver jars) and {@code devhost.conf}
 * (configuration files), defaults {@code deploy/} and {@code conf/} here, which FileInstall
 * watches only when each is the host user's alone ({@link HostFolders}); FileInstall starts last,
 * after the deploy guard that checks every file.
 */
public final class Main {
    /** Framework property: the folder whose driver jars hot deploy loads (absolute). */
    static final String DEPLOY = "devhost.deploy";
    /** Framework property: the folder whose configuration files hot deploy applies (absolute). */
    static final String CONF = "devhost.conf";
    private static final String FILEINSTALL = "org.apache.felix.fileinstall";
    /** Service property of the launcher's marker, registered once everything it boots is started. */
    static final String BOOT_PROPERTY = "devhost.boot";

    private Main() {}

    public static void main(String[] args) throws Exception {
        Path home = home();
        Map<String, String> config = defaults(home);
        List<String> extraJars = new ArrayList<>();
        Map<String, String> pins = new HashMap<>(); // extra jar -> the SHA-256 given before it (--sha256)
        List<JarWithParameters> withParameters = new ArrayList<>(); // JAR:name=value..., loaded as dev:insmod loads
        String pin = null;
        boolean shell = true;
        for (String a : args) {
            if ("--sha256".equals(pin)) {
                pin = a; // the value of "--sha256 HEX"
            } else if (a.equals("--sha256") || a.startsWith("--sha256=")) {
                pin = a.equals("--sha256") ? a : a.substring("--sha256=".length());
            } else if (pin != null && !((a.endsWith(".jar") || JarWithParameters.matches(a)) && pin.matches("[0-9a-fA-F]{64}"))) {
                System.err.println("devhost: --sha256 takes the jar's SHA-256 (64 hex digits) and comes right before"
                        + " the jar it pins: --sha256 <hex> <url>.jar; not '" + pin + "' before '" + a + "' (EINVAL)");
                System.exit(2);
            } else if (a.equals("--help") || a.equals("-h")) {
                System.out.println("usage: devhost [-J<jvm option>]... [name=value]... [[--sha256 HEX] driver.jar|URL"
                        + "[:param=value]...]... [--no-shell] [--web]");
                return;
            } else if (a.equals("--no-shell")) {
                shell = false;
            } else if (a.equals("--web")) {
                config.put(WebConsole.ENABLE, "true");
            } else if (JarWithParameters.matches(a)) {
                JarWithParameters j;
                try {
                    j = JarWithParameters.parse(a, pin);
                } catch (IllegalArgumentException e) {
                    System.err.println("devhost: " + e.getMessage());
                    System.exit(2);
                    return;
                }
                withParameters.add(j);
                pin = null;
            } else if (JarWithParameters.looksLikeOne(a)) {
                System.err.println("devhost: no driver jar in '" + a + "': give an existing FILE.jar (or a URL) and its"
                        + " parameters, FILE.jar:name=value[:name=value]... (ENOENT)");
                System.exit(2);
            } else if (a.contains("=") && !a.endsWith(".jar")) {
                config.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else if (a.endsWith(".jar")) {
                extraJars.add(a.contains(":") && !a.startsWith("/") ? a : Path.of(a).toAbsolutePath().toUri().toString());
                if (pin != null) {
                    pins.put(extraJars.get(extraJars.size() - 1), pin);
                    pin = null;
                }
            } else {
                System.err.println("devhost: unknown argument '" + a + "' (see --help)");
                System.exit(2);
            }
        }
        if (pin != null) {
            System.err.println("devhost: --sha256 names no jar after it: --sha256 <hex> <url>.jar (EINVAL)");
            System.exit(2);
        }
        for (String key : List.of(DEPLOY, CONF, Constants.FRAMEWORK_STORAGE)) {
            config.put(key, Path.of(config.get(key)).toAbsolutePath().normalize().toString());
        }
        try {
            StorageFolder.prepare(Path.of(config.get(Constants.FRAMEWORK_STORAGE)));
        } catch (IOException e) {
            System.err.println("devhost: " + e.getMessage());
            System.exit(2);
        }
        boolean hotDeploy = hotDeploy(config);
        WebConsole.Login web = null;
        if (WebConsole.enabled(config)) {
            try {
                web = WebConsole.configure(config, new SecureRandom());
            } catch (IllegalArgumentException e) {
                System.err.println("devhost: " + e.getMessage());
                System.exit(2);
            }
        }
        String console = config.getOrDefault("devhost.console", System.console() != null ? "jline" : "plain");
        // Gogo reads ${gosh.home}/etc/gosh_profile, else the current directory's. Ours (in home)
        // adds Tab completion for JLine; the plain shell fails on its commands and then never
        // reads its input (a host that never stops), so it gets a folder without one.
        config.putIfAbsent("gosh.home", (console.equals("jline") ? home : home.resolve("console").resolve("plain")).toString());

        Framework framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
        framework.init();
        BundleContext ctx = framework.getBundleContext();
        framework.start();
        BoundedStop.install(framework, config.get(BoundedStop.TIMEOUT_PROPERTY));
        // SIGTERM and Ctrl-C stop the framework, so every bundle's deactivation runs (devfs
        // unmounts, drivers release their nodes) before the JVM ends; bounded (BoundedStop halts
        // the JVM past its deadline), never a hang.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if ((framework.getState() & (Bundle.ACTIVE | Bundle.STARTING)) != 0) {
                    framework.stop();
                    framework.waitForStop(0);
                }
            } catch (Exception e) {
                // the JVM is ending anyway
            }
        }, "devhost-shutdown"));

        List<Bundle> infra = install(ctx, jars(home.resolve("bundle")));
        // FileInstall starts last, once the deploy guard is in place (and not at all when hot deploy is off)
        List<Bundle> fileInstall = infra.stream().filter(b -> FILEINSTALL.equals(b.getSymbolicName())).toList();
        infra.removeAll(fileInstall);
        startAll(ctx, halBackendsFirst(infra));
        System.out.println(halBanner(ctx));
        // a driver that asks to run in a process of its own (faulty) is loaded as dev:insmod loads
        // it (the module manager makes its stand-in and starts its process), first, so that the
        // drivers take the same numbers whichever way each runs
        List<String> drivers = jars(home.resolve("drivers"));
        List<String> isolated = drivers.stream().filter(Main::asksForIsolation).toList();
        for (String d : isolated) {
            new JarWithParameters(d, Map.of(), null).load(ctx, false);
        }
        startAll(ctx, install(ctx, drivers.stream().filter(d -> !isolated.contains(d)).toList()));
        startAll(ctx, installExtraJars(ctx, extraJars, pins));
        for (JarWithParameters j : withParameters) {
            j.load(ctx);
        }
        if (web != null) {
            startWeb(ctx, home.resolve("web"), web);
        }
        if (hotDeploy && guardIsUp(ctx)) {
            startAll(ctx, fileInstall);
        }
        // Everything the host boots is started: what waits for the boot (systemd's READY=1) may look now.
        ctx.registerService(Object.class, new Object(), new java.util.Hashtable<>(Map.of(BOOT_PROPERTY, "complete")));
        if (!shell) {
            System.out.println("devhost: running without a shell (process " + ProcessHandle.current().pid()
                    + "); stop it with Ctrl-C or kill " + ProcessHandle.current().pid());
        }
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

    /**
     * Starts the web console's bundles ({@code web/}: Jetty, the console, its plugins and
     * devhost's pages) and prints where it listens, with the credentials, once. The logging API
     * goes first (Jetty logs from its start) and Jetty last, so the console and every page are
     * registered when the port opens.
     */
    private static void startWeb(BundleContext ctx, Path dir, WebConsole.Login login) throws IOException {
        WebConsole.register(ctx, login); // before the console, which serves nothing until its login is there
        List<Bundle> bundles = install(ctx, jars(dir));
        if (bundles.isEmpty()) {
            System.err.println("devhost: the web console is not in this distribution (" + dir + " is empty)");
            return;
        }
        bundles.sort(java.util.Comparator.comparingInt(b -> b.getSymbolicName() == null ? 1
                : b.getSymbolicName().startsWith("org.ops4j.pax.logging") ? 0
                : b.getSymbolicName().startsWith("org.apache.felix.http.jetty") ? 2 : 1));
        startAll(ctx, bundles);
        String endpoint = httpEndpoint(ctx);
        if (endpoint == null) {
            System.err.println("devhost: the web console did not start (is the port taken? see dev:dmesg)");
            return;
        }
        System.out.println("devhost: web console at " + endpoint.replaceAll("/$", "") + WebConsole.ROOT
                + "/devices, " + login.shown());
    }

    /** Where the HTTP service listens ({@code osgi.http.endpoint} of its runtime), or null when it is not up. */
    private static String httpEndpoint(BundleContext ctx) {
        // Jetty registers its runtime service once it listens; it starts in its activator, so this
        // is normally there at once. The bound only keeps a failed start from hanging the boot.
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        do {
            try {
                org.osgi.framework.ServiceReference<?>[] refs = ctx.getServiceReferences(
                        "org.osgi.service.servlet.runtime.HttpServiceRuntime", null);
                if (refs != null) {
                    Object e = refs[0].getProperty("osgi.http.endpoint");
                    if (e instanceof String[] a && a.length > 0) {
                        return a[0];
                    }
                    if (e instanceof java.util.Collection<?> c && !c.isEmpty()) {
                        return String.valueOf(c.iterator().next());
                    }
                    if (e instanceof String s) {
                        return s;
                    }
                }
                Thread.sleep(50);
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        } while (System.nanoTime() < end);
        return null;
    }

    /**
     * Checks the hot-deploy folders ({@code devhost.deploy} for jars, {@code devhost.conf} for
     * configuration files) and points FileInstall at them; false, with the reason printed, when
     * either folder is not the host user's alone.
     */
    private static boolean hotDeploy(Map<String, String> config) {
        String user = System.getProperty("user.name");
        for (String key : List.of(DEPLOY, CONF)) {
            Path dir = Path.of(config.get(key));
            Optional<String> why = HostFolders.prepare(dir, user);
            if (why.isPresent()) {
                System.err.println("devhost: hot deploy is off: " + why.get());
                return false;
            }
        }
        config.put("felix.fileinstall.dir", config.get(DEPLOY) + "," + config.get(CONF));
        config.put("felix.fileinstall.filter", ".*\\.(jar|cfg)");
        return true;
    }

    /**
     * Hot deploy fails closed: FileInstall starts only when the deploy guard (the component that
     * checks every file first) is registered; otherwise the console says so and nothing loads.
     */
    private static boolean guardIsUp(BundleContext ctx) {
        try {
            if (ctx.getServiceReferences("org.apache.felix.fileinstall.ArtifactInstaller",
                    "(component.name=org.devhost.deploy.DeployGuard)") != null) {
                return true;
            }
        } catch (org.osgi.framework.InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        System.err.println("devhost: hot deploy is off: the deploy guard (org.devhost.deploy) is not running, and"
                + " nothing loads from deploy/ or conf/ unchecked; see lb and dev:dmesg");
        return false;
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
        c.put(Constants.FRAMEWORK_STORAGE, home.resolve("cache").toString());
        // StorageFolder empties it, and only when it is the host's own; Felix must not.
        c.put(Constants.FRAMEWORK_STORAGE_CLEAN, "none");
        // INFO and up reach the kernel log (DEBUG would fill it with SCR tracing).
        c.put("org.osgi.service.log.admin.loglevel", "INFO");
        c.put(DEPLOY, home.resolve("deploy").toString());
        c.put(CONF, home.resolve("conf").toString());
        c.put("felix.fileinstall.poll", "1000");
        c.put("felix.fileinstall.noInitialDelay", "true");
        c.put("felix.fileinstall.log.level", "2");
        // JVM -D options with these prefixes reach the framework too.
        for (String k : System.getProperties().stringPropertyNames()) {
            if (k.startsWith("devhost.") || k.startsWith("felix.") || k.startsWith("org.osgi.") || k.startsWith("gosh.")) {
                c.put(k, System.getProperty(k));
            }
        }
        return c;
    }

    /** Whether a driver jar asks to run in a process of its own ({@code Devhost-Isolation: process} in its manifest). */
    static boolean asksForIsolation(String location) {
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(Path.of(java.net.URI.create(location)).toFile())) {
            java.util.jar.Manifest mf = jar.getManifest();
            return mf != null && "process".equals(mf.getMainAttributes().getValue("Devhost-Isolation"));
        } catch (IOException | IllegalArgumentException e) {
            return false; // not a readable jar: installed as it is, and refused there with its reason
        }
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
        List<Bundle> bundles = new ArrayList<>(); // mutable: the caller may take some out
        for (String loc : locations) {
            try {
                bundles.add(ctx.installBundle(loc));
            } catch (BundleException e) {
                System.err.println("devhost: cannot install " + loc + ": " + e.getMessage());
            }
        }
        return bundles;
    }

    /**
     * Installs the jars named on the command line by {@code dev:insmod}'s rule: a local file (a
     * path, or a {@code file:} URL) loads as it is; any other URL loads only with its SHA-256
     * pinned ({@code --sha256 HEX} right before it), because fetching code without knowing what it
     * is runs whatever the network sends as the host's user. An unpinned URL is not even fetched. A
     * pinned jar is read once into memory (at most 64 MiB, 30 s to connect and between reads) and
     * the bytes checked are the bytes installed. A pin is checked for local files too. Each refusal
     * is a line naming the errno, and the host runs without that jar.
     */
    static List<Bundle> installExtraJars(BundleContext ctx, List<String> locations, Map<String, String> pins) {
        List<Bundle> bundles = new ArrayList<>();
        for (String loc : locations) {
            String pinned = pins.get(loc);
            if (pinned == null && loc.startsWith("file:")) {
                bundles.addAll(installLocations(ctx, List.of(loc)));
                continue;
            }
            if (pinned == null) {
                System.err.println("devhost: not loading " + loc + ": a jar from a URL loads only with its SHA-256 pinned"
                        + " (EACCES); give it as ./devhost --sha256 <hex> " + loc + " (as dev:insmod --sha256 takes it),"
                        + " or copy the jar here and give its path");
                continue;
            }
            byte[] bytes;
            try {
                java.net.URLConnection c = new java.net.URL(loc).openConnection();
                c.setConnectTimeout(30_000); // a fetch that hangs must not hang the start
                c.setReadTimeout(30_000);
                try (java.io.InputStream in = c.getInputStream()) {
                    bytes = in.readNBytes((64 << 20) + 1);
                }
            } catch (IOException | IllegalArgumentException e) {
                System.err.println("devhost: not loading " + loc + ": cannot fetch it (" + e + ") (EIO)");
                continue;
            }
            if (bytes.length > 64 << 20) {
                System.err.println("devhost: not loading " + loc + ": larger than 64 MiB, not a driver jar this host loads (EFBIG)");
                continue;
            }
            String actual;
            try {
                actual = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
            if (!actual.equalsIgnoreCase(pinned)) {
                System.err.println("devhost: not loading " + loc + ": its SHA-256 is " + actual + ", not the pinned "
                        + pinned.toLowerCase(java.util.Locale.ROOT) + " (EACCES); nothing was installed");
                continue;
            }
            try {
                bundles.add(ctx.installBundle(loc, new java.io.ByteArrayInputStream(bytes)));
            } catch (BundleException e) {
                System.err.println("devhost: cannot install " + loc + ": " + e.getMessage());
            }
        }
        return bundles;
    }

    /**
     * The infrastructure in start order, with the HAL backends moved before the first devhost
     * bundle: the HAL's consumers (devfs, hostdev) bind a {@code Hal} once, statically, and take
     * the highest-ranked one there is at that moment, so every backend must be registered first
     * (file-name order would start devfs before the HAL).
     */
    static List<Bundle> halBackendsFirst(List<Bundle> infra) {
        List<Bundle> hal = infra.stream().filter(b -> isHal(b.getSymbolicName())).toList();
        List<Bundle> ordered = new ArrayList<>(infra);
        ordered.removeAll(hal);
        int first = 0;
        while (first < ordered.size() && !String.valueOf(ordered.get(first).getSymbolicName()).startsWith("org.devhost.")) {
            first++;
        }
        ordered.addAll(first, hal);
        return ordered;
    }

    private static boolean isHal(String symbolicName) {
        return "org.devhost.hal".equals(symbolicName) || String.valueOf(symbolicName).startsWith("org.devhost.hal.");
    }

    /** The boot banner: the JDK, and which HAL backend serves (the highest-ranked {@code Hal}) and its version. */
    static String halBanner(BundleContext ctx) {
        ServiceReference<?> hal = ctx.getServiceReference("org.devhost.hal.Hal");
        String jdk = "devhost on JDK " + Runtime.version();
        if (hal == null) {
            return jdk + "; no HAL backend is running";
        }
        Bundle b = hal.getBundle();
        return jdk + "; HAL backend " + hal.getProperty("devhost.hal.backend") + ": "
                + b.getHeaders("").get("DevHost-Hal-Backend") + " (" + b.getSymbolicName() + " " + b.getVersion() + ")";
    }

    private static final Pattern JAVA_SE = Pattern.compile(
            "osgi\\.ee=JavaSE\\)\\(version>?=([0-9]+)");

    /** The Java version a bundle's {@code osgi.ee} requirement names (bnd writes {@code version=N}), or 0. */
    static int neededJdk(Bundle b) {
        String req = b.getHeaders("").get("Require-Capability");
        Matcher m = JAVA_SE.matcher(req == null ? "" : req);
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    /**
     * Starts bundles in the order given; fragments are resolved with their hosts and not started,
     * and a bundle for a newer JDK than this one is left installed but not started, with a note.
     */
    static void startAll(BundleContext ctx, List<Bundle> bundles) {
        for (Bundle b : bundles) {
            if (b.getHeaders("").get("Fragment-Host") != null) {
                continue;
            }
            int jdk = neededJdk(b);
            if (jdk > Runtime.version().feature()) {
                // a distribution built on a newer JDK than this one (the FFM HAL: JDK 22+)
                System.err.println("devhost: skipping " + b.getSymbolicName() + ": it needs JDK " + jdk + " or later, this is JDK "
                        + Runtime.version().feature() + " (build with this JDK to leave it out)");
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
