package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.devhost.itests.drivers.FaultyRead;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.ModuleManager;
import org.devhost.kernel.ModuleStatus;
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
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;

/** The supervisor: a driver whose operations keep throwing is restarted and keeps its numbers. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class SupervisionIT {
    @Configuration
    public Option[] config() throws Exception {
        return CoreOptions.options(CoreOptions.composite(HostOptions.host("rust_miscdev")),
                CoreOptions.systemProperty("itest.faulty.jar").value(HostOptions.testDriver("itest_faulty", FaultyRead.class)));
    }

    private Probe probe;
    private DeviceRegistry registry;
    private ModuleManager modules;
    private final List<String> events = new CopyOnWriteArrayList<>();

    @Before
    public void setUp() throws Exception {
        probe = new Probe(getClass());
        registry = probe.registry();
        Await.until("module manager", () -> probe.context.getServiceReference(ModuleManager.class) != null);
        modules = probe.context.getService(probe.context.getServiceReference(ModuleManager.class));
        Dictionary<String, Object> topics = new Hashtable<>();
        topics.put(EventConstants.EVENT_TOPIC, "org/devhost/module/*");
        probe.context.registerService(EventHandler.class, e -> events.add(e.getTopic().substring(e.getTopic().lastIndexOf('/') + 1)
                + (e.getProperty("backoff.ms") == null ? "" : ":" + e.getProperty("backoff.ms"))), topics);
        ConfigurationAdmin ca = probe.context.getService(probe.context.getServiceReference(ConfigurationAdmin.class));
        org.osgi.service.cm.Configuration policy = ca.getFactoryConfiguration("org.devhost.supervision", "itest_faulty", "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("module", "itest_faulty");
        p.put("fault.threshold", 3);
        p.put("backoff.initial.ms", 50L);
        p.put("max.restarts", 2);
        policy.update(p);
    }

    private static Errno errno(Runnable r) {
        try {
            r.run();
        } catch (KernelException e) {
            return e.errno();
        }
        throw new AssertionError("no KernelException");
    }

    @Test
    public void aDriverWhoseReadsThrowIsRestartedWithItsNumbersAndGivenUpWhenItKeepsFailing() throws Exception {
        modules.load(System.getProperty("itest.faulty.jar"), java.util.Map.of(), null);
        DeviceNumber misc = registry.device("itest_faulty").orElseThrow().number();
        DeviceNumber region = registry.device("itest_faulty_region").orElseThrow().number();
        // a dynamic major other modules would get next is the faulty module's while it is down
        OpenFile old = registry.open("itest_faulty", OpenFlags.O_RDONLY);
        for (int i = 0; i < 3; i++) {
            assertEquals(Errno.EIO, errno(() -> old.read(ByteBuffer.allocate(1))));
        }
        Await.until("itest_faulty restarted", () -> modules.module("itest_faulty").restarts() == 1
                && modules.module("itest_faulty").state() == ModuleStatus.State.LIVE
                && registry.device("itest_faulty_region").isPresent() && registry.device("itest_faulty").isPresent());
        assertEquals(misc, registry.device("itest_faulty").orElseThrow().number());
        assertEquals(region, registry.device("itest_faulty_region").orElseThrow().number());
        assertEquals("a file opened before the crash stays gone", Errno.ENODEV, errno(() -> old.read(ByteBuffer.allocate(1))));
        try (OpenFile fresh = registry.open(region, OpenFlags.O_RDONLY)) {
            assertEquals(Errno.EIO, errno(() -> fresh.read(ByteBuffer.allocate(1))));
        }
        ModuleStatus s = modules.module("itest_faulty");
        assertEquals("faults", s.lastFailure().kind());
        assertTrue(s.lastFailure().reason(), s.lastFailure().reason().contains("3 faults"));
        Await.until("events", () -> events.contains("RESTARTED"));
        assertEquals(List.of("CRASHED", "RESTARTING:0", "RESTARTED"), events.subList(0, 3));

        // keeps failing: restarted after a back-off that grows, then given up (max_restarts=2)
        for (int round = 0; round < 2; round++) {
            int restarts = modules.module("itest_faulty").restarts();
            Await.until("itest_faulty live", () -> registry.device("itest_faulty").isPresent()
                    && modules.module("itest_faulty").state() == ModuleStatus.State.LIVE);
            try (OpenFile f = registry.open("itest_faulty", OpenFlags.O_RDONLY)) {
                for (int i = 0; i < 3; i++) {
                    errno(() -> f.read(ByteBuffer.allocate(1)));
                }
            }
            Await.until("next crash handled", () -> modules.module("itest_faulty").restarts() > restarts
                    || modules.module("itest_faulty").state() == ModuleStatus.State.FAILED);
        }
        Await.until("itest_faulty failed", () -> modules.module("itest_faulty").state() == ModuleStatus.State.FAILED);
        assertTrue(events.toString(), events.contains("RESTARTING:50"));
        assertTrue(events.toString(), events.indexOf("RESTARTING:50") > events.indexOf("RESTARTING:0"));
        Await.until("FAILED posted", () -> events.contains("FAILED"));
        Await.until("numbers released on give-up", () -> errno(() -> registry.open(misc, OpenFlags.O_RDONLY)) == Errno.ENXIO);
        assertEquals(Errno.ENOENT, errno(() -> registry.open("itest_faulty", OpenFlags.O_RDONLY)));
        assertTrue(modules.health().attention().stream().anyMatch(m -> m.name().equals("itest_faulty")));
        assertTrue(!modules.health().healthy());

        // dev:restart brings it back
        modules.restart("itest_faulty");
        assertEquals(ModuleStatus.State.LIVE, modules.module("itest_faulty").state());
        assertTrue(registry.device("itest_faulty").isPresent());
        modules.unload("itest_faulty", true);
    }
}
