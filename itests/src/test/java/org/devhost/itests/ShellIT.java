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
        return CoreOptions.options(CoreOptions.composite(HostOptions.host("rust_chrdev", "rust_miscdev", "mem", "scull",
                        "rust_semaphore", "rust_module_parameters")),
                CoreOptions.systemProperty("itest.plain.jar").value(plain.getCanonicalPath()),
                CoreOptions.systemProperty("itest.notdriver.jar").value(notDriver.getCanonicalPath()),
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

    private KernelException fails(String line) {
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
        assertTrue(ls, ls.matches("(?s).*rust_chrdev0 +char +254:0 +rust_chrdev +0 +open\n.*"));
        assertTrue(ls, ls.matches("(?s).*\nnull +char +1:3 +mem .*"));
        String glob = run("dev:ls 'scull?'"); // quoted, or Gogo expands the glob against files itself
        assertEquals(5, glob.lines().count());

        String majors = run("dev:majors");
        assertTrue(majors, majors.startsWith("Character devices:\n  1 mem\n 10 misc\n"));
        assertTrue(majors, majors.contains("254 rust_chrdev"));

        assertTrue(run("dev:misc"), run("dev:misc").matches("(?s).*\\d+ rust_miscdev.*"));

        String lsmod = run("dev:lsmod");
        assertTrue(lsmod, lsmod.startsWith("Module                  Size  Used by\n"));
        assertTrue(lsmod, lsmod.matches("(?s).*\nscull +\\d+  0(\n.*)?"));

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
        assertEquals("00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n00000010", hex);
        assertTrue(run("dev:hexdump -s 6 scull1"), run("dev:hexdump -s 6 scull1").contains("|world|"));
        String dd = run("dev:dd if=zero of=null bs=4K count=10");
        assertTrue(dd, dd.startsWith("10+0 records in\n10+0 records out\n40960 bytes (41.0 kB) copied, "));
        assertTrue(dd, dd.endsWith("/s"));
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
