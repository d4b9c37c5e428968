package org.devhost.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;

/**
 * A distribution built on a newer JDK than the one running it (the FFM HAL needs JDK 22): the
 * launcher leaves such a bundle installed but not started and says why, and starts the others.
 * On a real Felix, with bundles made here.
 */
class NewerJdkBundleTest {
    @TempDir
    Path dir;
    private Framework felix;
    private BundleContext ctx;

    @BeforeEach
    void startFelix() throws Exception {
        felix = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(Map.of(
                Constants.FRAMEWORK_STORAGE, dir.resolve("cache").toString(),
                Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT));
        felix.start();
        ctx = felix.getBundleContext();
    }

    @AfterEach
    void stopFelix() throws Exception {
        felix.stop();
        felix.waitForStop(0);
    }

    /** A bundle with nothing in it but a manifest requiring {@code osgi.ee} as bnd writes it. */
    private Bundle install(String name, String requirement) throws Exception {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, name);
        a.putValue(Constants.BUNDLE_VERSION, "1.0.0");
        a.putValue(Constants.REQUIRE_CAPABILITY, requirement);
        Path jar = dir.resolve(name + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            // the manifest is all
        }
        return ctx.installBundle(jar.toUri().toString());
    }

    /** Main.startAll, what the launcher does with each group of bundles; returns what it printed. */
    private static String startAll(BundleContext ctx, List<Bundle> bundles) throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        System.setErr(new PrintStream(said, true, StandardCharsets.UTF_8));
        try {
            Main.startAll(ctx, bundles);
        } finally {
            System.setErr(err);
        }
        return said.toString(StandardCharsets.UTF_8);
    }

    @Test
    void neededJdkReadsTheReleaseBndWritesIntoARealBundle() throws Exception {
        // the kernel bundle the launcher ships, as bnd built it (a runtime dependency of the launcher:
        // its jar, or its classes folder in a reactor build that has not packaged; reference: takes both)
        String kernel = Class.forName("org.devhost.kernel.DeviceNumber").getProtectionDomain().getCodeSource()
                .getLocation().toString();
        Bundle b = ctx.installBundle("reference:" + kernel);
        assertEquals(17, Main.neededJdk(b), "the kernel is built with --release 17: " + b.getHeaders("").get("Require-Capability"));
        assertEquals(22, Main.neededJdk(install("ffm.like", "osgi.service;filter:=\"(objectClass=a.B)\",osgi.ee;filter:=\"(&(osgi.ee=JavaSE)(version=22))\"")));
        assertEquals(21, Main.neededJdk(install("at.least", "osgi.ee;filter:=\"(&(osgi.ee=JavaSE)(version>=21))\"")));
        assertEquals(0, Main.neededJdk(install("no.ee", "osgi.extender;filter:=\"(osgi.extender=osgi.component)\"")));
    }

    @Test
    void aBundleForANewerJdkStaysInstalledNotStartedWithANoteAndTheRestStart() throws Exception {
        int running = Runtime.version().feature();
        Bundle future = install("for.jdk99", "osgi.ee;filter:=\"(&(osgi.ee=JavaSE)(version=99))\"");
        Bundle now = install("for.this.jdk", "osgi.ee;filter:=\"(&(osgi.ee=JavaSE)(version=" + running + "))\"");

        String said = startAll(ctx, List.of(future, now));

        assertEquals("devhost: skipping for.jdk99: it needs JDK 99 or later, this is JDK " + running
                + " (build with this JDK to leave it out)", said.strip());
        assertEquals(Bundle.INSTALLED, future.getState(), "left installed, neither started nor uninstalled");
        assertEquals(Bundle.ACTIVE, now.getState(), "the bundle for this JDK after it still starts");
    }
}
