package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.devhost.itests.drivers.FailingInit;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.Region;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.ops4j.pax.tinybundles.TinyBundles;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/** Loading and unloading drivers in a real Felix: what appears, and that nothing stays behind. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class DriverLifecycleIT {

    @Configuration
    public Option[] config() throws Exception {
        return CoreOptions.options(CoreOptions.composite(HostOptions.host()),
                CoreOptions.systemProperty("itest.failing.jar").value(failingDriverJar()));
    }

    /** Builds the failing-init test driver into a bundle jar with bnd (outside the framework). */
    private static String failingDriverJar() throws Exception {
        File jar = new File(System.getProperty("itest.bundles", "target/bundles"), "../failing_init.jar");
        try (InputStream in = TinyBundles.bundle()
                .symbolicName("org.devhost.itests.failing_init")
                .addClass(FailingInit.class)
                .setHeader("Import-Package", "org.devhost.kernel,*")
                .build(TinyBundles.bndBuilder())) {
            Files.copy(in, jar.toPath(), StandardCopyOption.REPLACE_EXISTING);
        }
        return jar.getCanonicalFile().toURI().toString();
    }

    private BundleContext context;

    /** Runs inside the framework only (Pax Exam also builds this class outside, for the configuration). */
    @Before
    public void inFramework() {
        context = FrameworkUtil.getBundle(getClass()).getBundleContext();
    }

    private <T> T service(Class<T> type) throws InterruptedException {
        Await.until(type.getSimpleName() + " service", () -> context.getServiceReference(type) != null);
        return context.getService(context.getServiceReference(type));
    }

    private Collection<ServiceReference<Device>> deviceServices(String module) throws Exception {
        return context.getServiceReferences(Device.class, "(" + Device.MODULE + "=" + module + ")");
    }

    private List<Event> recordEvents() {
        List<Event> events = new CopyOnWriteArrayList<>();
        Dictionary<String, Object> p = new Hashtable<>();
        p.put(EventConstants.EVENT_TOPIC, new String[] {Device.TOPIC_ADDED, Device.TOPIC_REMOVED});
        context.registerService(EventHandler.class, events::add, p);
        return events;
    }

    @Test
    public void rustChrdevAppearsAsServicesAndInTheRegistryAndLeavesNothingWhenStopped() throws Exception {
        DeviceRegistry registry = service(DeviceRegistry.class);
        KernelLog log = service(KernelLog.class);
        List<Event> events = recordEvents();

        Bundle driver = context.installBundle(HostOptions.jar(HostOptions.driverArtifact("rust_chrdev")));
        driver.start();
        Await.until("two rust_chrdev devices", () -> registry.devices().size() == 2);

        List<Device> devices = registry.devices();
        assertEquals("rust_chrdev0", devices.get(0).name());
        assertEquals("rust_chrdev1", devices.get(1).name());
        int major = devices.get(0).number().major();
        assertEquals("the first dynamic major", 254, major);
        assertEquals(DeviceNumber.of(254, 0), devices.get(0).number());
        assertEquals(DeviceNumber.of(254, 1), devices.get(1).number());
        assertEquals("rust_chrdev", devices.get(0).module());

        Collection<ServiceReference<Device>> refs = deviceServices("rust_chrdev");
        assertEquals(2, refs.size());
        List<String> names = refs.stream().map(r -> (String) r.getProperty(Device.NAME)).sorted().collect(Collectors.toList());
        assertEquals(List.of("rust_chrdev0", "rust_chrdev1"), names);
        assertEquals(254, refs.iterator().next().getProperty(Device.MAJOR));

        assertTrue(registry.regions().stream().anyMatch(r -> r.major() == 254 && r.name().equals("rust_chrdev") && r.count() == 2));
        registry.open("rust_chrdev0", OpenFlags.O_RDWR).close();
        Await.until("init line in the kernel log", () -> logged(log, "rust_chrdev", "Rust character device sample (init)"));

        driver.stop();
        assertTrue("no device left: " + registry.devices(), registry.devices().isEmpty());
        assertEquals(0, deviceServices("rust_chrdev") == null ? 0 : deviceServices("rust_chrdev").size());
        List<Region> regions = registry.regions();
        assertEquals("only the kernel's misc region stays: " + regions, 1, regions.size());
        assertEquals("misc", regions.get(0).name());
        KernelException e = expect(() -> registry.open(DeviceNumber.of(254, 0), OpenFlags.O_RDONLY));
        assertEquals(Errno.ENXIO, e.errno());
        Await.until("exit line in the kernel log", () -> logged(log, "rust_chrdev", "Rust character device sample (exit)"));
        Await.until("2 added and 2 removed events", () -> events.size() == 4);
        assertEquals(2, events.stream().filter(ev -> ev.getTopic().equals(Device.TOPIC_REMOVED)).count());

        // and the number comes back on the next load
        driver.start();
        Await.until("devices back", () -> registry.devices().size() == 2);
        assertEquals(254, registry.devices().get(0).number().major());
        driver.uninstall();
        assertTrue(registry.devices().isEmpty());
    }

    @Test
    public void aDriverWhoseInitThrowsLeavesNothingRegistered() throws Exception {
        DeviceRegistry registry = service(DeviceRegistry.class);
        KernelLog log = service(KernelLog.class);
        List<Event> events = recordEvents();
        List<Region> before = new ArrayList<>(registry.regions());
        // This test is the kernel's cleanup of an init that throws, with nobody to restart the
        // module: the supervisor would restart it and hold its numbers (SupervisionIT shows that),
        // so supervision is off for this module here, as a user switches it off in conf/.
        org.osgi.service.cm.Configuration off = service(org.osgi.service.cm.ConfigurationAdmin.class)
                .getFactoryConfiguration("org.devhost.supervision", "failing_init", "?");
        off.update(new Hashtable<>(java.util.Map.of("module", "failing_init", "enabled", false)));
        Await.until("supervision off for failing_init", () -> {
            try {
                return context.getServiceReferences("org.devhost.kernel.impl.supervisor.SupervisionPolicyConfig",
                        "(&(module=failing_init)(enabled=false))") != null;
            } catch (Exception e) {
                return false;
            }
        });

        Bundle bad = context.installBundle(System.getProperty("itest.failing.jar"));
        bad.start(); // SCR activates the component; its constructor registers, then throws
        // Its registrations became visible (events), then were released when SCR gave up the registry.
        Await.until(() -> "the misc device was added and removed again; events " + events + "; log " + log.lines(), () ->
                events.stream().filter(e -> e.getTopic().equals(Device.TOPIC_REMOVED)).count() == 1);
        assertTrue("no device left: " + registry.devices(), registry.devices().isEmpty());
        assertEquals("regions as before", before, registry.regions());
        assertTrue(registry.device("failing_init").isEmpty());
        assertEquals(Errno.ENOENT, expect(() -> registry.open("failing_init", OpenFlags.O_RDONLY)).errno());
        assertEquals("the host keeps running", Bundle.ACTIVE, context.getBundle(0).getState());
        // fixed major 300 is free again: another registration can take it
        registry.chrdevRegion("itest_region", 300, 0, 4).close();
        bad.uninstall();
    }

    private static boolean logged(KernelLog log, String source, String text) {
        for (LogLine l : log.lines()) {
            if (l.source().equals(source) && l.message().contains(text)) {
                return true;
            }
        }
        return false;
    }

    private static KernelException expect(Runnable r) {
        try {
            r.run();
        } catch (KernelException e) {
            return e;
        }
        throw new AssertionError("expected a KernelException");
    }
}
