package org.devhost.drivers.hostdev;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.annotation.Annotation;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.devhost.hal.Hal;
import org.devhost.hal.common.HostHal;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** hostdev on the standalone kernel and the real HAL: its ioctl gate, and unload under a blocked read. */
class HostDevTest {
    /** TIOCGDEV, _IOR('T', 0x32, unsigned int): not in the HAL's table, answered by any tty. */
    private static final int TIOCGDEV = 0x80045432;
    private static final Hal HAL = new HostHal(HostHal.DEFAULT_ALLOWED);

    private final TestKernel kernel = new TestKernel();
    private final DeviceRegistry user = kernel.load("user");
    private DeviceRegistry module;
    private HostDev driver;

    private HostDev load(List<String> nodes, List<String> ioctls) {
        module = kernel.load("hostdev");
        driver = new HostDev(module, HAL, kernel.logger("hostdev"), new HostDev.Config() {
            @Override
            public String[] nodes() {
                return nodes.toArray(new String[0]);
            }

            @Override
            public String[] ioctls() {
                return ioctls.toArray(new String[0]);
            }

            @Override
            public Class<? extends Annotation> annotationType() {
                return HostDev.Config.class;
            }
        });
        return driver;
    }

    /** What a bundle stop does: deactivate, then the kernel releases what is left. */
    private void unload() {
        if (driver != null) {
            driver.drop();
            kernel.unload(module);
            driver = null;
        }
    }

    @AfterEach
    void stop() {
        unload();
    }

    private static KernelException fails(Runnable r) {
        return assertThrows(KernelException.class, r::run);
    }

    private static ByteBuffer memory(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    @Test
    void aNumberIsNeverPassedAsAnAddress() {
        load(List.of("host_null=/dev/null"), List.of());
        try (OpenFile f = user.open("host_null", OpenFlags.O_RDWR)) {
            // dev:ioctl host_null 2 4096: FIGETBSZ writes an int where its argument points
            KernelException e = fails(() -> f.ioctl(2, 4096));
            assertEquals(Errno.EFAULT, e.errno());
            assertTrue(e.getMessage().contains("takes 4 bytes of memory and got the number 4096"), e.getMessage());
            ByteBuffer size = memory(4);
            f.ioctl(2, size);
            assertTrue(size.getInt(0) > 0, "FIGETBSZ with memory answers the block size");
        }
    }

    @Test
    void anUnknownCommandIsEnottyAndSaysHowToAllowIt() {
        assumeTrue(Files.exists(Path.of("/dev/ptmx")), "/dev/ptmx is absent on this machine; skipping");
        load(List.of("host_ptmx=/dev/ptmx"), List.of());
        try (OpenFile f = user.open("host_ptmx", OpenFlags.O_RDWR)) {
            KernelException e = fails(() -> f.ioctl(TIOCGDEV, memory(4)));
            assertEquals(Errno.ENOTTY, e.errno());
            assertTrue(e.getMessage().contains("add 'host_ptmx=0x80045432:KIND[:SIZE]' (KIND none, value, in or out;"
                    + " SIZE the bytes of memory for in and out) to ioctls of configuration hostdev"), e.getMessage());
            assertEquals(Errno.EPERM, fails(() -> f.ioctl(0x5441, 0)).errno(), "TIOCGPTPEER returns a descriptor");
        }
    }

    @Test
    void aConfiguredCommandIsForwardedAsConfigured() {
        assumeTrue(Files.exists(Path.of("/dev/ptmx")), "/dev/ptmx is absent on this machine; skipping");
        load(List.of("host_ptmx=/dev/ptmx"), List.of("host_ptmx=0x80045432:out:4"));
        try (OpenFile f = user.open("host_ptmx", OpenFlags.O_RDWR)) {
            ByteBuffer dev = memory(4);
            f.ioctl(TIOCGDEV, dev);
            assertEquals(136, dev.getInt(0) >>> 8 & 0xfff, "the pty's slave device, major 136");
            assertEquals(Errno.EFAULT, fails(() -> f.ioctl(TIOCGDEV, 0x1000)).errno());
        }
    }

    @Test
    void aConfigurationCannotAllowARefusedCommandNorNameAnUnknownNode() {
        KernelException vm = fails(() -> load(List.of("host_kvm=/dev/kvm"), List.of("host_kvm=0xAE01:value")));
        assertEquals(Errno.EINVAL, vm.errno());
        assertTrue(vm.getMessage().contains("names KVM_CREATE_VM, which the HAL never sends"), vm.getMessage());
        assertEquals(Errno.EINVAL, fails(() -> load(List.of("host_null=/dev/null"), List.of("host_nul=2:out:4"))).errno());
        assertEquals(Errno.EINVAL, fails(() -> load(List.of("host_null=/dev/null"), List.of("host_null=2:out"))).errno());
        assertEquals(Errno.EINVAL, fails(() -> load(List.of("host_null=/dev/null"), List.of("host_null=2:both:4"))).errno());
        assertTrue(user.devices().isEmpty(), "a refused configuration registers nothing");
        module = null;
    }

    @Test
    void unloadEndsABlockedReadWithEnodevAndClosesTheDescriptor() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/ptmx")), "/dev/ptmx is absent on this machine; skipping");
        load(List.of("host_ptmx=/dev/ptmx"), List.of());
        OpenFile master = user.open("host_ptmx", OpenFlags.O_RDWR);
        assertEquals(1, ptmxDescriptors(), "the real master is open");
        AtomicReference<Throwable> ended = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            try {
                master.read(ByteBuffer.allocate(64));
                ended.set(new AssertionError("read returned although nothing was written"));
            } catch (Throwable e) {
                ended.set(e);
            }
        }, "hostdev-reader");
        reader.setDaemon(true);
        reader.start();
        Parked.awaitInPoll(reader);

        unload();
        reader.join(10_000); // a bound for a broken build only: the unload ends the read
        assertFalse(reader.isAlive(), "the reader is still blocked after unload");
        assertTrue(ended.get() instanceof KernelException, "ended with " + ended.get());
        assertEquals(Errno.ENODEV, ((KernelException) ended.get()).errno(), ended.get().getMessage());
        assertTrue(ended.get().getMessage().contains("host_ptmx") && ended.get().getMessage().contains("going away"),
                ended.get().getMessage());
        assertEquals(0, ptmxDescriptors(), "the real descriptor is closed");
        assertTrue(kernel.log().lines().stream().noneMatch(l -> l.message().contains("still running after")),
                "the unload woke the reader before revoking, so revocation did not wait out its bound: " + kernel.log().lines());
        assertEquals(Errno.ENODEV, fails(() -> master.read(ByteBuffer.allocate(1))).errno());
        master.close();
    }

    private static long ptmxDescriptors() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().equals("/dev/ptmx");
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        }
    }
}
