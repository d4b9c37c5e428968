package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.Operation;
import org.devhost.kernel.PollEvents;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.Test;

/** Defaults, the operation table, per-open data, access modes and driver faults. */
class FileOperationsTest {
    private final Kernel kernel = new Kernel();
    private final ModuleRegistry reg = kernel.module("test");

    private static Errno errno(Runnable r) {
        return assertThrows(KernelException.class, r::run).errno();
    }

    @Test
    void everyMissingOperationGivesTheKernelDefault() {
        reg.registerMisc("bare", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        try (OpenFile f = reg.open("bare", OpenFlags.O_RDWR)) {
            assertEquals(Errno.EINVAL, errno(() -> f.read(ByteBuffer.allocate(1))));
            assertEquals(Errno.EINVAL, errno(() -> f.write(ByteBuffer.allocate(1))));
            assertEquals(Errno.ESPIPE, errno(() -> f.seek(0, OpenFile.SEEK_SET)));
            assertEquals(Errno.ENOTTY, errno(() -> f.ioctl(0x5413, 0)));
            assertEquals(Errno.EINVAL, errno(f::fsync));
            assertEquals(PollEvents.DEFAULT_MASK, f.poll());
            assertEquals(PollEvents.POLLIN | PollEvents.POLLOUT, f.poll() & (PollEvents.POLLIN | PollEvents.POLLOUT));
        }
        assertEquals(EnumSet.of(Operation.OPEN), reg.device("bare").orElseThrow().operations());
    }

    /** The {@link FileOperations} Javadoc example, as written there. */
    @Test
    void theJavadocZeroDeviceWorks() {
        FileOperations<Void> zero = new FileOperations<>() {
            public Void open(File file) { return null; }
            public int read(Void data, File file, ByteBuffer dst, long offset) {
                int n = dst.remaining();
                dst.position(dst.position() + n); // a fresh direct buffer is already zeroed
                return n;
            }
        };
        reg.registerMisc("zero", MiscDevice.DYNAMIC_MINOR, zero);
        try (OpenFile f = reg.open("zero", OpenFlags.O_RDONLY)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(4096);
            assertEquals(4096, f.read(buf));
            assertEquals(4096, f.position());
        }
        assertEquals(EnumSet.of(Operation.OPEN, Operation.READ), reg.device("zero").orElseThrow().operations());
    }

    /** Per-open data: what open returns comes back to every call and to release. */
    @Test
    void privateDataFollowsTheFile() {
        StringBuilder released = new StringBuilder();
        FileOperations<StringBuilder> echo = new FileOperations<>() {
            public StringBuilder open(File file) { return new StringBuilder(); }
            public int write(StringBuilder data, File file, ByteBuffer src, long offset) {
                int n = src.remaining();
                byte[] b = new byte[n];
                src.get(b);
                data.append(new String(b));
                return n;
            }
            public int read(StringBuilder data, File file, ByteBuffer dst, long offset) {
                byte[] b = data.toString().getBytes();
                if (offset >= b.length) {
                    return 0;
                }
                int n = Math.min(dst.remaining(), b.length - (int) offset);
                dst.put(b, (int) offset, n);
                return n;
            }
            public long seek(StringBuilder data, File file, long offset, int whence) {
                return whence == OpenFile.SEEK_SET ? offset : file.position() + offset;
            }
            public void release(StringBuilder data, File file) { released.append(data).append(';'); }
        };
        reg.registerMisc("echo", MiscDevice.DYNAMIC_MINOR, echo);
        OpenFile a = reg.open("echo", OpenFlags.O_RDWR);
        OpenFile b = reg.open("echo", OpenFlags.O_RDWR);
        a.write(ByteBuffer.wrap("hello".getBytes()));
        b.write(ByteBuffer.wrap("other".getBytes()));
        assertEquals(0, a.seek(0, OpenFile.SEEK_SET));
        ByteBuffer in = ByteBuffer.allocate(16);
        assertEquals(5, a.read(in));
        assertArrayEquals("hello".getBytes(), java.util.Arrays.copyOf(in.array(), 5));
        assertEquals(0, a.read(ByteBuffer.allocate(4)), "end of file");
        assertEquals(2, reg.device("echo").orElseThrow().openCount());
        a.close();
        b.close();
        a.close(); // idempotent
        assertEquals("hello;other;", released.toString());
        assertEquals(0, reg.device("echo").orElseThrow().openCount());
        assertEquals(Errno.EBADF, errno(() -> a.write(ByteBuffer.allocate(1))));
        assertEquals(EnumSet.of(Operation.OPEN, Operation.RELEASE, Operation.READ, Operation.WRITE, Operation.SEEK),
                reg.device("echo").orElseThrow().operations());
    }

    @Test
    void accessModesAndBadWhenceAreChecked() {
        reg.registerMisc("dev", MiscDevice.DYNAMIC_MINOR, Kernel.openOnly());
        try (OpenFile ro = reg.open("dev", OpenFlags.O_RDONLY); OpenFile wo = reg.open("dev", OpenFlags.O_WRONLY)) {
            assertEquals(Errno.EBADF, errno(() -> ro.write(ByteBuffer.allocate(1))));
            assertEquals(Errno.EBADF, errno(() -> wo.read(ByteBuffer.allocate(1))));
            assertEquals(Errno.EINVAL, errno(() -> ro.seek(0, 7)));
        }
    }

    @Test
    void aDriverBugBecomesEioAndIsLoggedAndTheFileKeepsWorking() {
        FileOperations<Void> buggy = new FileOperations<>() {
            public Void open(File file) { return null; }
            public int read(Void d, File file, ByteBuffer dst, long offset) {
                if (dst.remaining() == 13) {
                    throw new IllegalStateException("bug");
                }
                return 0;
            }
        };
        reg.registerMisc("buggy", MiscDevice.DYNAMIC_MINOR, buggy);
        try (OpenFile f = reg.open("buggy", OpenFlags.O_RDONLY)) {
            KernelException e = assertThrows(KernelException.class, () -> f.read(ByteBuffer.allocate(13)));
            assertEquals(Errno.EIO, e.errno());
            assertTrue(e.getMessage().contains("driver test failed"), e.getMessage());
            assertEquals(0, f.read(ByteBuffer.allocate(1)));
        }
        assertTrue(kernel.log.stream().anyMatch(l -> l.startsWith("ERROR test: read on buggy threw")), kernel.log.toString());
    }

    @Test
    void anOpenThatFailsHoldsNothing() {
        FileOperations<Void> busy = (File f) -> {
            throw new KernelException(Errno.EBUSY, "open busy");
        };
        reg.registerMisc("busy", MiscDevice.DYNAMIC_MINOR, busy);
        assertEquals(Errno.EBUSY, errno(() -> reg.open("busy", OpenFlags.O_RDONLY)));
        assertEquals(0, reg.device("busy").orElseThrow().openCount());
    }
}
