package org.devhost.drivers.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.devhost.kernel.Device;
import org.devhost.kernel.DeviceNumber;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.testing.TestKernel;
import org.junit.jupiter.api.Test;

class MemTest {
    private final TestKernel kernel = new TestKernel();
    private final DeviceRegistry user = kernel.load("user");
    private final Mem mem = new Mem(kernel.load("mem"));

    @Test
    void numbersAreLinuxs() {
        assertEquals(List.of("null 1:3", "zero 1:5", "full 1:7", "random 1:8", "urandom 1:9"),
                user.devices().stream().map(d -> d.name() + " " + d.number()).toList());
        assertTrue(user.regions().stream().anyMatch(r -> r.major() == 1 && r.name().equals("mem")));
        mem.drop();
        assertTrue(user.devices().isEmpty());
    }

    /** mem.c's devlist gives these five 0666: everyone may read and write them. */
    @Test
    void modesAreDevlists() {
        assertEquals(List.of(0666, 0666, 0666, 0666, 0666), user.devices().stream().map(Device::mode).toList());
    }

    @Test
    void nullSwallowsWritesAndReadsEof() {
        try (OpenFile f = user.open(DeviceNumber.of(1, 3), OpenFlags.O_RDWR)) {
            assertEquals(10, f.write(ByteBuffer.allocate(10)));
            assertEquals(0, f.read(ByteBuffer.allocate(10)));
            assertEquals(0, f.seek(100, OpenFile.SEEK_SET));
        }
    }

    @Test
    void zeroAndFullReadZerosAndFullRefusesWrites() {
        for (String name : List.of("zero", "full")) {
            try (OpenFile f = user.open(name, OpenFlags.O_RDWR)) {
                ByteBuffer b = ByteBuffer.allocate(64);
                Arrays.fill(b.array(), (byte) 7);
                assertEquals(64, f.read(b));
                assertTrue(Arrays.equals(new byte[64], b.array()), name);
            }
        }
        try (OpenFile full = user.open("full", OpenFlags.O_WRONLY)) {
            KernelException e = assertThrows(KernelException.class, () -> full.write(ByteBuffer.allocate(1)));
            assertEquals(Errno.ENOSPC, e.errno());
        }
        try (OpenFile zero = user.open("zero", OpenFlags.O_WRONLY)) {
            assertEquals(5, zero.write(ByteBuffer.allocate(5)));
        }
    }

    @Test
    void randomAndUrandomGiveDifferentBytes() {
        for (String name : List.of("random", "urandom")) {
            try (OpenFile f = user.open(name, OpenFlags.O_RDWR)) {
                ByteBuffer a = ByteBuffer.allocate(32);
                ByteBuffer b = ByteBuffer.allocate(32);
                f.read(a);
                f.read(b);
                assertFalse(Arrays.equals(a.array(), b.array()), name);
                assertEquals(3, f.write(ByteBuffer.wrap(new byte[] {1, 2, 3})));
            }
        }
        Device d = user.device("urandom").orElseThrow();
        assertEquals(DeviceNumber.of(1, 9), d.number());
    }
}
