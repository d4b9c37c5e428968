package org.devhost.hal.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.devhost.hal.Pty;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFlags;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which nodes the HAL opens, and how. */
class OpenPolicyTest {
    private static final HostHal DEFAULT = new HostHal(HostHal.DEFAULT_ALLOWED);

    private static KernelException refused(Hal hal, String path) {
        return assertThrows(KernelException.class, () -> hal.open(path, OpenFlags.O_RDONLY).close());
    }

    /** Runs a tool of the system (mknod, mkfifo); skips when it cannot run here. */
    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assumeTrue(p.waitFor() == 0, String.join(" ", command) + " failed here (" + out.trim() + "); skipping");
    }

    @Test
    void theDefaultAllowlistNamesNodesNotAllOfDev() {
        try (DeviceNode n = DEFAULT.open("/dev/null", OpenFlags.O_RDONLY)) {
            assertEquals("/dev/null", n.path());
        }
        if (Files.exists(Path.of("/dev/ptmx"))) {
            try (Pty pty = Pty.open(DEFAULT)) {
                assertEquals("/dev/pts/" + pty.index(), pty.slave().path(), "the slaves are allowed as a folder");
            }
        }
        for (String other : List.of("/dev/kmsg", "/dev/tty0", "/dev/autofs", "/dev/cpu_dma_latency")) {
            if (Files.exists(Path.of(other))) {
                KernelException e = refused(DEFAULT, other);
                assertEquals(Errno.EACCES, e.errno(), other);
                assertTrue(e.getMessage().contains("outside the allowed prefixes") && e.getMessage().contains(
                        "allowed.prefixes of configuration org.devhost.hal"), e.getMessage());
            }
        }
    }

    @Test
    void theComponentsDefaultIsTheDocumentedList() throws Exception {
        Object annotationDefault = HalConfig.class.getMethod("allowed_prefixes").getDefaultValue();
        assertArrayEquals(HostHal.DEFAULT_ALLOWED.toArray(), (Object[]) annotationDefault);
        assertEquals(false, HalConfig.class.getMethod("unsafe").getDefaultValue());
    }

    @Test
    void nodesThatCanHurtTheMachineAreDeniedEvenWhenAllowed() {
        Hal all = new HostHal(List.of("/dev/"));
        for (String node : List.of("/dev/mem", "/dev/kmem", "/dev/port", "/dev/watchdog", "/dev/watchdog0", "/dev/sda",
                "/dev/sg0", "/dev/nvme0", "/dev/vda", "/dev/cpu/0/msr", "/dev/mtd0")) {
            KernelException e = refused(all, node);
            assertEquals(Errno.EACCES, e.errno(), node);
            assertTrue(e.getMessage().contains("denylist of nodes that can hurt the machine")
                    && e.getMessage().contains("unsafe=true"), e.getMessage());
        }
    }

    @Test
    void aLinkToADeniedNodeIsDenied(@TempDir Path dir) throws Exception {
        // made here, so the test runs on any machine where mknod works (as root): a node with
        // /dev/mem's number under a harmless name, and one with /dev/null's, each behind a link
        Path mem = dir.resolve("harmless");
        run("mknod", mem.toString(), "c", "1", "1");
        Path nul = dir.resolve("quiet");
        run("mknod", nul.toString(), "c", "1", "3");
        Path toMem = Files.createSymbolicLink(dir.resolve("innocent"), mem);
        Path toNull = Files.createSymbolicLink(dir.resolve("also-innocent"), nul);
        Hal hal = new HostHal(List.of(dir.toRealPath() + "/"));

        KernelException e = refused(hal, toMem.toString());
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().startsWith("open " + toMem + ": refused, its device number 1:1 is /dev/mem, on the HAL's"
                + " denylist"), e.getMessage());
        // the link itself is not what is refused: the same link to a harmless node opens it
        try (DeviceNode n = hal.open(toNull.toString(), OpenFlags.O_RDONLY)) {
            assertEquals(nul.toRealPath().toString(), n.path());
        }
    }

    @Test
    void aLinkIsDeniedByTheNameOfTheNodeItLeadsTo(@TempDir Path dir) throws IOException {
        // a denied name lives in /dev, which a test does not write: take one this machine has
        Path denied = List.of("/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/xvda", "/dev/mmcblk0", "/dev/mem", "/dev/port")
                .stream().map(Path::of).filter(Files::exists).findFirst().orElse(null);
        assumeTrue(denied != null, "no node with a denied name (a disk, /dev/mem, /dev/port) on this machine; skipping");
        Path link = Files.createSymbolicLink(dir.resolve("innocent"), denied);
        Hal hal = new HostHal(List.of(dir.toRealPath() + "/", "/dev/"));
        KernelException e = refused(hal, link.toString());
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().contains("it leads to " + denied + " and it matches "), e.getMessage());
    }

    @Test
    void aNodeWithADeniedNumberIsDeniedWhateverItsNameAndOnlyUnsafeLiftsIt(@TempDir Path dir) throws Exception {
        Path mem = dir.resolve("harmless");
        run("mknod", mem.toString(), "c", "1", "1");
        KernelException e = refused(new HostHal(List.of(dir.toRealPath() + "/")), mem.toString());
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().contains("device number 1:1 is /dev/mem"), e.getMessage());

        // unsafe: the HAL lets it through to open(2), which answers for itself (no /dev/mem driver: ENXIO)
        Hal unsafe = new HostHal(List.of(dir.toRealPath() + "/"), true);
        try {
            unsafe.open(mem.toString(), OpenFlags.O_RDONLY).close();
        } catch (KernelException opened) {
            assertTrue(opened.errno() != Errno.EACCES || !opened.getMessage().contains("denylist"), opened.getMessage());
        }
    }

    @Test
    void aFifoIsRefusedWithoutHangingTheOpen(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("fifo");
        run("mkfifo", fifo.toString());
        Hal hal = new HostHal(List.of(dir.toRealPath() + "/"));
        // the bound only stops a broken build from hanging: opening a FIFO for reading waits for a writer
        KernelException e = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> refused(hal, fifo.toString()));
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().contains("not a character device (it is a fifo)"), e.getMessage());
    }

    @Test
    void aBlockingOpenEndsInBlockingModeAndANonBlockingOneStaysNonBlocking() {
        try (HostNode blocking = (HostNode) DEFAULT.open("/dev/zero", OpenFlags.O_RDONLY);
                HostNode nonBlocking = (HostNode) DEFAULT.open("/dev/zero", OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK)) {
            Syscalls sys = DEFAULT.syscalls();
            assertEquals(0, sys.fcntl(blocking.fd(), Linux.F_GETFL, 0) & Linux.O_NONBLOCK);
            assertEquals(Linux.O_NONBLOCK, sys.fcntl(nonBlocking.fd(), Linux.F_GETFL, 0) & Linux.O_NONBLOCK);
            assertEquals(1, sys.fcntl(blocking.fd(), Linux.F_GETFD, 0) & 1, "FD_CLOEXEC");
        }
    }
}
