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
        Path deploy = Files.createTempDirectory("devhost-deploy");
        return CoreOptions.options(CoreOptions.composite(HostOptions.host()),
                CoreOptions.frameworkProperty("felix.fileinstall.dir").value(deploy.toString()),
                CoreOptions.frameworkProperty("felix.fileinstall.poll").value("200"),
                CoreOptions.frameworkProperty("felix.fileinstall.noInitialDelay").value("true"),
                CoreOptions.bundle(HostOptions.jar("org.apache.felix.fileinstall")),
                CoreOptions.systemProperty("itest.deploy").value(deploy.toString()),
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
        Path tmp = to.resolveSibling(to.getFileName() + ".part");
        try (InputStream in = new URL(url).openStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
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
}
