package org.devhost.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
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

/** Real host nodes reached through the kernel registry (hostdev over the HAL), in Felix. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerMethod.class)
public class HostdevIT {
    private static final List<String> NODES = List.of("/dev/zero", "/dev/full", "/dev/kvm");

    @Configuration
    public Option[] config() {
        return HostOptions.host("hostdev");
    }

    private BundleContext context;

    @Before
    public void inFramework() {
        context = FrameworkUtil.getBundle(getClass()).getBundleContext();
    }

    @Test
    public void readsZeroGetsEnospcAndTalksToKvmThenClosesEveryDescriptorOnUnload() throws Exception {
        Await.until("DeviceRegistry", () -> context.getServiceReference(DeviceRegistry.class) != null);
        DeviceRegistry registry = context.getService(context.getServiceReference(DeviceRegistry.class));
        Await.until("hostdev devices", () -> registry.device("host_zero").isPresent());

        OpenFile zero = registry.open("host_zero", OpenFlags.O_RDONLY);
        ByteBuffer buf = ByteBuffer.allocate(4096);
        buf.put(0, (byte) 9);
        assertEquals(4096, zero.read(buf));
        assertEquals(0, buf.get(0));

        OpenFile full = registry.open("host_full", OpenFlags.O_WRONLY);
        KernelException e = expect(() -> full.write(ByteBuffer.wrap(new byte[16])));
        assertEquals(Errno.ENOSPC, e.errno());

        OpenFile kvm = null;
        if (Files.exists(Path.of("/dev/kvm"))) {
            kvm = registry.open("host_kvm", OpenFlags.O_RDWR);
            assertEquals(12, kvm.ioctl(0xAE00, 0));
        } else {
            System.out.println("HostdevIT: /dev/kvm is absent on this machine; skipping the KVM check");
        }
        assertTrue("the process holds the real nodes now: " + deviceDescriptors(), deviceDescriptors().containsAll(
                kvm == null ? List.of("/dev/zero", "/dev/full") : NODES));

        Bundle hostdev = bundle("org.devhost.drivers.hostdev");
        hostdev.stop(); // with the three files still open

        List<String> left = deviceDescriptors().stream().filter(NODES::contains).collect(Collectors.toList());
        assertTrue("descriptors left after unload: " + left, left.isEmpty());
        assertEquals(Errno.ENODEV, expect(() -> zero.read(ByteBuffer.allocate(1))).errno());
        assertTrue(registry.device("host_zero").isEmpty());
        zero.close();
        full.close();
        if (kvm != null) {
            kvm.close();
        }
    }

    /**
     * Issue 16: hostdev unloaded while a host read is blocked (a pty master nobody writes to).
     * The stop ends the read with ENODEV and closes the real descriptor; and the ioctl gate
     * (issue 10) seen through the registry: a number is never an address, a descriptor-returning
     * command is refused.
     */
    @Test
    public void stoppingHostdevEndsABlockedReadWithEnodevAndClosesItsDescriptor() throws Exception {
        org.junit.Assume.assumeTrue("/dev/ptmx is absent on this machine", Files.exists(Path.of("/dev/ptmx")));
        Await.until("DeviceRegistry", () -> context.getServiceReference(DeviceRegistry.class) != null);
        DeviceRegistry registry = context.getService(context.getServiceReference(DeviceRegistry.class));
        org.osgi.service.cm.ConfigurationAdmin cm = context.getService(
                context.getServiceReference(org.osgi.service.cm.ConfigurationAdmin.class));
        org.osgi.service.cm.Configuration c = cm.getConfiguration("hostdev", "?");
        java.util.Hashtable<String, Object> p = new java.util.Hashtable<>();
        p.put("nodes", new String[] {"host_null=/dev/null", "host_kvm=/dev/kvm", "host_ptmx=/dev/ptmx"});
        c.update(p);
        Await.until("host_ptmx", () -> registry.device("host_ptmx").isPresent());

        try (OpenFile devNull = registry.open("host_null", OpenFlags.O_RDWR)) {
            KernelException e = expect(() -> devNull.ioctl(2, 4096)); // FIGETBSZ would write at address 4096
            assertEquals(Errno.EFAULT, e.errno());
        }
        if (Files.exists(Path.of("/dev/kvm"))) {
            try (OpenFile kvm = registry.open("host_kvm", OpenFlags.O_RDWR)) {
                assertEquals(Errno.EPERM, expect(() -> kvm.ioctl(0xAE01, 0)).errno()); // KVM_CREATE_VM
            }
        }

        OpenFile master = registry.open("host_ptmx", OpenFlags.O_RDWR);
        assertTrue(deviceDescriptors().contains("/dev/ptmx"));
        java.util.concurrent.atomic.AtomicReference<Throwable> ended = new java.util.concurrent.atomic.AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                master.read(ByteBuffer.allocate(64));
                ended.set(new AssertionError("read returned although nothing was written"));
            } catch (Throwable t) {
                ended.set(t);
            }
        }, "hostdevit-read");
        reader.setDaemon(true);
        reader.start();
        awaitInPoll(reader);

        bundle("org.devhost.drivers.hostdev").stop();
        reader.join(10_000); // a bound for a broken build only: the stop ends the read
        assertTrue("the reader is still blocked after the stop", !reader.isAlive());
        assertTrue("ended with " + ended.get(), ended.get() instanceof KernelException);
        assertEquals(Errno.ENODEV, ((KernelException) ended.get()).errno());
        assertTrue("descriptors left after unload: " + deviceDescriptors(), !deviceDescriptors().contains("/dev/ptmx"));
        master.close();
        c.delete();
    }

    /**
     * Waits until a thread is parked in {@code poll(2)}, as the kernel sees it
     * ({@code /proc/self/task/<tid>/syscall}; the task found by its name, which HotSpot sets). A
     * thread blocked in native code shows RUNNABLE to Java, so this is the state to wait for.
     */
    private static void awaitInPoll(Thread t) throws InterruptedException {
        List<String> poll = "aarch64".equals(System.getProperty("os.arch")) ? List.of("73") : List.of("7", "271");
        String comm = t.getName().length() > 15 ? t.getName().substring(0, 15) : t.getName();
        Await.until(() -> t.getName() + " parked in poll", () -> {
            try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
                return tasks.anyMatch(task -> {
                    try {
                        return Files.readString(task.resolve("comm")).trim().equals(comm)
                                && poll.contains(Files.readString(task.resolve("syscall")).trim().split(" ")[0]);
                    } catch (IOException gone) {
                        return false;
                    }
                });
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    /** Link targets of this process's descriptors that are device nodes. */
    private static List<String> deviceDescriptors() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException gone) {
                    return "";
                }
            }).filter(t -> t.startsWith("/dev/")).collect(Collectors.toList());
        }
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
