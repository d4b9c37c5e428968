package org.devhost.bench;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.osgi.framework.AllServiceListener;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * Load and unload cost: install + start of rust_chrdev until both its devices are registered, and
 * stop until both are gone, against the same cycle for a bundle with an empty activator, in one
 * Felix with the host's bundles. Prints {@code name,median_ns,p99_ns} lines.
 *
 * <p>Usage: {@code Lifecycle <distribution folder> <cycles>}.
 */
public final class Lifecycle {
    private Lifecycle() {}

    public static void main(String[] args) throws Exception {
        Path dist = Path.of(args[0]);
        int cycles = Integer.parseInt(args[1]);
        Path storage = Files.createTempDirectory("devhost-bench");
        Map<String, String> config = new HashMap<>();
        config.put("org.osgi.framework.storage", storage.toString());
        config.put("org.osgi.framework.storage.clean", "onFirstInit");
        config.put("org.osgi.service.log.admin.loglevel", "INFO");
        Framework fw = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
        fw.start();
        BundleContext ctx = fw.getBundleContext();
        List<Bundle> infra = new ArrayList<>();
        try (Stream<Path> s = Files.list(dist.resolve("bundle"))) {
            for (Path p : s.sorted().toList()) {
                infra.add(ctx.installBundle(p.toUri().toString()));
            }
        }
        for (Bundle b : infra) {
            b.start();
        }
        for (Bundle b : infra) {
            if (b.getState() != Bundle.ACTIVE) {
                throw new IllegalStateException(b.getSymbolicName() + " did not start");
            }
        }
        String chrdev;
        try (Stream<Path> s = Files.list(dist.resolve("drivers"))) {
            chrdev = s.filter(p -> p.getFileName().toString().contains("rust_chrdev")).findFirst().orElseThrow().toUri().toString();
        }
        String empty = emptyBundle(storage, false).toUri().toString();
        String emptyDs = emptyBundle(storage, true).toUri().toString();

        Semaphore added = new Semaphore(0);
        Semaphore removed = new Semaphore(0);
        // An AllServiceListener: the kernel API on this class path is not the kernel bundle's, and a
        // plain ServiceListener would be filtered out as not seeing the same Device class.
        AllServiceListener devices = e -> (e.getType() == ServiceEvent.REGISTERED ? added : removed).release();
        ctx.addServiceListener(devices, "(&(objectClass=org.devhost.kernel.Device)(device.module=rust_chrdev))");

        long[][] driver = new long[3][cycles];
        long[][] baseline = new long[3][cycles];
        long[][] ds = new long[3][cycles];
        for (int i = -cycles / 10; i < cycles; i++) { // the first tenth warms up and is not kept
            long t0 = System.nanoTime();
            Bundle b = ctx.installBundle(chrdev);
            b.start();
            await(added, 2);
            long t1 = System.nanoTime();
            b.stop();
            await(removed, 2);
            long t2 = System.nanoTime();
            b.uninstall();

            long e0 = System.nanoTime();
            Bundle e = ctx.installBundle(empty);
            e.start();
            long e1 = System.nanoTime();
            e.stop();
            long e2 = System.nanoTime();
            e.uninstall();

            long d0 = System.nanoTime();
            Bundle c = ctx.installBundle(emptyDs);
            c.start(); // SCR activates an immediate component without references during the start
            long d1 = System.nanoTime();
            c.stop();
            long d2 = System.nanoTime();
            c.uninstall();
            if (i >= 0) {
                ds[0][i] = d1 - d0;
                ds[1][i] = d2 - d1;
                ds[2][i] = d2 - d0;
                driver[0][i] = t1 - t0;
                driver[1][i] = t2 - t1;
                driver[2][i] = t2 - t0;
                baseline[0][i] = e1 - e0;
                baseline[1][i] = e2 - e1;
                baseline[2][i] = e2 - e0;
            }
        }
        String[] what = {"load", "unload", "cycle"};
        for (int k = 0; k < 3; k++) {
            print("lifecycle_rust_chrdev_" + what[k], driver[k]);
            print("lifecycle_empty_activator_" + what[k], baseline[k]);
            print("lifecycle_empty_component_" + what[k], ds[k]);
        }
        fw.stop();
        fw.waitForStop(10_000);
    }

    private static void await(Semaphore s, int n) throws InterruptedException {
        if (!s.tryAcquire(n, 10, TimeUnit.SECONDS)) {
            System.err.println("rust_chrdev devices did not come or go within 10 s");
            System.exit(1);
        }
    }

    private static void print(String name, long[] ns) {
        long[] sorted = ns.clone();
        java.util.Arrays.sort(sorted);
        System.out.printf("%s,%d,%d%n", name, sorted[sorted.length / 2], sorted[(int) Math.ceil(sorted.length * 0.99) - 1]);
    }

    /** A bundle with nothing but {@link EmptyActivator}, or with {@link EmptyComponent} as a DS component. */
    private static Path emptyBundle(Path dir, boolean component) throws Exception {
        Manifest mf = new Manifest();
        mf.getMainAttributes().putValue("Manifest-Version", "1.0");
        mf.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        mf.getMainAttributes().putValue("Bundle-SymbolicName", "org.devhost.bench.empty" + (component ? "ds" : ""));
        mf.getMainAttributes().putValue("Bundle-Version", "1.0.0");
        Class<?> type = component ? EmptyComponent.class : EmptyActivator.class;
        if (component) {
            mf.getMainAttributes().putValue("Service-Component", "OSGI-INF/empty.xml");
        } else {
            mf.getMainAttributes().putValue("Bundle-Activator", EmptyActivator.class.getName());
            mf.getMainAttributes().putValue("Import-Package", "org.osgi.framework");
        }
        Path jar = dir.resolve(component ? "empty-component.jar" : "empty-activator.jar");
        String entry = type.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf);
                InputStream in = Lifecycle.class.getClassLoader().getResourceAsStream(entry)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            in.transferTo(bytes);
            out.putNextEntry(new JarEntry(entry));
            out.write(bytes.toByteArray());
            if (component) {
                out.putNextEntry(new JarEntry("OSGI-INF/empty.xml"));
                out.write(("<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.4.0\" name=\"empty\" immediate=\"true\">"
                        + "<implementation class=\"" + EmptyComponent.class.getName() + "\"/></scr:component>")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return jar;
    }
}
