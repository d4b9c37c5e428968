package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.CoreOptions;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.ops4j.pax.tinybundles.TinyBundles;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;

/** Every dev command through a real Gogo CommandProcessor session: output and failures. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShellIT {

    @Configuration
    public Option[] config() throws Exception {
        File dir = new File(System.getProperty("itest.bundles", "target/bundles")).getParentFile();
        File plain = new File(dir, "not-a-bundle.jar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (JarOutputStream j = new JarOutputStream(new FileOutputStream(plain), mf)) {
            j.putNextEntry(new ZipEntry("hello.txt"));
            j.write("hello".getBytes());
        }
        File notDriver = new File(dir, "not-a-driver.jar");
        try (InputStream in = TinyBundles.bundle().symbolicName("org.devhost.itests.not_a_driver")
                .setHeader("Bundle-Version", "1.0.0").build(TinyBundles.rawBuilder())) {
            Files.copy(in, notDriver.toPath(), StandardCopyOption.REPLACE_EXISTING);
        }
        File shared = new File(dir, "itest_shared.jar");
        try (InputStream in = TinyBundles.bundle().symbolicName("org.devhost.itests.shared")
                .setHeader("Bundle-Version", "1.0.0")
                .setHeader("Provide-Capability", "devhost.module;devhost.module=itest_shared")
                .addClass(org.devhost.itests.drivers.shared.Names.class)
                .setHeader("Export-Package", "org.devhost.itests.drivers.shared;version=7.0.0")
                .build(TinyBundles.bndBuilder())) {
            Files.copy(in, shared.toPath(), StandardCopyOption.REPLACE_EXISTING);
        }
        File takesNothing = new File(dir, "takes_nothing.jar");
        try (InputStream in = TinyBundles.bundle().symbolicName("org.devhost.itests.takes_nothing")
                .setHeader("Bundle-Version", "1.0.0")
                .addClass(org.devhost.itests.drivers.TakesNothing.class)
                // the version keeps it off the same package inside the test probe bundle
                .setHeader("Import-Package", "org.devhost.kernel,org.devhost.itests.drivers.shared;version=\"[7,8)\",*")
                .build(TinyBundles.bndBuilder())) {
            Files.copy(in, takesNothing.toPath(), StandardCopyOption.REPLACE_EXISTING);
        }
        File failing = new File(dir, "failing_init_shell.jar");
        try (InputStream in = TinyBundles.bundle().symbolicName("org.devhost.itests.failing_init")
                .addClass(org.devhost.itests.drivers.FailingInit.class)
                .setHeader("Import-Package", "org.devhost.kernel,*")
                .build(TinyBundles.bndBuilder())) {
            Files.copy(in, failing.toPath(), StandardCopyOption.REPLACE_EXISTING);
        }
        return CoreOptions.options(CoreOptions.composite(HostOptions.host("rust_chrdev", "rust_miscdev", "mem", "scull",
                        "rust_semaphore", "rust_module_parameters")),
                CoreOptions.bundle(shared.toURI().toString()),
                CoreOptions.bundle(takesNothing.toURI().toString()),
                CoreOptions.systemProperty("itest.failing.jar").value(failing.getCanonicalPath()),
                CoreOptions.systemProperty("itest.plain.jar").value(plain.getCanonicalPath()),
                CoreOptions.systemProperty("itest.notdriver.jar").value(notDriver.getCanonicalPath()),
                CoreOptions.systemProperty("itest.faulty.jar").value(
                        new File(System.getProperty("itest.bundles", "target/bundles"), "org.devhost.drivers.faulty.jar")
                                .getCanonicalPath()),
                CoreOptions.systemProperty("itest.chrdev.jar").value(
                        new File(System.getProperty("itest.bundles", "target/bundles"), "org.devhost.drivers.rust_chrdev.jar")
                                .getCanonicalPath()));
    }

    private BundleContext context;
    private CommandSession session;
    private ByteArrayOutputStream out;

    @Before
    public void openSession() throws Exception {
        context = FrameworkUtil.getBundle(getClass()).getBundleContext();
        Await.until("gogo and the dev commands", () -> context.getServiceReference(CommandProcessor.class) != null
                && context.getServiceReference(DeviceRegistry.class) != null && hasCommand("dev:insmod"));
        CommandProcessor cp = context.getService(context.getServiceReference(CommandProcessor.class));
        out = new ByteArrayOutputStream();
        session = cp.createSession(new ByteArrayInputStream(new byte[0]), new PrintStream(out), new PrintStream(out));
        Await.until("sample devices", () -> registry().device("scull0").isPresent() && registry().device("rust_chrdev0").isPresent());
    }

    @After
    public void closeSession() {
        session.close();
    }

    private boolean hasCommand(String name) {
        try {
            return context.getServiceReferences((String) null, "(osgi.command.function=" + name.substring(4) + ")") != null;
        } catch (Exception e) {
            return false;
        }
    }

    private DeviceRegistry registry() {
        return context.getService(context.getServiceReference(DeviceRegistry.class));
    }

    /** Runs a command line and returns what it printed plus its formatted result. */
    private String run(String line) throws Exception {
        out.reset();
        Object result = session.execute(line);
        String printed = out.toString();
        return result == null ? printed : printed + session.format(result, 0);
    }

    private static KernelException assertThrowsKernel(Runnable r) {
        try {
            r.run();
        } catch (KernelException e) {
            return e;
        }
        throw new AssertionError("no KernelException");
    }

    private KernelException fails(String line) {
        out.reset();
        try {
            session.execute(line);
        } catch (KernelException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError(line + " failed with " + e + " instead of a KernelException", e);
        }
        throw new AssertionError(line + " succeeded but should have failed");
    }

    @Test
    public void listingCommands() throws Exception {
        String ls = run("dev:ls");
        assertTrue(ls, ls.startsWith("NAME"));
        assertTrue(ls, ls.matches("(?s).*rust_chrdev0 +char +crw------- +254:0 +rust_chrdev +0 +open\n.*"));
        assertTrue(ls, ls.matches("(?s).*\nnull +char +crw-rw-rw- +1:3 +mem .*"));
        String glob = run("dev:ls 'scull?'"); // quoted, or Gogo expands the glob against files itself
        assertEquals(5, glob.lines().count());

        String majors = run("dev:majors");
        assertTrue(majors, majors.startsWith("Character devices:\n  1 mem\n 10 misc\n"));
        assertTrue(majors, majors.contains("254 rust_chrdev"));

        assertTrue(run("dev:misc"), run("dev:misc").matches("(?s).*\\d+ rust_miscdev.*"));

        String lsmod = run("dev:lsmod");
        // lsmod's columns, the name column as wide as the longest name (rust_module_parameters)
        assertTrue(lsmod, lsmod.startsWith("Module                     Size  State      Restarts  Used by\n"));
        assertTrue(lsmod, lsmod.matches("(?s).*\nscull +\\d+  live +0  0(\n.*)?"));
        int sizeEnd = lsmod.lines().findFirst().orElseThrow().indexOf("Size") + 4;
        for (String line : lsmod.lines().skip(1).toList()) {
            assertTrue(lsmod, Character.isDigit(line.charAt(sizeEnd - 1)) && line.startsWith("  ", sizeEnd));
        }

        String modinfo = run("dev:modinfo rust_module_parameters");
        assertTrue(modinfo, modinfo.contains("name:           rust_module_parameters\n"));
        assertTrue(modinfo, modinfo.contains("license:        GPL\n"));
        assertTrue(modinfo, modinfo.contains("parm:           my_i32:Example of i32 (int)"));
        assertEquals(Errno.ENOENT, fails("dev:modinfo nosuchmodule").errno());

        String stat = run("dev:stat /dev/null");
        assertTrue(stat, stat.contains("Number: 1:3"));
        assertTrue(stat, stat.contains("dev_t: user 0x103"));
        assertTrue(stat, stat.contains("Module: mem"));
    }

    @Test
    public void ioCommands() throws Exception {
        run("dev:write scull1 hello world");
        assertEquals("hello world", run("dev:cat scull1"));
        assertEquals("hello", run("dev:cat /dev/scull1 5"));
        run("dev:echo scull2 line");
        assertEquals("line\n", run("dev:cat scull2"));
        String hex = run("dev:hexdump -n 16 zero");
        assertEquals("00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n00000010\n", hex);
        assertTrue(run("dev:hexdump -s 6 scull1"), run("dev:hexdump -s 6 scull1").contains("|world|"));
        String dd = run("dev:dd if=zero of=null bs=4K count=10");
        assertTrue(dd, dd.startsWith("10+0 records in\n10+0 records out\n40960 bytes (41.0 kB) copied, "));
        assertTrue(dd, dd.endsWith("/s\n"));
        run("dev:dd if=scull1 of=scull3 bs=3");
        assertEquals("hello world", run("dev:cat scull3"));

        // ioctl by name and by number; a read result printed by value and in hex
        run("dev:write rust_semaphore x");
        String q = run("dev:ioctl scull0 0x6b07");
        assertTrue(q, q.endsWith("returned 4000"));
        String g = run("dev:ioctl rust_semaphore 0x80086301");
        assertTrue(g, g.contains("value: 0 (0x0)"));
        assertEquals(Errno.EINVAL, fails("dev:ioctl rust_semaphore 0x1234").errno());
        assertEquals(Errno.ENOTTY, fails("dev:ioctl rust_chrdev0 TIOCGWINSZ").errno());
    }

    @Test
    public void failuresCarryTheErrnoAndSaySomethingUseful() throws Exception {
        KernelException unknown = fails("dev:cat 200:7");
        assertEquals(Errno.ENXIO, unknown.errno());
        assertEquals("dev:cat: 200:7: no device has that number: No such device or address (ENXIO)", unknown.getMessage());
        assertEquals(Errno.ENOENT, fails("dev:cat nothing_here").errno());

        KernelException ioctl = fails("dev:ioctl zero NOT_A_COMMAND");
        assertEquals(Errno.EINVAL, ioctl.errno());
        assertTrue(ioctl.getMessage(), ioctl.getMessage().contains("known: TCGETS, TIOCGWINSZ"));

        assertEquals(Errno.EINVAL, fails("dev:cat zero -1").errno());
        KernelException nan = fails("dev:cat zero lots");
        assertEquals(Errno.EINVAL, nan.errno());
        assertTrue(nan.getMessage(), nan.getMessage().contains("count 'lots' is not a number"));
        assertEquals(Errno.EINVAL, fails("dev:hexdump -n x zero").errno());
        assertEquals(Errno.EINVAL, fails("dev:dd if=zero of=null bs=-1").errno());

        KernelException path = fails("dev:cat /etc/hostname");
        assertEquals(Errno.EINVAL, path.errno());
        assertTrue(path.getMessage(), path.getMessage().contains("not a device"));
    }

    @Test
    public void insmodAndRmmod() throws Exception {
        // a busy module: refused without -f, revoked with -f
        OpenFile held = registry().open("rust_chrdev0", OpenFlags.O_RDWR);
        KernelException busy = fails("dev:rmmod rust_chrdev");
        assertEquals(Errno.EBUSY, busy.errno());
        assertTrue(busy.getMessage(), busy.getMessage().startsWith("dev:rmmod: Module rust_chrdev is in use"));
        assertTrue(registry().device("rust_chrdev0").isPresent());
        assertNull(session.execute("dev:rmmod -f rust_chrdev"));
        assertTrue(registry().device("rust_chrdev0").isEmpty());
        assertEquals(Errno.ENODEV, expectKernel(() -> held.read(ByteBuffer.allocate(1))).errno());
        held.close();
        assertEquals(Errno.ENOENT, fails("dev:rmmod rust_chrdev").errno());

        // load it again with insmod: module name and devices printed
        String loaded = run("dev:insmod " + System.getProperty("itest.chrdev.jar"));
        assertTrue(loaded, loaded.startsWith("rust_chrdev: loaded (bundle "));
        assertTrue(loaded, loaded.contains("rust_chrdev0     char 254:0"));

        // parameters: good ones reach init, a bad one fails the load and leaves nothing installed
        assertNull(session.execute("dev:rmmod rust_module_parameters"));
        String params = System.getProperty("itest.bundles", "target/bundles") + "/org.devhost.drivers.rust_module_parameters.jar";
        KernelException bad = fails("dev:insmod " + params + " my_i32=abc");
        assertEquals(Errno.EINVAL, bad.errno());
        assertTrue(bad.getMessage(), bad.getMessage().contains("my_i32"));
        assertTrue(notInstalled("org.devhost.drivers.rust_module_parameters"));
        String ok = run("dev:insmod " + params + " my_i32=7 my_str=hi");
        assertTrue(ok, ok.startsWith("rust_module_parameters: loaded"));
        assertTrue(run("dev:dmesg"), run("dev:dmesg").contains("rust_module_parameters:   my_i32:     7"));

        // what cannot be loaded says why and leaves nothing behind
        int before = context.getBundles().length;
        assertEquals(Errno.ENOENT, fails("dev:insmod /no/such/driver.jar").errno());
        KernelException plain = fails("dev:insmod " + System.getProperty("itest.plain.jar"));
        assertEquals(Errno.EINVAL, plain.errno());
        assertTrue(plain.getMessage(), plain.getMessage().contains("not an OSGi bundle"));
        KernelException notDriver = fails("dev:insmod " + System.getProperty("itest.notdriver.jar"));
        assertEquals(Errno.EINVAL, notDriver.errno());
        assertTrue(notDriver.getMessage(), notDriver.getMessage().contains("is not a driver module"));
        assertEquals(before, context.getBundles().length);
    }

    /** Loading what is loaded is refused before anything is touched; a failed load takes nothing with it. */
    @Test
    public void insmodRefusesWhatIsLoadedAndRollsBackWhatFails() throws Exception {
        String scull = System.getProperty("itest.bundles", "target/bundles") + "/org.devhost.drivers.scull.jar";
        Bundle running = bundleOf("scull");
        // the same jar again, with a bad value: EEXIST, and scull keeps running with its devices
        KernelException again = fails("dev:insmod " + scull + " scull_quantum=abc");
        assertEquals(Errno.EEXIST, again.errno());
        assertTrue(again.getMessage(), again.getMessage().contains("already loaded as module scull (bundle " + running.getBundleId()));
        assertEquals(Bundle.ACTIVE, running.getState());
        assertTrue(registry().device("scull0").isPresent());

        // a parameter that is not name=value
        KernelException noEq = fails("dev:insmod " + scull + " scull_quantum");
        assertEquals(Errno.EINVAL, noEq.errno());
        assertTrue(noEq.getMessage(), noEq.getMessage().contains("parameter 'scull_quantum' is not name=value"));

        // a driver whose init throws: the errno of the failure, nothing installed, nothing registered
        int before = context.getBundles().length;
        KernelException init = fails("dev:insmod " + System.getProperty("itest.failing.jar"));
        assertEquals(Errno.EIO, init.errno());
        assertTrue(init.getMessage(), init.getMessage().startsWith("dev:insmod: failing_init: init failed: ")
                && init.getMessage().contains("; unloaded"));
        assertEquals(before, context.getBundles().length);
        assertTrue(registry().device("failing_init").isEmpty());

        // a failed load puts the module's stored parameters back as they were
        org.devhost.kernel.ModuleParameters params = context.getService(
                context.getServiceReference(org.devhost.kernel.ModuleParameters.class));
        String mp = System.getProperty("itest.bundles", "target/bundles") + "/org.devhost.drivers.rust_module_parameters.jar";
        assertNull(session.execute("dev:rmmod rust_module_parameters"));
        assertTrue(run("dev:insmod " + mp + " my_i32=5").startsWith("rust_module_parameters: loaded"));
        assertNull(session.execute("dev:rmmod rust_module_parameters"));
        assertEquals(Errno.EINVAL, fails("dev:insmod " + mp + " my_i32=abc").errno());
        assertEquals("the stored my_i32=5 is back", 5, ((Number) params.stored("rust_module_parameters").get("my_i32")).intValue());
        // and insmod without parameters loads the defaults, as Linux's insmod does: nothing carries over
        assertTrue(run("dev:insmod " + mp).startsWith("rust_module_parameters: loaded"));
        assertTrue(params.stored("rust_module_parameters").isEmpty());
        assertEquals("42", String.valueOf(params.get("rust_module_parameters").get("my_i32")));
    }

    /** Only local jars load as they are; anything fetched needs its SHA-256 pinned, and it is checked. */
    @Test
    public void insmodLoadsRemoteJarsOnlyWithAPinnedSha256() throws Exception {
        KernelException remote = fails("dev:insmod http://127.0.0.1:9/driver.jar");
        assertEquals(Errno.EACCES, remote.errno());
        assertTrue(remote.getMessage(), remote.getMessage().contains("--sha256"));
        String jar = System.getProperty("itest.chrdev.jar");
        assertNull(session.execute("dev:rmmod rust_chrdev"));
        String wrong = "0".repeat(64);
        KernelException mismatch = fails("dev:insmod --sha256 " + wrong + " " + jar);
        assertEquals(Errno.EACCES, mismatch.errno());
        assertTrue(mismatch.getMessage(), mismatch.getMessage().contains("not the pinned " + wrong));
        assertTrue(notInstalled("org.devhost.drivers.rust_chrdev"));
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(new File(jar).toPath())));
        assertTrue(run("dev:insmod --sha256 " + sha + " " + new File(jar).toURI()).startsWith("rust_chrdev: loaded"));
        assertEquals(Errno.EINVAL, fails("dev:insmod --sha256 xyz " + jar).errno());
    }

    @Test
    public void rmmodRefusesAModuleOthersUseAndExplainsAStoppedOne() throws Exception {
        Await.until("takes_nothing", () -> registry().device("takes_nothing").isPresent());
        KernelException used = fails("dev:rmmod itest_shared");
        assertEquals(Errno.EBUSY, used.errno());
        assertTrue(used.getMessage(), used.getMessage().contains("used by takes_nothing"));
        assertTrue(run("dev:lsmod"), run("dev:lsmod").matches("(?s).*\nitest_shared +\\d+  live +0  1 takes_nothing(\n.*)?"));

        Bundle mp = bundleOf("rust_module_parameters");
        mp.stop();
        KernelException stopped = fails("dev:rmmod rust_module_parameters");
        assertEquals(Errno.ENOENT, stopped.errno());
        assertTrue(stopped.getMessage(), stopped.getMessage().contains("installed but stopped: start " + mp.getBundleId()));
        mp.start();
        assertEquals(Errno.EINVAL, fails("dev:rmmod null").errno());
    }

    @Test
    public void ddAndIoctlArgumentErrorsSayWhatIsWrong() throws Exception {
        KernelException noOf = fails("dev:dd if=zero");
        assertEquals(Errno.EINVAL, noOf.errno());
        assertTrue(noOf.getMessage(), noOf.getMessage().contains("give both if=<device> and of=<device>"));
        KernelException operand = fails("dev:dd if=zero of=null seek=3");
        assertEquals(Errno.EINVAL, operand.errno());
        assertTrue(operand.getMessage(), operand.getMessage().contains("unknown operand 'seek=3'"));
        KernelException nothing = fails("dev:dd if=zero of=takes_nothing bs=16 count=1");
        assertEquals(Errno.EIO, nothing.errno());
        assertTrue(nothing.getMessage(), nothing.getMessage().contains("takes_nothing took no bytes"));
        assertTrue(out.toString(), out.toString().startsWith("1+0 records in\n0+0 records out\n0 bytes"));
        // no count: dd runs until the output is full, reports what it copied, and fails with ENOSPC
        KernelException full = fails("dev:dd if=zero of=full bs=1K");
        assertEquals(Errno.ENOSPC, full.errno());
        assertTrue(full.getMessage(), full.getMessage().startsWith("dev:dd: stopped after 0 bytes"));
        assertTrue(out.toString(), out.toString().startsWith("1+0 records in\n0+0 records out\n"));
        // write: a device that takes nothing is an error, not a silent success
        assertEquals(Errno.EIO, fails("dev:write takes_nothing x").errno());

        KernelException takesArg = fails("dev:ioctl /dev/null KVM_CHECK_EXTENSION");
        assertEquals(Errno.EINVAL, takesArg.errno());
        assertTrue(takesArg.getMessage(), takesArg.getMessage().contains("KVM_CHECK_EXTENSION takes an argument"));
        KernelException memArg = fails("dev:ioctl /dev/null TIOCSWINSZ");
        assertEquals(Errno.EINVAL, memArg.errno());
        assertTrue(memArg.getMessage(), memArg.getMessage().contains("TIOCSWINSZ takes an argument (8 bytes of memory"));
        KernelException wide = fails("dev:ioctl /dev/null 0x1ffffffff");
        assertEquals(Errno.EINVAL, wide.errno());
        assertTrue(wide.getMessage(), wide.getMessage().contains("does not fit 32 bits"));
    }

    /** Gogo reads a bare null as its null value: every command that gets it says how to name the null device. */
    @Test
    public void aNullDeviceNameIsAClearErrorInEveryCommand() throws Exception {
        // dev:cat's last parameter is a vararg, and for it Gogo passes the word itself: the null device
        assertEquals("", run("dev:cat null"));
        for (String line : new String[] {"dev:hexdump null", "dev:write null x", "dev:echo null x",
                "dev:ioctl null FIONREAD", "dev:stat null", "dev:ls null"}) {
            KernelException e = fails(line);
            assertEquals(line, Errno.EINVAL, e.errno());
            assertTrue(line + ": " + e.getMessage(), e.getMessage().contains("/dev/null or 'null'"));
        }
        assertEquals("", run("dev:cat /dev/null"));
        assertEquals("", run("dev:cat 'null'"));
    }

    /** Ctrl-C interrupts the command's job: a read blocked in the kernel ends with EINTR, said as such. */
    @Test
    public void anInterruptedCatFailsWithEintr() throws Exception {
        java.util.concurrent.CompletableFuture<Throwable> result = new java.util.concurrent.CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                session.execute("dev:cat rust_miscdev");
                result.complete(null);
            } catch (Throwable e) {
                result.complete(e);
            }
        }, "itest-cat");
        t.start();
        // Gogo runs the command on a job thread of its own: find it parked in the kernel wait
        Await.until(() -> "dev:cat parked in the kernel wait; result " + result.getNow(null), () -> Thread.getAllStackTraces()
                .keySet().stream().anyMatch(th -> LoadUnloadUnderIoIT.parkedInKernelWait(th) && java.util.Arrays.stream(
                        th.getStackTrace()).anyMatch(f -> f.getClassName().equals("org.devhost.shell.IoCommands"))));
        out.reset();
        session.foregroundJob().interrupt(); // what the console does on Ctrl-C
        // Gogo 1.1 replaces an interrupted job's result with its own InterruptedException, so the
        // command prints its EINTR failure itself, and it must have closed its file
        Throwable e = result.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(String.valueOf(e), e instanceof InterruptedException || e instanceof KernelException);
        Await.until(() -> "the EINTR line, have: " + out, () -> out.toString().contains(
                "dev:cat: /dev/rust_miscdev: Interrupted system call (EINTR)"));
        Await.until("rust_miscdev closed again", () -> registry().device("rust_miscdev").get().openCount() == 0);
    }

    private Bundle bundleOf(String module) {
        return org.devhost.kernel.ModuleInfo.find(context, module).orElseThrow();
    }

    private boolean notInstalled(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return false;
            }
        }
        return true;
    }

    private static KernelException expectKernel(Runnable r) {
        try {
            r.run();
        } catch (KernelException e) {
            return e;
        }
        throw new AssertionError("expected a KernelException");
    }

    /**
     * A crash the supervisor restarts shows in dev:lsmod's RESTARTS column and in dev:health with
     * its reason; dev:restart restarts a module on demand. faulty with fault=oops: every read is a
     * driver fault, and the default policy restarts after 5 faults.
     */
    @Test
    public void restartsShowInLsmodAndHealthAndDevRestartRestartsAModule() throws Exception {
        org.devhost.kernel.ModuleManager modules = context.getService(context.getServiceReference(org.devhost.kernel.ModuleManager.class));
        assertTrue(run("dev:insmod " + System.getProperty("itest.faulty.jar") + " fault=oops").contains("faulty: loaded"));
        try {
            assertTrue(run("dev:lsmod"), run("dev:lsmod").matches("(?s).*\nfaulty +\\d+  live +0  0.*"));
            for (int i = 0; i < 5; i++) {
                assertEquals(Errno.EIO, fails("dev:cat faulty").errno());
            }
            Await.until("faulty restarted once", () -> modules.module("faulty").restarts() == 1
                    && modules.module("faulty").state() == org.devhost.kernel.ModuleStatus.State.LIVE
                    && registry().device("faulty").isPresent());
            String lsmod = run("dev:lsmod");
            assertTrue(lsmod, lsmod.matches("(?s).*\nfaulty +\\d+  live +1  0.*"));
            String health = run("dev:health");
            assertTrue(health, health.matches("(?s).*\n  faulty +live +restarts 1, stuck 0; last: .*5 faults.*"));
            try (OpenFile before = registry().open("faulty", OpenFlags.O_RDONLY)) {
                assertTrue(run("dev:restart faulty").contains("faulty: restarted"));
                assertTrue(registry().device("faulty").isPresent());
                assertEquals("a file from before the restart is gone", Errno.ENODEV,
                        assertThrowsKernel(() -> before.read(ByteBuffer.allocate(4))).errno());
            }
            assertEquals(Errno.ENOENT, fails("dev:restart no_such_module").errno());
        } finally {
            run("dev:rmmod -f faulty");
        }
    }

    @Test
    public void dmesgFiltersByLevelAndClears() throws Exception {
        String all = run("dev:dmesg");
        assertTrue(all, all.contains("registered misc device rust_miscdev"));
        assertEquals(Errno.EINVAL, fails("dev:dmesg -l loud").errno());
        String info = run("dev:dmesg -l info -c");
        assertTrue(info, info.contains("rust_chrdev: Rust character device sample (init)"));
        assertEquals("", run("dev:dmesg"));
    }

    @Test
    public void everyCommandHasHelp() throws Exception {
        for (String c : new String[] {"ls", "majors", "misc", "lsmod", "modinfo", "stat", "insmod", "rmmod", "cat", "hexdump",
                "write", "echo", "dd", "ioctl", "dmesg"}) {
            String help = run("help dev:" + c);
            assertTrue(c + ": " + help, help.contains(c + " - "));
        }
        assertTrue(run("help dev:cat").contains("device: name, /dev/name or major:minor"));
    }
}
