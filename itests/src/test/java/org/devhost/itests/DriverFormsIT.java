package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Hashtable;
import java.util.List;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.devhost.itests.drivers.CountingDriver;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.MiscDeviceProperties;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceRegistration;

/**
 * The three forms a driver can take, each with the same ownership and revocation: the one-class
 * whiteboard driver (a FileOperations service with {@link MiscDeviceProperties}), a component that
 * registers its devices itself, and a plain BundleActivator.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class DriverFormsIT {
    @Configuration
    public Option[] config() throws Exception {
        return CoreOptions.options(CoreOptions.composite(HostOptions.host()),
                CoreOptions.systemProperty("itest.counting.v1").value(HostOptions.countingDriver(1)));
    }

    private Probe probe;
    private DeviceRegistry registry;
    private KernelLog log;

    @Before
    public void setUp() throws Exception {
        probe = new Probe(getClass());
        registry = probe.registry();
        log = probe.service(KernelLog.class);
    }

    private List<Device> devicesOf(String module) {
        return registry.devices().stream().filter(d -> d.module().equals(module)).toList();
    }

    /** rust_miscdev is one annotated class: its device exists while its service does, once. */
    @Test
    public void aOneClassDriverIsOneDeviceWhileItsServiceExists() throws Exception {
        Bundle b = probe.context.installBundle(HostOptions.jar(HostOptions.driverArtifact("rust_miscdev")));
        b.start();
        Await.until("rust_miscdev", () -> registry.device("rust_miscdev").isPresent());
        assertEquals("one device, not two", 1, devicesOf("rust_miscdev").size());
        try (OpenFile w = registry.open("rust_miscdev", OpenFlags.O_WRONLY)) {
            assertEquals(1, w.write(ByteBuffer.allocate(1)));
        }
        OpenFile held = registry.open("rust_miscdev", OpenFlags.O_RDONLY);
        ByteBuffer one = ByteBuffer.allocate(1);
        assertEquals(1, held.read(one));
        b.stop();
        assertTrue(registry.device("rust_miscdev").isEmpty());
        assertEquals(Errno.ENODEV, Probe.expect(() -> held.read(ByteBuffer.allocate(1))).errno());
        assertTrue(Await.lastLogLines(), log.lines().stream().anyMatch(l -> l.source().equals("rust_miscdev")
                && l.message().equals("Rust miscellaneous device sample (exit)")));
        b.uninstall();
    }

    /** A component that implements FileOperations and registers itself is published as a service too: it stays its own devices. */
    @Test
    public void aFileOperationsServiceWithoutDeviceNameIsNotTakenUp() throws Exception {
        Bundle b = probe.context.installBundle(System.getProperty("itest.counting.v1"));
        b.start();
        Await.until("itest devices", () -> registry.device("itest0").isPresent());
        assertTrue("the component is a FileOperations service", probe.context.getServiceReferences(FileOperations.class,
                "(component.name=" + CountingDriver.class.getName() + ")").size() == 1);
        assertEquals(List.of("itest0", "itest1"), devicesOf("itest_counting").stream().map(Device::name).toList());
        b.uninstall();
    }

    /** A whiteboard service of this test bundle: registered while it exists, refused with EEXIST on a taken name. */
    @Test
    public void whiteboardDevicesComeAndGoWithTheirServiceAndATakenNameIsRefused() throws Exception {
        FileOperations<Void> hello = new FileOperations<>() {
            public Void open(File f) { return null; }
            public int read(Void d, File f, ByteBuffer dst, long off) {
                if (off > 0) {
                    return 0;
                }
                dst.put((byte) 'h');
                return 1;
            }
        };
        Hashtable<String, Object> p = new Hashtable<>();
        p.put(MiscDeviceProperties.NAME, "itest_hello");
        ServiceRegistration<?> reg = probe.context.registerService(FileOperations.class.getName(), hello, p);
        assertTrue(registry.device("itest_hello").isPresent()); // synchronous with the registration
        OpenFile f = registry.open("itest_hello", OpenFlags.O_RDONLY);
        ByteBuffer b = ByteBuffer.allocate(4);
        assertEquals(1, f.read(b));

        Hashtable<String, Object> same = new Hashtable<>(p);
        ServiceRegistration<?> twin = probe.context.registerService(FileOperations.class.getName(), hello, same);
        assertTrue(Await.lastLogLines(), log.lines().stream().anyMatch(l -> l.message().contains(
                "misc device itest_hello from the whiteboard not registered") && l.message().contains("(EEXIST)")));
        assertEquals(1, registry.devices().stream().filter(d -> d.name().equals("itest_hello")).count());
        twin.unregister();
        assertTrue("the refused twin took nothing with it", registry.device("itest_hello").isPresent());

        reg.unregister();
        assertTrue(registry.device("itest_hello").isEmpty());
        assertEquals(Errno.ENODEV, Probe.expect(() -> f.read(ByteBuffer.allocate(1))).errno());
        f.close();
    }

    /** The BundleActivator sample through the shell: load, use, refused unload while in use, forced unload, unload. */
    @Test
    public void aPlainActivatorDriverLoadsIsUsedAndUnloadsLikeAnyOther() throws Exception {
        CommandProcessor cp = probe.service(CommandProcessor.class);
        Await.until("dev commands", () -> {
            try {
                return probe.context.getServiceReferences((String) null, "(osgi.command.function=insmod)") != null;
            } catch (Exception e) {
                return false;
            }
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CommandSession session = cp.createSession(new ByteArrayInputStream(new byte[0]), new PrintStream(out), new PrintStream(out));
        String jar = new java.io.File(java.net.URI.create(HostOptions.jar(HostOptions.driverArtifact("chrdev_activator")))).getPath();
        try {
            String loaded = session.format(session.execute("dev:insmod " + jar), 0).toString();
            assertTrue(loaded, loaded.startsWith("chrdev_activator: loaded (bundle "));
            assertEquals(List.of("chrdev_activator0", "chrdev_activator1"), devicesOf("chrdev_activator").stream().map(Device::name).toList());
            OpenFile f = registry.open("chrdev_activator1", OpenFlags.O_RDONLY);
            ByteBuffer b = ByteBuffer.allocate(64);
            int n = f.read(b);
            assertEquals("chrdev_activator: minor 1\n", new String(b.array(), 0, n, StandardCharsets.US_ASCII));

            KernelException busy = expect(session, "dev:rmmod chrdev_activator");
            assertEquals(Errno.EBUSY, busy.errno());
            assertNull(session.execute("dev:rmmod -f chrdev_activator"));
            assertTrue(devicesOf("chrdev_activator").isEmpty());
            assertTrue(registry.regions().stream().noneMatch(r -> r.name().equals("chrdev_activator")));
            assertEquals(Errno.ENODEV, Probe.expect(() -> f.read(ByteBuffer.allocate(1))).errno());
            f.close();

            session.execute("dev:insmod " + jar);
            assertEquals(2, devicesOf("chrdev_activator").size());
            assertNull(session.execute("dev:rmmod chrdev_activator"));
            assertTrue(devicesOf("chrdev_activator").isEmpty());
            assertTrue(Arrays.stream(probe.context.getBundles()).noneMatch(x -> "org.devhost.drivers.chrdev_activator".equals(x.getSymbolicName())));
        } finally {
            session.close();
        }
    }

    private static KernelException expect(CommandSession session, String line) throws Exception {
        try {
            session.execute(line);
        } catch (KernelException e) {
            return e;
        }
        throw new AssertionError(line + " succeeded");
    }
}
