package org.devhost.hal.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.devhost.hal.HostIoctls;
import org.devhost.hal.NodeStat;
import org.devhost.hal.Pty;
import org.devhost.hal.WinSize;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.PollEvents;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HAL against this machine's real device nodes. */
class HostNodesTest {
    private static final Hal HAL = new HostHal(List.of("/dev/"));
    private static long fdsBefore;

    @BeforeAll
    static void countDescriptors() throws IOException {
        HAL.open("/dev/null", OpenFlags.O_RDONLY).close(); // loads libc and JNA's dispatch library first
        Files.delete(Files.createTempFile("warm", "")); // the JDK keeps /dev/random and /dev/urandom open once used
        fdsBefore = openDescriptors();
    }

    @AfterAll
    static void noDescriptorLeaked() throws IOException {
        assertEquals(fdsBefore, openDescriptors(), "descriptors on device nodes open before and after the tests");
    }

    /** Descriptors of this process that point at a device node (the JVM's own jar files do not count). */
    static long openDescriptors() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("/dev/");
                } catch (IOException gone) {
                    return false; // the descriptor used to list the folder itself
                }
            }).count();
        }
    }

    private static void need(String node) {
        assumeTrue(Files.exists(Path.of(node)), node + " is absent on this machine; skipping");
    }

    private static Errno errno(Runnable r) {
        return assertThrows(KernelException.class, r::run).errno();
    }

    @Test
    void devNullTakesWritesAndReadsEof() {
        try (DeviceNode n = HAL.open("/dev/null", OpenFlags.O_RDWR)) {
            assertEquals(5, n.write(ByteBuffer.wrap("hello".getBytes())));
            assertEquals(0, n.read(ByteBuffer.allocateDirect(16)));
        }
    }

    @Test
    void devZeroFillsA64KiBDirectBuffer() {
        try (DeviceNode n = HAL.open("/dev/zero", OpenFlags.O_RDONLY)) {
            ByteBuffer b = ByteBuffer.allocateDirect(65536);
            for (int i = 0; i < b.capacity(); i++) {
                b.put(i, (byte) 0x5a);
            }
            assertEquals(65536, n.read(b));
            assertEquals(65536, b.position());
            for (int i = 0; i < b.capacity(); i++) {
                assertEquals(0, b.get(i), "byte " + i);
            }
            // a heap buffer works too, through the scratch buffer
            ByteBuffer heap = ByteBuffer.allocate(100);
            heap.put(0, (byte) 1);
            assertEquals(100, n.read(heap));
            assertEquals(0, heap.get(0));
        }
    }

    @Test
    void devFullRefusesWritesWithEnospc() {
        try (DeviceNode n = HAL.open("/dev/full", OpenFlags.O_WRONLY)) {
            KernelException e = assertThrows(KernelException.class, () -> n.write(ByteBuffer.allocateDirect(10)));
            assertEquals(Errno.ENOSPC, e.errno());
            assertEquals("write /dev/full: No space left on device (ENOSPC)", e.getMessage());
        }
    }

    @Test
    void devUrandomGivesDifferentBytesEachRead() {
        try (DeviceNode n = HAL.open("/dev/urandom", OpenFlags.O_RDONLY)) {
            ByteBuffer a = ByteBuffer.allocateDirect(32);
            ByteBuffer b = ByteBuffer.allocateDirect(32);
            assertEquals(32, n.read(a));
            assertEquals(32, n.read(b));
            byte[] x = new byte[32];
            byte[] y = new byte[32];
            a.flip().get(x);
            b.flip().get(y);
            assertFalse(Arrays.equals(x, y));
        }
    }

    @Test
    void aPtyPairCarriesBytesCountsThemAndSharesTheWindowSize() {
        need("/dev/ptmx");
        try (Pty pty = Pty.open(HAL)) {
            assertTrue(pty.index() >= 0);
            assertEquals("/dev/pts/" + pty.index(), pty.slave().path());
            assertEquals(pty.index(), HostIoctls.ptyNumber(pty.master()));

            // the slave starts in canonical mode: a line becomes readable at its newline
            assertEquals(6, pty.master().write(ByteBuffer.wrap("hello\n".getBytes())));
            assertTrue((pty.slave().poll(PollEvents.POLLIN, 2000) & PollEvents.POLLIN) != 0);
            assertEquals(6, HostIoctls.bytesAvailable(pty.slave()));
            ByteBuffer in = ByteBuffer.allocateDirect(64);
            assertEquals(6, pty.slave().read(in));
            byte[] got = new byte[6];
            in.flip().get(got);
            assertArrayEquals("hello\n".getBytes(), got);

            WinSize.set(pty.master(), new WinSize(40, 132, 0, 0));
            assertEquals(new WinSize(40, 132, 0, 0), WinSize.get(pty.slave()));
        }
    }

    @Test
    void pollOnAnEmptyPtyTimesOutThenSeesData() {
        need("/dev/ptmx");
        try (Pty pty = Pty.open(HAL)) {
            assertEquals(0, pty.master().poll(PollEvents.POLLIN, 50), "nothing to read yet");
            pty.slave().write(ByteBuffer.wrap("x".getBytes()));
            assertTrue((pty.master().poll(PollEvents.POLLIN, 2000) & PollEvents.POLLIN) != 0);
        }
    }

    @Test
    void kvmApiVersionIs12() {
        need("/dev/kvm");
        try (DeviceNode kvm = HAL.open("/dev/kvm", OpenFlags.O_RDWR)) {
            assertEquals(12, HostIoctls.kvmApiVersion(kvm));
        }
    }

    @Test
    void loopControlHandsOutAFreeLoopNumber() {
        need("/dev/loop-control");
        try (DeviceNode lc = HAL.open("/dev/loop-control", OpenFlags.O_RDWR)) {
            assertTrue(HostIoctls.loopGetFree(lc) >= 0);
        }
    }

    @Test
    void fstatOfDevNullIsCharDevice1Colon3() {
        try (DeviceNode n = HAL.open("/dev/null", OpenFlags.O_RDONLY)) {
            NodeStat st = n.stat();
            assertTrue(st.isCharDevice());
            assertEquals("char", st.type());
            assertEquals(DeviceNumber.of(1, 3), st.device());
            assertEquals(0666, st.permissions());
        }
    }

    @Test
    void anUnknownIoctlIsEnotty() {
        try (DeviceNode n = HAL.open("/dev/null", OpenFlags.O_RDONLY)) {
            assertEquals(Errno.ENOTTY, errno(() -> n.ioctl(0x5413, ByteBuffer.allocateDirect(8))));
            assertEquals(Errno.ENOTTY, errno(() -> n.ioctl(0xdead, 0)));
        }
    }

    @Test
    void refusedAndMissingPathsSayWhy() throws IOException {
        KernelException outside = assertThrows(KernelException.class, () -> HAL.open("/etc/hostname", OpenFlags.O_RDONLY));
        assertEquals(Errno.EACCES, outside.errno());
        assertTrue(outside.getMessage().contains("outside the allowed prefixes [/dev/]"), outside.getMessage());

        Hal etc = new HostHal(List.of("/dev/", "/etc/"));
        KernelException notChar = assertThrows(KernelException.class, () -> etc.open("/etc/hostname", OpenFlags.O_RDONLY));
        assertEquals(Errno.EACCES, notChar.errno());
        assertTrue(notChar.getMessage().contains("not a character device (it is a regular)"), notChar.getMessage());

        KernelException missing = assertThrows(KernelException.class, () -> HAL.open("/dev/no-such-node", OpenFlags.O_RDONLY));
        assertEquals(Errno.ENOENT, missing.errno());
        assertEquals("open /dev/no-such-node: No such file or directory (ENOENT)", missing.getMessage());

        assertEquals(Errno.EACCES, errno(() -> HAL.open("/dev/../etc/hostname", OpenFlags.O_RDONLY)));
        assertEquals(Errno.EACCES, errno(() -> HAL.open("dev/null", OpenFlags.O_RDONLY)));
        assertEquals(Errno.EINVAL, errno(() -> HAL.open("/dev/null", 0100 /* O_CREAT */)));
    }

    @Test
    void aLinkThatLeavesTheAllowedFolderIsRefused(@TempDir Path dir) throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("escape"), Path.of("/etc/hostname"));
        Path inside = Files.createSymbolicLink(dir.resolve("null"), Path.of("/dev/null"));
        Hal hal = new HostHal(List.of(dir.toRealPath() + "/", "/dev/"));
        KernelException e = assertThrows(KernelException.class, () -> hal.open(link.toString(), OpenFlags.O_RDONLY));
        assertEquals(Errno.EACCES, e.errno());
        assertTrue(e.getMessage().contains("it is a link to /etc/hostname, outside the allowed prefixes"), e.getMessage());
        // a link that stays inside the allowed folders is followed to its node
        try (DeviceNode n = hal.open(inside.toString(), OpenFlags.O_RDONLY)) {
            assertEquals("/dev/null", n.path());
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseIsEbadf() {
        DeviceNode n = HAL.open("/dev/zero", OpenFlags.O_RDONLY);
        n.close();
        n.close();
        KernelException e = assertThrows(KernelException.class, () -> n.read(ByteBuffer.allocateDirect(1)));
        assertEquals(Errno.EBADF, e.errno());
    }

    @Test
    void nonBlockingReadOfAnEmptyPtyIsEagain() {
        need("/dev/ptmx");
        try (Pty pty = Pty.open(HAL);
                DeviceNode nb = HAL.open("/dev/pts/" + pty.index(), OpenFlags.O_RDONLY | OpenFlags.O_NONBLOCK | Hal.O_NOCTTY)) {
            assertEquals(Errno.EAGAIN, errno(() -> nb.read(ByteBuffer.allocateDirect(8))));
        }
    }
}
