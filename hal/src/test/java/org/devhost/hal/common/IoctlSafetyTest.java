package org.devhost.hal.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.devhost.hal.DeviceNode;
import org.devhost.hal.Hal;
import org.devhost.hal.KnownIoctl;
import org.devhost.hal.KnownIoctls;
import org.devhost.hal.Pty;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFlags;
import org.junit.jupiter.api.Test;

/** ioctl arguments at the HAL boundary: a number is never an address, memory is sized by the command. */
class IoctlSafetyTest {
    private static final HostHal HAL = new HostHal(HostHal.DEFAULT_ALLOWED);

    private static KernelException refused(Runnable r) {
        return assertThrows(KernelException.class, r::run);
    }

    /** Skips the test where {@code node} is absent, saying so in the build's output too. */
    private static void need(String node) {
        if (!Files.exists(Path.of(node))) {
            String why = node + " is absent on this machine; skipping";
            System.err.println(IoctlSafetyTest.class.getSimpleName() + ": " + why);
            assumeTrue(false, why);
        }
    }

    private static ByteBuffer direct(int size) {
        return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
    }

    @Test
    void aNumberIsNeverUsedAsAnAddress() {
        try (DeviceNode n = HAL.open("/dev/null", OpenFlags.O_RDONLY)) {
            // FIGETBSZ (2) encodes nothing but writes an int: given a mapped address, the kernel used to write there
            ByteBuffer victim = direct(8);
            long address = HAL.syscalls().address(victim);
            KernelException e = refused(() -> n.ioctl(KnownIoctls.FIGETBSZ, address));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("takes 4 bytes of memory") && e.getMessage().contains("pass a buffer"),
                    e.getMessage());
            assertEquals(0, victim.getInt(0), "the kernel wrote into JVM memory");
            // by its _IOC bits: TIOCGPTN is _IOR('T', 0x30, 4)
            assertEquals(Errno.EINVAL, refused(() -> n.ioctl(KnownIoctls.TIOCGPTN, address)).errno());

            // an old command that no table knows and whose bits say nothing: TIOCGETD (0x5424) writes an
            // int on a tty; a non-zero number for it is refused, whatever node it is sent to
            KernelException undescribed = refused(() -> n.ioctl(0x5424, address));
            assertEquals(Errno.EINVAL, undescribed.errno());
            assertTrue(undescribed.getMessage().contains("describe it with a KnownIoctl of kind VALUE"), undescribed.getMessage());
            assertEquals(0, victim.getInt(0));

            // given memory, FIGETBSZ answers
            ByteBuffer size = direct(4);
            n.ioctl(KnownIoctls.FIGETBSZ, size);
            assertTrue(size.getInt(0) > 0, "block size " + size.getInt(0));
        }
    }

    @Test
    void aBufferShorterThanTheCommandIsEinvalAndTheKernelGetsExactlyItsSize() {
        need("/dev/ptmx");
        try (Pty pty = Pty.open(HAL)) {
            // TIOCGWINSZ writes 8 bytes; it used to write them past a 4-byte buffer
            KernelException e = refused(() -> pty.master().ioctl(KnownIoctls.TIOCGWINSZ, direct(4)));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("needs 8 bytes from the buffer's position, it has 4"), e.getMessage());
            assertEquals(Errno.EINVAL, refused(() -> pty.master().ioctl(KnownIoctls.TIOCGWINSZ, ByteBuffer.allocate(7))).errno());
            ByteBuffer tail = direct(12).position(8);
            assertEquals(Errno.EINVAL, refused(() -> pty.master().ioctl(KnownIoctls.TIOCGWINSZ, tail)).errno(),
                    "only the bytes from the position count");

            // a larger heap buffer: the 4 bytes of TIOCGPTN come back, the rest is untouched
            ByteBuffer heap = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
            for (int i = 0; i < 16; i++) {
                heap.put(i, (byte) 0x5a);
            }
            pty.master().ioctl(KnownIoctls.TIOCGPTN, heap);
            assertEquals(pty.index(), heap.getInt(0));
            for (int i = 4; i < 16; i++) {
                assertEquals(0x5a, heap.get(i), "byte " + i);
            }
            // the kernel writes the answer: a read-only buffer is refused
            assertEquals(Errno.EINVAL, refused(() -> pty.master().ioctl(KnownIoctls.TIOCGPTN, direct(4).asReadOnlyBuffer())).errno());
        }
    }

    @Test
    void aCommandThatPassedTheRulesOnceIsStillCheckedAgainstEachCallsArgument() {
        need("/dev/ptmx");
        try (Pty pty = Pty.open(HAL)) {
            DeviceNode m = pty.master();
            // the node keeps the command's verdict; what depends on the call's buffer is checked each time
            m.ioctl(KnownIoctls.TIOCGWINSZ, direct(8));
            assertEquals(Errno.EINVAL, refused(() -> m.ioctl(KnownIoctls.TIOCGWINSZ, direct(4))).errno());
            assertEquals(Errno.EINVAL, refused(() -> m.ioctl(KnownIoctls.TIOCGWINSZ, direct(8).asReadOnlyBuffer())).errno());
            m.ioctl(KnownIoctls.TIOCGWINSZ, direct(8));
            // a by-value command that passed does not let a memory command through by value after it
            assertEquals(Errno.ENOTTY, refused(() -> m.ioctl(KnownIoctls.KVM_GET_API_VERSION, 0)).errno());
            for (int i = 0; i < 2; i++) {
                assertEquals(Errno.EINVAL, refused(() -> m.ioctl(KnownIoctls.TIOCGWINSZ, 4096L)).errno());
            }
            // an equal description in another object gets the same verdict
            KnownIoctl twin = new KnownIoctl("TIOCGWINSZ", KnownIoctls.TIOCGWINSZ, KnownIoctl.Arg.OUT, 8, "a copy");
            ByteBuffer ws = direct(8);
            m.ioctl(twin, ws);
            assertEquals(Errno.EINVAL, refused(() -> m.ioctl(twin, direct(7))).errno());
        }
    }

    @Test
    void memoryForACommandWhoseSizeNobodyKnowsIsRefused() {
        try (DeviceNode n = HAL.open("/dev/null", OpenFlags.O_RDONLY)) {
            KernelException e = refused(() -> n.ioctl(0x1234, direct(4096)));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("encodes no size and is not in the HAL's table"), e.getMessage());
        }
    }

    @Test
    void aCallersDescriptionMayAddASizeButNeverShrinkOne() {
        try (DeviceNode n = HAL.open("/dev/null", OpenFlags.O_RDONLY)) {
            KnownIoctl shortWinsz = new KnownIoctl("TIOCGWINSZ", KnownIoctls.TIOCGWINSZ, KnownIoctl.Arg.OUT, 4, "too short");
            KernelException e = refused(() -> n.ioctl(shortWinsz, direct(4)));
            assertEquals(Errno.EINVAL, e.errno());
            assertTrue(e.getMessage().contains("described as 4 bytes, but the kernel touches 8"), e.getMessage());
            assertEquals(Errno.EINVAL, refused(() -> n.ioctl(new KnownIoctl("TCGETS", KnownIoctls.TCGETS,
                    KnownIoctl.Arg.VALUE, 0, "a lie"), 0x1000)).errno(), "the HAL's table says TCGETS takes memory");

            // a legacy command the table does not know, described by the caller, gets its memory
            KnownIoctl described = new KnownIoctl("MY_OLD_CMD", 0x1234, KnownIoctl.Arg.OUT, 16, "a legacy command");
            assertEquals(Errno.ENOTTY, refused(() -> n.ioctl(described, direct(16))).errno(), "reached /dev/null's driver");
        }
    }

    @Test
    void aVariableLengthCommandIsRefused() {
        try (DeviceNode n = HAL.open("/dev/urandom", OpenFlags.O_RDWR)) {
            // RNDADDENTROPY: struct rand_pool_info { int entropy_count; int buf_size; __u32 buf[]; } encodes 8 bytes
            KernelException e = refused(() -> n.ioctl(0x40085203, direct(8)));
            assertEquals(Errno.EPERM, e.errno());
            assertTrue(e.getMessage().contains("RNDADDENTROPY") && e.getMessage().contains("cannot size"), e.getMessage());
        }
    }

    @Test
    void aVmDescriptorIsRefusedAndNoVmIsCreated() throws Exception {
        need("/dev/kvm");
        long vms = CloseWakesWaitersTest.links("anon_inode:kvm-vm");
        try (DeviceNode kvm = HAL.open("/dev/kvm", OpenFlags.O_RDWR)) {
            KernelException e = refused(() -> kvm.ioctl(0xAE01, 0)); // KVM_CREATE_VM
            assertEquals(Errno.EPERM, e.errno());
            assertEquals("ioctl KVM_CREATE_VM (0xae01) on /dev/kvm: refused, it returns a new file descriptor that nothing"
                    + " in devhost would own or close (see RefusedIoctls): Operation not permitted (EPERM)", e.getMessage());
            KnownIoctl disguised = new KnownIoctl("MY_VM", 0xAE01, KnownIoctl.Arg.VALUE, 0, "a description cannot lift it");
            assertEquals(Errno.EPERM, refused(() -> kvm.ioctl(disguised, 0)).errno());
        }
        assertEquals(vms, CloseWakesWaitersTest.links("anon_inode:kvm-vm"), "no VM descriptor was created");
    }

    @Test
    void aPtyPeerDescriptorIsRefusedAndNoPeerIsOpened() throws Exception {
        need("/dev/ptmx");
        try (Pty pty = Pty.open(HAL)) {
            String slave = "/dev/pts/" + pty.index();
            assertEquals(1, CloseWakesWaitersTest.links(slave), "the pair's own slave");
            KernelException e = refused(() -> pty.master().ioctl(0x5441, 0x102)); // TIOCGPTPEER, O_RDWR | O_NOCTTY
            assertEquals(Errno.EPERM, e.errno());
            assertTrue(e.getMessage().startsWith("ioctl TIOCGPTPEER (0x5441) on /dev/ptmx: refused, it returns a new file"
                    + " descriptor that nothing in devhost would own or close"), e.getMessage());
            assertEquals(1, CloseWakesWaitersTest.links(slave), "no second descriptor of the slave was opened");
        }
    }

    @Test
    void aReadIntoAReadOnlyBufferIsRefused() {
        try (DeviceNode n = HAL.open("/dev/zero", OpenFlags.O_RDONLY)) {
            ByteBuffer ro = direct(8).asReadOnlyBuffer();
            assertEquals(Errno.EINVAL, refused(() -> n.read(ro)).errno());
            assertEquals(Errno.EINVAL, refused(() -> n.read(ByteBuffer.allocate(8).asReadOnlyBuffer())).errno());
        }
    }
}
