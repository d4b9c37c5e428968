package org.devhost.hal.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link org.devhost.hal.Hal#sendDatagram}: what systemd's notify socket and journal are sent,
 * received here by a Unix datagram socket of the test's own (bound through the same backend), on
 * a path and in the abstract namespace. Runs against each backend (BackendTest's rule).
 */
class DatagramTest {
    private static final HostHal HAL = new HostHal(HostHal.DEFAULT_ALLOWED);
    private static final Syscalls SYS = HAL.syscalls();

    @TempDir
    Path tmp;

    /** A bound datagram socket (the receiver), non-blocking; {@code name} a path, or @name for the abstract namespace. */
    private static int receiver(String name) {
        int fd = SYS.socket(Linux.AF_UNIX, Linux.SOCK_DGRAM | Linux.SOCK_CLOEXEC | Linux.O_NONBLOCK, 0);
        assertTrue(fd >= 0, "socket: " + fd);
        ByteBuffer addr = ByteBuffer.allocateDirect(Linux.SOCKADDR_UN_SIZE).order(java.nio.ByteOrder.nativeOrder());
        byte[] path = name.getBytes(StandardCharsets.UTF_8);
        addr.putShort(0, (short) Linux.AF_UNIX);
        addr.position(2);
        addr.put(name.startsWith("@") ? (byte) 0 : path[0]).put(path, 1, path.length - 1);
        int r = SYS.bind(fd, SYS.address(addr), 2 + path.length + (name.startsWith("@") ? 0 : 1));
        assertEquals(0, r, "bind " + name);
        return fd;
    }

    private static String receive(int fd) {
        ByteBuffer b = ByteBuffer.allocateDirect(4096);
        long n = SYS.read(fd, SYS.address(b), b.capacity());
        assertTrue(n >= 0, "a datagram is there (read: " + n + ")");
        byte[] bytes = new byte[(int) n];
        b.get(0, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void aDatagramArrivesWholeOnAPathAndInTheAbstractNamespace() {
        String path = tmp.resolve("notify").toString();
        int fd = receiver(path);
        try {
            ByteBuffer msg = ByteBuffer.wrap("READY=1\nSTATUS=up".getBytes(StandardCharsets.UTF_8));
            HAL.sendDatagram(path, msg);
            assertEquals("READY=1\nSTATUS=up", receive(fd));
            assertEquals(0, msg.position(), "the message's position does not move");
        } finally {
            SYS.close(fd);
        }
        String abstractName = "@devhost-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        int a = receiver(abstractName);
        try {
            ByteBuffer direct = ByteBuffer.allocateDirect(64);
            direct.put("WATCHDOG=1".getBytes(StandardCharsets.US_ASCII)).flip();
            HAL.sendDatagram(abstractName, direct);
            assertEquals("WATCHDOG=1", receive(a));
        } finally {
            SYS.close(a);
        }
    }

    @Test
    void noSocketThereIsEnoentAndABadPathIsEinvalSayingWhatToGive() {
        KernelException none = assertThrows(KernelException.class,
                () -> HAL.sendDatagram(tmp.resolve("nobody").toString(), ByteBuffer.wrap(new byte[] {1})));
        assertEquals(Errno.ENOENT, none.errno());
        assertTrue(none.getMessage().contains("nobody"), none.getMessage());
        for (String bad : new String[] {"relative/socket", "", "@", "/" + "x".repeat(Linux.SUN_PATH_MAX)}) {
            KernelException e = assertThrows(KernelException.class, () -> HAL.sendDatagram(bad, ByteBuffer.wrap(new byte[] {1})));
            assertEquals(Errno.EINVAL, e.errno(), bad);
            assertTrue(e.getMessage().contains("absolute socket path"), e.getMessage());
        }
    }
}
