package org.devhost.itests;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.frameworkProperty;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ops4j.pax.exam.Option;

/**
 * The framework every integration test runs: the host's runtime bundles and kernel as
 * {@code ./devhost} starts them, without the console, plus whichever drivers a test asks for.
 * The jars come from {@code target/bundles}, which the build fills from this module's dependencies.
 */
final class HostOptions {
    private HostOptions() {}

    /** Infrastructure in start order; drivers are named by artifactId without the prefix. */
    private static final List<String> INFRA = List.of(
            "org.osgi.util.function", "org.osgi.util.promise", "org.osgi.service.component",
            "org.apache.felix.log", "org.apache.felix.configadmin", "org.apache.felix.scr",
            "org.apache.felix.metatype", "org.apache.felix.eventadmin",
            "org.apache.felix.gogo.runtime", "org.apache.felix.gogo.command",
            "org.devhost.kernel", "org.devhost.hal", "org.devhost.shell");

    static Option[] host(String... drivers) {
        List<Option> o = new ArrayList<>();
        o.add(frameworkProperty("org.osgi.service.log.admin.loglevel").value("INFO"));
        o.add(frameworkProperty("devhost.revoke.timeout.ms").value("5000"));
        // devfs's transport for the whole run (.ci/run runs the devfs tests again with uring)
        o.add(frameworkProperty("devhost.devfs.transport").value(System.getProperty("itest.devfs.transport", "fuse")));
        o.add(cleanCaches());
        o.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"));
        o.add(junitBundles());
        for (String b : INFRA) {
            o.add(bundle(jar(b)));
            if (b.equals("org.devhost.hal") && ffmHal()) {
                // right after the JNA HAL and before any consumer, as ./devhost starts it
                o.add(bundle(jar("org.devhost.hal.ffm")));
            }
        }
        for (String d : drivers) {
            o.add(bundle(jar(driverArtifact(d))));
        }
        return options(o.toArray(new Option[0]));
    }

    /**
     * Builds the counting test driver ({@link org.devhost.itests.drivers.CountingDriver}) into a
     * bundle jar of the given major version (outside the framework) and returns its URL.
     */
    static String countingDriver(int version) throws Exception {
        java.io.File jar = new java.io.File(System.getProperty("itest.bundles", "target/bundles"),
                "../itest_counting-" + version + ".jar");
        try (java.io.InputStream in = org.ops4j.pax.tinybundles.TinyBundles.bundle()
                .symbolicName("org.devhost.itests.counting")
                .setHeader("Bundle-Version", version + ".0.0")
                .addClass(org.devhost.itests.drivers.CountingDriver.class)
                .setHeader("Import-Package", "org.devhost.kernel,*")
                .build(org.ops4j.pax.tinybundles.TinyBundles.bndBuilder())) {
            java.nio.file.Files.copy(in, jar.toPath(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return jar.getCanonicalFile().toURI().toString();
    }

    /** Builds a one-class test driver into a bundle jar (outside the framework) and returns its path. */
    static String testDriver(String name, Class<?> driver) throws Exception {
        java.io.File jar = new java.io.File(System.getProperty("itest.bundles", "target/bundles"), "../" + name + ".jar");
        try (java.io.InputStream in = org.ops4j.pax.tinybundles.TinyBundles.bundle()
                .symbolicName("org.devhost.itests." + name)
                .setHeader("Bundle-Version", "1.0.0")
                .addClass(driver)
                .setHeader("Import-Package", "org.devhost.kernel,*")
                .build(org.ops4j.pax.tinybundles.TinyBundles.bndBuilder())) {
            java.nio.file.Files.copy(in, jar.toPath(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return jar.getCanonicalPath();
    }

    /**
     * Deletes a folder tree the tests made once this JVM ends (after every framework stopped).
     * Links are deleted, never followed. Only for trees that hold no mount (for a devfs mount
     * point, see DevfsIT's removal of empty folders).
     */
    static void deleteWhenTheTestsEnd(java.nio.file.Path tree) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (java.util.stream.Stream<java.nio.file.Path> all = java.nio.file.Files.walk(tree)) {
                java.util.List<java.nio.file.Path> paths = all.sorted(java.util.Comparator.reverseOrder()).toList();
                for (java.nio.file.Path p : paths) {
                    java.nio.file.Files.deleteIfExists(p);
                }
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                System.err.println("itests: left " + tree + " in place: " + e);
            }
        }, "itest-delete-" + tree.getFileName()));
    }

    /** True when the FFM HAL runs in the tests' framework: on JDK 22+, where the build made it. */
    static boolean ffmHal() {
        return Runtime.version().feature() >= 22
                && new File(System.getProperty("itest.bundles", "target/bundles"), "org.devhost.hal.ffm.jar").isFile();
    }

    static String driverArtifact(String driver) {
        return "org.devhost.drivers." + driver;
    }

    /** The URL of a bundle jar copied by the build. */
    static String jar(String artifactId) {
        File f = new File(System.getProperty("itest.bundles", "target/bundles"), artifactId + ".jar");
        if (!f.isFile()) {
            throw new IllegalStateException("missing " + f + " (run through Maven: mvn verify); have "
                    + Arrays.toString(f.getParentFile().list()));
        }
        return f.toURI().toString();
    }
}
