package org.devhost.itests;

import static org.junit.Assert.assertEquals;

import java.io.InputStream;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.devhost.itests.drivers.CountingDriver;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** A jar copied into the deploy folder loads, a replaced one updates, a deleted one unloads (FileInstall). */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotDeployIT {
    private static final DeviceNumber DEV = DeviceNumber.of(CountingDriver.MAJOR, 0);

    @Configuration
    public Option[] config() throws Exception {
        Path root = Files.createTempDirectory("devhost-hot");
        HostOptions.deleteWhenTheTestsEnd(root);
        Path deploy = Files.createDirectory(root.resolve("deploy"));
        Path conf = Files.createDirectory(root.resolve("conf"));
        return CoreOptions.options(CoreOptions.composite(HostOptions.host()),
                // as the launcher sets it up: jars and configuration files apart, the guard first
                CoreOptions.frameworkProperty("felix.fileinstall.dir").value(deploy + "," + conf),
                CoreOptions.frameworkProperty("felix.fileinstall.filter").value(".*\\.(jar|cfg)"),
                CoreOptions.frameworkProperty("devhost.deploy").value(deploy.toString()),
                CoreOptions.frameworkProperty("devhost.conf").value(conf.toString()),
                CoreOptions.bundle(HostOptions.jar("org.devhost.deploy")),
                CoreOptions.frameworkProperty("felix.fileinstall.poll").value("200"),
                CoreOptions.frameworkProperty("felix.fileinstall.noInitialDelay").value("true"),
                CoreOptions.bundle(HostOptions.jar("org.apache.felix.fileinstall")),
                CoreOptions.systemProperty("itest.deploy").value(deploy.toString()),
                CoreOptions.systemProperty("itest.conf").value(conf.toString()),
                CoreOptions.systemProperty("itest.counting.v1").value(HostOptions.countingDriver(1)),
                CoreOptions.systemProperty("itest.counting.v2").value(HostOptions.countingDriver(2)));
    }

    private static byte readVersion(DeviceRegistry registry) {
        try (OpenFile f = registry.open(DEV, OpenFlags.O_RDONLY)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            f.read(b);
            return b.get(0);
        }
    }

    private static void copy(String url, Path to) throws Exception {
        copy(url, to, "rw-r--r--");
    }

    /** Copies under a temporary name and moves into place, with its permissions set before it appears. */
    private static void copy(String url, Path to, String permissions) throws Exception {
        Path tmp = to.resolveSibling(to.getFileName() + ".part");
        try (InputStream in = new URL(url).openStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString(permissions));
        Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    public void copyLoadsReplaceUpdatesDeleteUnloads() throws Exception {
        DeviceRegistry registry = new Probe(getClass()).registry();
        Path jar = Path.of(System.getProperty("itest.deploy")).resolve("itest_counting.jar");

        long t0 = System.nanoTime();
        copy(System.getProperty("itest.counting.v1"), jar);
        Await.until("the driver from deploy/", () -> registry.device(DEV).isPresent());
        long loaded = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(1, readVersion(registry));

        copy(System.getProperty("itest.counting.v2"), jar);
        // while the update runs, the old device answers ENODEV and then the number is free (ENXIO)
        Await.until("version 2", () -> {
            try {
                return readVersion(registry) == 2;
            } catch (org.devhost.kernel.KernelException goingOrGone) {
                return false;
            }
        });

        Files.delete(jar);
        Await.until("unloaded", () -> registry.device(DEV).isEmpty());
        System.out.println("HotDeployIT: devices appeared " + loaded + " ms after the copy (poll 200 ms)");
    }

    /**
     * The guard in front of FileInstall: a configuration file in the jar folder, a jar in the
     * configuration folder and a jar others can write are refused with a kernel log line saying
     * why; a configuration file in its own folder is applied.
     */
    @Test
    public void onlyTheRightFileInTheRightFolderOwnedByTheHostLoads() throws Exception {
        Probe probe = new Probe(getClass());
        DeviceRegistry registry = probe.registry();
        org.devhost.kernel.KernelLog log = probe.service(org.devhost.kernel.KernelLog.class);
        Path deploy = Path.of(System.getProperty("itest.deploy"));
        Path conf = Path.of(System.getProperty("itest.conf"));

        Files.writeString(deploy.resolve("hostdev.cfg"), "nodes=host_mem=/dev/mem\n");
        Path jarInConf = conf.resolve("itest_counting.jar");
        copy(System.getProperty("itest.counting.v1"), jarInConf);
        Path groupWritable = deploy.resolve("itest_counting_gw.jar");
        copy(System.getProperty("itest.counting.v1"), groupWritable, "rw-rw-r--");
        for (String why : new String[] {
            "refused " + deploy.resolve("hostdev.cfg") + ": a configuration file loads from the configuration folder",
            "refused " + jarInConf + ": a driver jar loads from the deploy folder",
            "refused " + groupWritable + ": the file " + groupWritable + " is writable by its group"}) {
            Await.until(why, () -> log.lines().stream().anyMatch(
                    l -> l.source().equals("org.devhost.deploy") && l.message().contains(why)));
        }
        assertEquals("nothing was loaded", false, registry.device(DEV).isPresent());

        org.osgi.service.cm.ConfigurationAdmin cm = probe.service(org.osgi.service.cm.ConfigurationAdmin.class);
        Files.writeString(conf.resolve("itest.hot.cfg"), "word=applied\n");
        Await.until("the configuration from conf/", () -> {
            try {
                org.osgi.service.cm.Configuration[] c = cm.listConfigurations("(service.pid=itest.hot)");
                return c != null && "applied".equals(c[0].getProperties().get("word"));
            } catch (java.io.IOException | org.osgi.framework.InvalidSyntaxException e) {
                throw new AssertionError(e);
            }
        });
        assertEquals(null, cm.listConfigurations("(service.pid=hostdev)"));
        Files.delete(groupWritable);
        Files.delete(jarInConf);
    }

    private static String word(org.osgi.service.cm.ConfigurationAdmin cm, String pid) {
        try {
            org.osgi.service.cm.Configuration[] c = cm.listConfigurations("(service.pid=" + pid + ")");
            return c == null ? null : String.valueOf(c[0].getProperties().get("word"));
        } catch (java.io.IOException | org.osgi.framework.InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The guard decides every change, not only a new file: a configuration file and a driver jar
     * accepted once, then opened to every user (chmod 666) and rewritten in place (as any user
     * could now), are refused with a kernel log line saying why; the configuration keeps its value
     * and the driver its loaded version. Deleting a file still unloads what came from it.
     */
    @Test
    public void aFileAcceptedOnceThenLoosenedAndRewrittenIsRefused() throws Exception {
        Probe probe = new Probe(getClass());
        DeviceRegistry registry = probe.registry();
        org.devhost.kernel.KernelLog log = probe.service(org.devhost.kernel.KernelLog.class);
        org.osgi.service.cm.ConfigurationAdmin cm = probe.service(org.osgi.service.cm.ConfigurationAdmin.class);
        Path conf = Path.of(System.getProperty("itest.conf"));
        Path deploy = Path.of(System.getProperty("itest.deploy"));

        Path cfg = conf.resolve("itest.loosened.cfg");
        Path part = conf.resolve("itest.loosened.part");
        Files.writeString(part, "word=first\n");
        Files.setPosixFilePermissions(part, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Files.move(part, cfg, StandardCopyOption.ATOMIC_MOVE);
        Await.until("word=first from conf/", () -> "first".equals(word(cm, "itest.loosened")));

        Files.setPosixFilePermissions(cfg, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.writeString(cfg, "word=written-by-anyone\n");
        String cfgWhy = "refused " + cfg + ": the file " + cfg + " is writable by every user";
        Await.until(cfgWhy, () -> log.lines().stream().anyMatch(
                l -> l.source().equals("org.devhost.deploy") && l.message().contains(cfgWhy)));
        assertEquals("the configuration keeps its value", "first", word(cm, "itest.loosened"));

        Path jar = deploy.resolve("itest_counting_loosened.jar");
        copy(System.getProperty("itest.counting.v1"), jar);
        Await.until("the driver from deploy/", () -> registry.device(DEV).isPresent());
        assertEquals(1, readVersion(registry));
        Files.setPosixFilePermissions(jar, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        try (InputStream in = new URL(System.getProperty("itest.counting.v2")).openStream()) {
            Files.write(jar, in.readAllBytes());
        }
        String jarWhy = "refused " + jar + ": the file " + jar + " is writable by every user";
        Await.until(jarWhy, () -> log.lines().stream().anyMatch(
                l -> l.source().equals("org.devhost.deploy") && l.message().contains(jarWhy)));
        assertEquals("the driver keeps its loaded version", 1, readVersion(registry));

        Files.delete(jar);
        Await.until("unloaded", () -> registry.device(DEV).isEmpty());
        Files.delete(cfg);
        Await.until("the configuration deleted with its file", () -> word(cm, "itest.loosened") == null);
    }
}
