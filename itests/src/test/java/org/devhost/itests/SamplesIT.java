package org.devhost.itests;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernLevel;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.LogLine;
import org.devhost.kernel.ModuleParameters;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerMethod;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;

/** Every sample driver loaded together in Felix, used through the registry, and unloaded. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class SamplesIT {
    static final List<String> SAMPLES = List.of("rust_minimal", "rust_print", "rust_module_parameters", "rust_chrdev",
            "rust_miscdev", "rust_semaphore", "rust_random", "rust_sync", "scull", "mem");

    @Configuration
    public Option[] config() {
        return HostOptions.host(); // the samples are installed by the tests themselves
    }

    private BundleContext context;
    private DeviceRegistry registry;
    private KernelLog log;

    @Before
    public void inFramework() throws Exception {
        context = FrameworkUtil.getBundle(getClass()).getBundleContext();
        Await.until("kernel services", () -> context.getServiceReference(DeviceRegistry.class) != null
                && context.getServiceReference(KernelLog.class) != null
                && context.getServiceReference(ModuleParameters.class) != null);
        registry = context.getService(context.getServiceReference(DeviceRegistry.class));
        log = context.getService(context.getServiceReference(KernelLog.class));
    }

    private List<Bundle> installAll() throws Exception {
        List<Bundle> bundles = new ArrayList<>();
        for (String s : SAMPLES) {
            bundles.add(context.installBundle(HostOptions.jar(HostOptions.driverArtifact(s))));
        }
        return bundles;
    }

    private boolean logged(String source, String text) {
        return log.lines().stream().anyMatch(l -> l.source().equals(source) && l.message().equals(text));
    }

    private static byte[] read(OpenFile f, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        int got = f.read(b);
        return Arrays.copyOf(b.array(), got);
    }

    @Test
    public void allSamplesLoadWorkThroughTheRegistryAndLeaveNothingWhenUnloaded() throws Exception {
        List<Bundle> bundles = installAll();
        for (Bundle b : bundles) {
            b.start();
        }
        Await.until("all sample devices", () -> registry.devices().size() == 2 + 3 + 8 + 5);

        // numbers
        assertEquals(DeviceNumber.of(1, 3), registry.device("null").get().number());
        assertEquals(DeviceNumber.of(1, 9), registry.device("urandom").get().number());
        assertEquals(254, registry.device("rust_chrdev0").get().number().major());
        for (String misc : List.of("rust_miscdev", "rust_semaphore", "rust_random")) {
            DeviceNumber n = registry.device(misc).get().number();
            assertTrue(misc + " " + n, n.major() == 10 && n.minor() >= 256);
        }

        // rust_minimal, rust_print, rust_sync, rust_module_parameters: what init logged
        Await.until("init lines", () -> logged("rust_minimal", "Rust minimal sample (init)")
                && logged("rust_sync", "Value: 10") && logged("rust_module_parameters", "  my_i32:     42"));
        for (KernLevel level : KernLevel.values()) {
            if (level == KernLevel.DEBUG) {
                continue; // rust_print.rs prints nothing at the debug level
            }
            Await.until("rust_print at " + level, () -> log.lines().stream().anyMatch(
                    l -> l.source().equals("rust_print") && l.level() == level && l.message().endsWith("with args")));
        }

        // rust_chrdev: opens, nothing else
        try (OpenFile f = registry.open("rust_chrdev1", OpenFlags.O_RDWR)) {
            assertEquals(Errno.EINVAL, expect(() -> f.read(ByteBuffer.allocate(1))).errno());
        }
        // rust_miscdev: a token in, a token out
        try (OpenFile w = registry.open("rust_miscdev", OpenFlags.O_WRONLY)) {
            assertEquals(1, w.write(ByteBuffer.allocate(1)));
        }
        try (OpenFile r = registry.open("rust_miscdev", OpenFlags.O_RDONLY)) {
            assertArrayEquals(new byte[] {1}, read(r, 4));
        }
        // rust_semaphore: count up, read down, per-file read count by ioctl
        try (OpenFile w = registry.open("rust_semaphore", OpenFlags.O_WRONLY)) {
            w.write(ByteBuffer.allocate(2));
        }
        try (OpenFile s = registry.open("rust_semaphore", OpenFlags.O_RDWR)) {
            assertArrayEquals(new byte[] {0}, read(s, 4));
            ByteBuffer c = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
            s.ioctl(0x80086301, c);
            assertEquals(1, c.getLong(0));
        }
        // rust_random: full buffers
        try (OpenFile r = registry.open("rust_random", OpenFlags.O_RDONLY)) {
            assertEquals(64, read(r, 64).length);
        }
        // scull: what is written is read back; scullpipe carries bytes
        try (OpenFile w = registry.open("scull0", OpenFlags.O_WRONLY | OpenFlags.O_TRUNC)) {
            w.write(ByteBuffer.wrap("devhost".getBytes()));
        }
        try (OpenFile r = registry.open("scull0", OpenFlags.O_RDONLY)) {
            assertArrayEquals("devhost".getBytes(), read(r, 100));
        }
        try (OpenFile p = registry.open("scullpipe2", OpenFlags.O_RDWR)) {
            p.write(ByteBuffer.wrap("fifo".getBytes()));
            assertArrayEquals("fifo".getBytes(), read(p, 100));
        }
        // mem
        try (OpenFile z = registry.open("zero", OpenFlags.O_RDONLY); OpenFile full = registry.open("full", OpenFlags.O_WRONLY)) {
            assertArrayEquals(new byte[8], read(z, 8));
            assertEquals(Errno.ENOSPC, expect(() -> full.write(ByteBuffer.allocate(1))).errno());
        }

        // unload all: nothing left
        OpenFile stillOpen = registry.open("scull1", OpenFlags.O_RDONLY);
        for (Bundle b : bundles) {
            b.uninstall();
        }
        assertTrue("devices left: " + registry.devices(), registry.devices().isEmpty());
        assertEquals("only the misc region: " + registry.regions(), 1, registry.regions().size());
        assertEquals(Errno.ENODEV, expect(() -> stillOpen.read(ByteBuffer.allocate(1))).errno());
        assertTrue("no Device service left", context.getServiceReferences(Device.class, null).isEmpty());
        // What drop() logged is in the kernel log once uninstall has returned (the kernel log's
        // read is current), and filed under the module, although the bundle is gone by then.
        assertTrue(Await.lastLogLines(), logged("rust_minimal", "My numbers are [72, 108, 200]")
                && logged("rust_module_parameters", "Rust module parameters sample (exit)"));
        assertTrue("no line filed under a driver's bundle name: " + Await.lastLogLines(),
                log.lines().stream().noneMatch(l -> l.source().startsWith("org.devhost.drivers.")));
    }

    /**
     * The Log Service delivers lines on its own thread, so a driver's last lines can reach the
     * kernel log after its bundle is uninstalled. The test makes that certain: a listener of its
     * own holds the delivery thread while the driver loads and unloads. Once it lets go, the
     * kernel log's next read holds the exit line, filed under the module's name, not the bundle's.
     */
    @Test
    public void exitLinesAreInTheLogUnderTheModuleNameWhenUninstallReturns() throws Exception {
        String jar = HostOptions.jar(HostOptions.driverArtifact("rust_minimal"));
        LogReaderService reader = context.getService(context.getServiceReference(LogReaderService.class));
        for (int round = 1; round <= 3; round++) {
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch letGo = new CountDownLatch(1);
            LogListener holder = entry -> {
                if (held.getCount() > 0) {
                    held.countDown();
                    try {
                        letGo.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            reader.addLogListener(holder);
            Bundle b = context.installBundle(jar);
            b.start(); // init logs: the first line delivered is held
            assertTrue("the delivery thread is held", held.await(10, TimeUnit.SECONDS));
            b.uninstall();
            letGo.countDown();
            reader.removeLogListener(holder);
            List<LogLine> lines = log.lines();
            long exits = lines.stream().filter(l -> l.message().equals("My numbers are [72, 108, 200]")).count();
            long underModule = lines.stream()
                    .filter(l -> l.source().equals("rust_minimal") && l.message().equals("My numbers are [72, 108, 200]")).count();
            assertEquals("exit lines after round " + round + Await.lastLogLines(), round, exits);
            assertEquals("filed under rust_minimal after round " + round + Await.lastLogLines(), round, underModule);
        }
    }

    @Test
    public void moduleParametersAreCheckedSetAndSeen() throws Exception {
        ModuleParameters params = context.getService(context.getServiceReference(ModuleParameters.class));
        Bundle b = context.installBundle(HostOptions.jar(HostOptions.driverArtifact("rust_module_parameters")));
        Await.until("metatype", () -> !params.describe("rust_module_parameters").isEmpty());
        List<ModuleParameters.Parameter> declared = params.describe("rust_module_parameters");
        assertEquals(List.of("my_bool", "my_i32", "my_str", "my_usize", "my_array"),
                declared.stream().map(ModuleParameters.Parameter::name).toList());
        assertTrue(declared.get(0).readonly());
        assertEquals("array of int", declared.get(4).type());

        // a bad value is refused before anything is stored
        KernelException bad = expect(() -> params.set("rust_module_parameters", Map.of("my_i32", "abc")));
        assertEquals(Errno.EINVAL, bad.errno());
        assertTrue(bad.getMessage(), bad.getMessage().contains("my_i32"));
        assertEquals(Errno.EINVAL, expect(() -> params.set("rust_module_parameters", Map.of("my_usize", "-3"))).errno());

        // load with parameters, including one the module does not know
        params.set("rust_module_parameters", Map.of("my_i32", "7", "my_bool", "false", "x", "1"));
        b.start();
        Await.until("init with my_i32 7", () -> logged("rust_module_parameters", "  my_i32:     7")
                && logged("rust_module_parameters", "  my_bool:    false"));
        Await.until("unknown parameter line",
                () -> logged("rust_module_parameters", "rust_module_parameters: unknown parameter 'x' ignored"));

        // at run time: writable changes are seen, the read-only one is EPERM
        params.set("rust_module_parameters", Map.of("my_i32", "8"));
        Await.until("modified", () -> log.lines().stream().anyMatch(l -> l.message().startsWith("parameters now: my_i32=8")));
        KernelException ro = expect(() -> params.set("rust_module_parameters", Map.of("my_bool", "true")));
        assertEquals(Errno.EPERM, ro.errno());
        assertEquals("8", String.valueOf(params.get("rust_module_parameters").get("my_i32")));
        b.uninstall();
    }

    @Test
    public void aBadParameterValueInTheConfigurationFailsTheLoadAndLeavesNothing() throws Exception {
        Bundle b = context.installBundle(HostOptions.jar(HostOptions.driverArtifact("rust_module_parameters")));
        org.osgi.service.cm.ConfigurationAdmin cm = context.getService(
                context.getServiceReference(org.osgi.service.cm.ConfigurationAdmin.class));
        org.osgi.service.cm.Configuration c = cm.getConfiguration("rust_module_parameters", "?");
        java.util.Hashtable<String, Object> p = new java.util.Hashtable<>();
        p.put("my_i32", "not a number"); // as a hand-written .cfg file could say
        c.update(p);
        b.start();
        Await.until("the init failure in the log", () -> log.lines().stream().anyMatch(
                l -> l.message().contains("parameter 'my_i32': 'not a number' is not a 32-bit integer")));
        assertFalse(logged("rust_module_parameters", "Rust module parameters sample (init)"));
        c.delete();
        b.uninstall();
    }

    /**
     * A bad value that reaches a loaded module through Configuration Admin directly (a hand-edited
     * .cfg file, another tool) bypasses ModuleParameters' check: the module refuses it, names the
     * parameter in the kernel log, keeps running with the values it had, and takes the next good one.
     */
    @Test
    public void aBadValueAtRunTimeIsRefusedByTheModuleWhichKeepsItsValues() throws Exception {
        Bundle b = context.installBundle(HostOptions.jar(HostOptions.driverArtifact("rust_module_parameters")));
        org.osgi.service.cm.ConfigurationAdmin cm = context.getService(
                context.getServiceReference(org.osgi.service.cm.ConfigurationAdmin.class));
        org.osgi.service.cm.Configuration c = cm.getConfiguration("rust_module_parameters", "?");
        java.util.Hashtable<String, Object> p = new java.util.Hashtable<>();
        p.put("my_i32", "7");
        c.update(p);
        b.start();
        Await.until("init with 7", () -> logged("rust_module_parameters", "  my_i32:     7"));

        p.put("my_i32", "seven");
        c.update(p);
        Await.until("the refusal naming my_i32", () -> log.lines().stream().anyMatch(l -> l.source().equals("rust_module_parameters")
                && l.level().compareTo(KernLevel.ERR) <= 0 && l.message().contains("parameter 'my_i32': 'seven'")));
        assertEquals(Bundle.ACTIVE, b.getState());
        assertFalse("no line shows the bad value applied", log.lines().stream().anyMatch(
                l -> l.message().startsWith("parameters now: my_i32=seven")));

        p.put("my_i32", "9");
        c.update(p);
        Await.until("the next good value", () -> log.lines().stream().anyMatch(
                l -> l.message().startsWith("parameters now: my_i32=9")));
        c.delete();
        b.uninstall();
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
