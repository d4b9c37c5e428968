package org.devhost.kernel.impl.isolation;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleInfo;
import org.devhost.kernel.impl.registry.KernelCore;
import org.devhost.kernel.impl.registry.Supervision;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.SynchronousBundleListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The host's side of isolated modules: every started bundle carrying {@value IsolatedJar#HEADER}
 * (a stand-in made by {@link IsolatedJar}) gets a child process running its driver; stopping the
 * bundle kills the process. So the supervisor ends an isolated module as it ends any other, by
 * stopping its bundle, and the process boundary makes that end certain: no thread is left behind.
 *
 * <p>Children live in a folder of their own (mode 0700, under {@code java.io.tmpdir}, short enough
 * for a socket's path), removed when this component goes. Inactive inside a child.
 */
@Component(service = {Isolation.class, org.osgi.service.cm.ConfigurationListener.class}, immediate = true)
public final class Isolation implements SynchronousBundleListener, org.osgi.service.cm.ConfigurationListener {
    /** The HAL's configuration PID, which a child whose driver uses the HAL gets from the host. */
    static final String HAL_PID = "org.devhost.hal";
    /** Framework property: the heap bound of an isolated module's process ({@code -Xmx}), 64m unless set. */
    public static final String HEAP_PROPERTY = "devhost.isolation.heap";
    /** How long a child has to connect to the host after it is started. */
    static final long CONNECT_MS = 10_000;
    /** The bundles a child runs besides the driver, by symbolic name: what the kernel imports. */
    static final List<String> CHILD_BUNDLES = List.of("org.osgi.util.function", "org.osgi.util.promise",
            "org.osgi.service.component", "org.apache.felix.scr", "org.apache.felix.log", "org.apache.felix.configadmin",
            "org.apache.felix.eventadmin", "org.apache.felix.metatype", "org.devhost.kernel");

    /** The HAL's bundles, given to a child whose driver imports the HAL's API. */
    static final List<String> HAL_BUNDLES = List.of("org.devhost.hal", "org.devhost.hal.ffm");

    /** Whether a driver jar imports the HAL's API ({@code org.devhost.hal}). */
    static boolean usesHal(Path driver) throws IOException {
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(driver.toFile())) {
            String imports = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Import-Package");
            return imports != null && java.util.regex.Pattern.compile("(^|,)\\s*org\\.devhost\\.hal\\s*(;|,|$)").matcher(imports).find();
        }
    }

    private final KernelCore core;
    private final BundleContext context;
    private final boolean host;
    private final Map<Long, Child> children = new ConcurrentHashMap<>();
    private Path folder;

    @Activate
    public Isolation(@Reference KernelCore core, BundleContext context) throws IOException {
        this.core = core;
        this.context = context;
        this.host = context.getProperty(Satellite.SOCKET_PROPERTY) == null;
        if (!host) {
            return;
        }
        folder = folder(context);
        context.addBundleListener(this);
        for (Bundle b : context.getBundles()) {
            if (b.getState() == Bundle.ACTIVE && isStandIn(b)) {
                startChild(b);
            }
        }
    }

    /**
     * The children's folder: in the framework's storage, which the host empties at every start, so
     * nothing of a host killed with SIGKILL stays; in {@code java.io.tmpdir} only when that path is
     * too long for a socket's (at most {@value #SOCKET_PATH_MAX} bytes with the child's part; 108 in
     * the kernel). Mode 0700.
     */
    static Path folder(BundleContext context) throws IOException {
        var owner = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
        java.io.File data = context.getDataFile("isolation");
        if (data != null && data.getAbsolutePath().length() <= SOCKET_PATH_MAX - 24) {
            Path p = data.toPath().toAbsolutePath();
            if (Files.isDirectory(p)) {
                try (Stream<Path> old = Files.list(p)) { // what an earlier run of this component left
                    for (Path o : old.toList()) {
                        deleteTree(o);
                    }
                }
            } else {
                Files.createDirectories(p.getParent());
                Files.createDirectory(p, owner);
            }
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
            return p;
        }
        return Files.createTempDirectory("devhost-isolation-", owner);
    }

    /** Room for a socket's path: sun_path is 108 bytes, and a child's folder ("/c" and 19 digits) and "/s" take up to 24 of it. */
    static final int SOCKET_PATH_MAX = 100;

    @Deactivate
    void deactivate() {
        if (!host) {
            return;
        }
        context.removeBundleListener(this);
        for (Child c : children.values()) {
            c.stop();
        }
        children.clear();
        ClassArchive a;
        synchronized (this) {
            a = archive;
        }
        if (a != null) {
            a.close();
        }
        delete(folder);
    }

    /** A stand-in made by IsolatedJar: the header and the driver inside. A driver's own jar may carry the header too (it asks to be isolated), and is not one. */
    static boolean isStandIn(Bundle b) {
        return b.getHeaders("").get(IsolatedJar.HEADER) != null && b.getEntry(IsolatedJar.DRIVER_ENTRY) != null;
    }

    @Override
    public void bundleChanged(BundleEvent event) {
        Bundle b = event.getBundle();
        if (!standIn(b)) {
            return;
        }
        switch (event.getType()) {
            case BundleEvent.STARTED -> startChild(b);
            case BundleEvent.STOPPING, BundleEvent.UNINSTALLED -> stopChild(b);
            default -> { }
        }
    }

    /** Whether {@code b} is a stand-in, asked of a bundle that may be going: one with a child is one. */
    private boolean standIn(Bundle b) {
        if (children.containsKey(b.getBundleId())) {
            return true;
        }
        try {
            return isStandIn(b);
        } catch (IllegalStateException uninstalled) {
            return false;
        }
    }

    /** The process of an isolated module, while it runs: its pid, resident memory and CPU time. */
    public Optional<org.devhost.kernel.ModuleProcess> process(String module) {
        return children.values().stream().filter(c -> c.module().equals(module)).map(Child::process)
                .filter(p -> p != null && p.isAlive()).findFirst().map(p -> new org.devhost.kernel.ModuleProcess(p.pid(),
                        residentBytes(p.pid()), p.info().totalCpuDuration().orElse(java.time.Duration.ZERO)));
    }

    /** VmRSS from /proc/PID/status, in bytes; 0 when it cannot be read (the process just ended). */
    static long residentBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone, or not Linux: nothing to show
        }
        return 0;
    }

    /**
     * Waits until the child of {@code standIn} has started its driver.
     *
     * @return null when it has, else why not (the driver's start failed, or the process ended)
     * @throws KernelException ETIMEDOUT after {@code millis}, ENODEV when the bundle has no child
     */
    public String awaitReady(Bundle standIn, long millis) throws InterruptedException {
        Child c = children.get(standIn.getBundleId());
        if (c == null) {
            throw new KernelException(Errno.ENODEV, "module " + ModuleInfo.nameOf(standIn) + " has no process");
        }
        try {
            String failure = c.ready.get(millis, TimeUnit.MILLISECONDS);
            return failure.isEmpty() ? null : failure;
        } catch (TimeoutException e) {
            throw new KernelException(Errno.ETIMEDOUT, "module " + c.module() + ": its process did not start its driver"
                    + " within " + millis + " ms");
        } catch (java.util.concurrent.ExecutionException e) {
            return String.valueOf(e.getCause());
        }
    }

    private void startChild(Bundle b) {
        String module = ModuleInfo.nameOf(b);
        Child c;
        try {
            Path home = Files.createTempDirectory(folder, "c"); // short: a socket's path has 108 bytes
            c = new Child(this, core, b, module, home);
        } catch (IOException e) {
            core.log("ERROR", module, "cannot make a folder for its process: " + e.getMessage(), null);
            return;
        }
        Child old = children.put(b.getBundleId(), c);
        if (old != null) {
            old.stop();
        }
        // On the thread that started the bundle, as an in-process init runs in start(): a load, a
        // restart or the boot goes on once the child has started its driver (or failed to), bounded.
        try {
            c.start(command(b, c), CONNECT_MS);
            core.log("INFO", module, "isolated module runs as process " + c.pid(), null);
            if (c.usesHal()) { // a change of the HAL's rules between its file and the connection reaches it too
                c.send(Wire.CONFIG, 0, Wire.config(HAL_PID, halConfig()));
            }
            c.ready.get(org.devhost.kernel.ModuleManager.INIT_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (IOException | RuntimeException e) {
            c.stop();
            c.ready.complete("its process did not start: " + e.getMessage());
            processEnded(c, "its process did not start: " + e.getMessage());
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            core.log("WARN", module, "its process has not started its driver within "
                    + org.devhost.kernel.ModuleManager.INIT_WAIT_MS + " ms; it goes on starting", null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Makes {@code c} the child of {@code standIn} (as {@link #startChild} does; for tests that start a child of their own). */
    void track(Bundle standIn, Child c) {
        children.put(standIn.getBundleId(), c);
    }

    private void stopChild(Bundle b) {
        Child c = children.remove(b.getBundleId());
        if (c != null) {
            c.stop();
            core.log("INFO", c.module(), "isolated module's process " + c.pid() + " is stopped", null);
        }
    }

    /** The command line of a child: a small JVM with the framework and the kernel on its class path. */
    private List<String> command(Bundle standIn, Child c) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String heap = Optional.ofNullable(standIn.getHeaders("").get(IsolatedJar.HEAP_HEADER))
                .or(() -> Optional.ofNullable(context.getProperty(HEAP_PROPERTY))).orElse("64m");
        if (!heap.matches("[0-9]+[kKmMgG]?")) {
            throw new IOException(HEAP_PROPERTY + "=" + heap + " is not a size such as 64m");
        }
        cmd.addAll(List.of("-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError",
                "-XX:-UsePerfData", "-Xss512k", "-Xms8m"));
        Path childHome = c.folder();
        Path driver = childHome.resolve("driver.jar");
        try (InputStream in = IsolatedJar.driver(standIn)) {
            Files.copy(in, driver, StandardCopyOption.REPLACE_EXISTING);
        }
        // a driver of real nodes (hostdev) gets the host's HAL bundles too, and what native code needs
        boolean hal = usesHal(driver);
        c.usesHal(hal);
        if (hal) { // the host's HAL rules, in place before the child's HAL starts (ChildMain.HAL_CONFIG)
            Files.write(childHome.resolve(ChildMain.HAL_CONFIG), Wire.config(HAL_PID, halConfig()));
        }
        if (Runtime.version().feature() >= 24) { // as ./devhost runs the host there
            if (hal) {
                cmd.add("--enable-native-access=ALL-UNNAMED");
            }
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        String framework = fileOf(context.getBundle(0).getClass().getProtectionDomain().getCodeSource().getLocation().toString());
        String kernel = fileOf(context.getBundle().getLocation());
        List<String> bundles = new ArrayList<>();
        for (String bsn : CHILD_BUNDLES) {
            Bundle b = java.util.Arrays.stream(context.getBundles()).filter(x -> bsn.equals(x.getSymbolicName()))
                    .findFirst().orElseThrow(() -> new IOException("the host has no bundle " + bsn + " to give the process"));
            bundles.add(Path.of(fileOf(b.getLocation())).toUri().toString());
        }
        List<String> classPath = List.of("-cp", framework + java.io.File.pathSeparator + kernel, ChildMain.class.getName());
        ClassArchive archive = archive(List.of(Path.of(framework), Path.of(kernel)));
        List<String> dump = new ArrayList<>(cmd);
        dump.addAll(classPath);
        dump.add(ChildMain.ARCHIVE);
        dump.addAll(bundles);
        cmd.addAll(archive.options(dump));
        cmd.addAll(classPath);
        // ChildMain's arguments: the socket (its path put in by Child), the module, its storage, its bundles
        cmd.add(Child.SOCKET);
        cmd.add(c.module());
        cmd.add(childHome.resolve("cache").toString());
        cmd.addAll(bundles);
        if (hal) {
            for (Bundle b : context.getBundles()) { // the JNA backend, and the FFM one where it runs (JDK 22+)
                if (HAL_BUNDLES.contains(b.getSymbolicName()) && b.getState() == Bundle.ACTIVE) {
                    cmd.add(Path.of(fileOf(b.getLocation())).toUri().toString());
                }
            }
        }
        cmd.add(driver.toUri().toString());
        return cmd;
    }

    private ClassArchive archive;

    /** The class archive for the children's class path (one for the host's life: the class path does not change). */
    private synchronized ClassArchive archive(List<Path> classPath) {
        if (archive == null) {
            archive = ClassArchive.of(classPath, (level, line) -> core.log(level, "isolation", line, null));
        }
        return archive;
    }

    /** A local file behind a bundle's location ({@code file:}, {@code reference:file:}, or a path). */
    static String fileOf(String location) throws IOException {
        String l = location.startsWith("reference:") ? location.substring("reference:".length()) : location;
        if (l.startsWith("file:")) {
            return Path.of(URI.create(l)).toString();
        }
        if (l.startsWith("/")) {
            return l;
        }
        throw new IOException("an isolated module's process needs the host's bundles installed from files, and "
                + location + " is not one");
    }

    @Reference(cardinality = org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL,
            policy = org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC)
    private volatile org.devhost.kernel.ModuleParameters parameters;

    @Reference(cardinality = org.osgi.service.component.annotations.ReferenceCardinality.OPTIONAL,
            policy = org.osgi.service.component.annotations.ReferencePolicy.DYNAMIC)
    private volatile org.osgi.service.cm.ConfigurationAdmin configAdmin;

    /** The host's HAL configuration (PID {@value #HAL_PID}); empty when there is none (the HAL's defaults). */
    Map<String, Object> halConfig() {
        org.osgi.service.cm.ConfigurationAdmin cm = configAdmin;
        Map<String, Object> p = new java.util.HashMap<>();
        try {
            org.osgi.service.cm.Configuration[] cs = cm == null ? null
                    : cm.listConfigurations("(" + org.osgi.framework.Constants.SERVICE_PID + "=" + HAL_PID + ")");
            if (cs != null && cs.length > 0 && cs[0].getProperties() != null) {
                var d = cs[0].getProperties();
                for (var keys = d.keys(); keys.hasMoreElements();) {
                    String k = keys.nextElement();
                    p.put(k, d.get(k));
                }
            }
        } catch (IOException | org.osgi.framework.InvalidSyntaxException e) {
            core.log("WARN", "isolation", "cannot read the HAL's configuration for isolated modules: " + e.getMessage(), null);
        }
        return p;
    }

    /**
     * A configuration changed on the host: a running isolated module's parameters (PID = its name)
     * go to its process, as an in-process module sees them at once; the HAL's go to every process
     * whose driver uses the HAL. Other PIDs are no child's business.
     */
    @Override
    public void configurationEvent(org.osgi.service.cm.ConfigurationEvent event) {
        if (!host || event.getFactoryPid() != null) {
            return;
        }
        String pid = event.getPid();
        for (Child c : children.values()) {
            if (c.module().equals(pid)) {
                c.send(Wire.CONFIG, 0, Wire.config(pid, parameters(pid)));
            } else if (pid.equals(HAL_PID) && c.usesHal()) {
                c.send(Wire.CONFIG, 0, Wire.config(pid, halConfig()));
            }
        }
    }

    /** The module's parameters as stored on the host, as text (a list comma-separated), for its process to apply before init. */
    Map<String, String> parameters(String module) {
        org.devhost.kernel.ModuleParameters p = parameters;
        return p == null ? new java.util.LinkedHashMap<>() : text(p.stored(module));
    }

    /** Stored parameters as text, a list comma-separated (as {@code dev:insmod m p=a,b} writes it). */
    static Map<String, String> text(Map<String, Object> stored) {
        Map<String, String> text = new java.util.LinkedHashMap<>();
        stored.forEach((k, v) -> {
            if (v instanceof Object[] a) {
                text.put(k, String.join(",", java.util.Arrays.stream(a).map(String::valueOf).toList()));
            } else if (v != null && v.getClass().isArray()) {
                List<String> items = new ArrayList<>();
                for (int i = 0; i < java.lang.reflect.Array.getLength(v); i++) {
                    items.add(String.valueOf(java.lang.reflect.Array.get(v, i)));
                }
                text.put(k, String.join(",", items));
            } else if (v instanceof java.util.Collection<?> c) {
                text.put(k, String.join(",", c.stream().map(String::valueOf).toList()));
            } else {
                text.put(k, String.valueOf(v));
            }
        });
        return text;
    }

    void processEnded(Child c, String reason) {
        Supervision s = core.supervisor();
        if (s != null && children.get(c.standIn().getBundleId()) == c) {
            s.processEnded(c.standIn(), reason);
        }
    }

    void initFailed(Child c, String failure) {
        Supervision s = core.supervisor();
        if (s != null && children.get(c.standIn().getBundleId()) == c) {
            s.initFailed(c.standIn(), failure);
        }
    }

    void delete(Path p) {
        try {
            deleteTree(p);
        } catch (IOException | java.io.UncheckedIOException e) {
            core.log("WARN", "kernel", "cannot remove " + p + ": " + e.getMessage(), null);
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (p == null || !Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) { // walk does not follow links: a link is removed, not its target
            s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }
}
