package org.devhost.kernel.impl.chrdev;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToIntFunction;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.IoctlArg;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.MiscDevice;
import org.devhost.kernel.OpenFile;
import org.devhost.kernel.OpenFlags;
import org.devhost.kernel.impl.Kernel;
import org.devhost.kernel.impl.registry.ModuleRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The counts a driver returns are checked before anyone uses them: a read that reports more bytes
 * than it put into the buffer would hand the caller whatever the buffer held before (devfs reuses
 * one reply buffer for every request of every client), a write that reports more than it was given
 * would move the position past data never written. Either is a driver fault: the caller gets EIO,
 * the log names the driver, the position stays, and the file keeps working.
 */
@Timeout(30)
class DriverCountTest {
    private static final byte[] STALE = "an earlier reply: another client's secret".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEWS = "news".getBytes(StandardCharsets.US_ASCII);

    private final Kernel kernel = new Kernel();
    private final ModuleRegistry liar = kernel.module("liar");
    private final ModuleRegistry user = kernel.module("user");
    /** What the driver does with the buffer it is given, returning the count it reports. */
    private volatile ToIntFunction<ByteBuffer> reply;
    private volatile long ioctlResult;

    {
        liar.registerMisc("liar", MiscDevice.DYNAMIC_MINOR, new FileOperations<Void>() {
            public Void open(File f) { return null; }
            public int read(Void d, File f, ByteBuffer dst, long off) { return reply.applyAsInt(dst); }
            public int write(Void d, File f, ByteBuffer src, long off) { return reply.applyAsInt(src); }
            public long seek(Void d, File f, long off, int whence) { return off; }
            public long ioctl(Void d, File f, int cmd, IoctlArg arg) { return ioctlResult; }
        });
    }

    /** A buffer as devfs hands one to a driver: direct, still holding an earlier request's bytes. */
    private static ByteBuffer usedBuffer() {
        ByteBuffer b = ByteBuffer.allocateDirect(64);
        b.put(STALE).clear();
        return b;
    }

    /** A way for the driver to lie: what it does with the buffer, and the count it then reports. */
    private record Lie(String what, ToIntFunction<ByteBuffer> driver) {}

    private static final List<Lie> BAD_READS = List.of(
            new Lie("puts 4 bytes, reports 14", dst -> { dst.put(NEWS); return 14; }),
            new Lie("puts nothing, reports remaining + 10", dst -> dst.remaining() + 10),
            new Lie("puts 4 bytes, then reports remaining + 10", dst -> { dst.put(NEWS); return dst.remaining() + 10; }),
            new Lie("reports -1", dst -> -1),
            new Lie("reports Integer.MIN_VALUE", dst -> Integer.MIN_VALUE));

    @Test
    void aReadCountAboveWhatTheDriverPutIsEioAndNoStaleByteGoesOut() {
        for (boolean positional : new boolean[] {false, true}) {
            for (Lie lie : BAD_READS) {
                String call = (positional ? "pread: " : "read: ") + lie.what();
                try (OpenFile f = user.open("liar", OpenFlags.O_RDONLY)) {
                    reply = lie.driver();
                    ByteBuffer dst = usedBuffer();
                    KernelException e = assertThrows(KernelException.class,
                            () -> { int n = positional ? f.read(dst, 0) : f.read(dst); }, call);
                    assertEquals(Errno.EIO, e.errno(), call);
                    assertTrue(e.getMessage().contains("driver liar failed"), call + ": " + e.getMessage());
                    assertEquals(0, f.position(), call);
                    assertLogged("ERROR liar: read on liar threw", call);

                    reply = honest -> { honest.put(NEWS); return NEWS.length; };
                    ByteBuffer next = usedBuffer();
                    assertEquals(NEWS.length, positional ? f.read(next, 0) : f.read(next), call + ": the file keeps working");
                }
            }
        }
    }

    private static final List<Lie> BAD_WRITES = List.of(
            new Lie("takes all 8 bytes, reports 9", src -> { src.position(src.limit()); return 9; }),
            new Lie("takes nothing, reports remaining + 10", src -> src.remaining() + 10),
            new Lie("reports -1", src -> -1));

    @Test
    void aWriteCountAboveWhatTheDriverWasGivenIsEio() {
        for (boolean positional : new boolean[] {false, true}) {
            for (Lie lie : BAD_WRITES) {
                String call = (positional ? "pwrite: " : "write: ") + lie.what();
                try (OpenFile f = user.open("liar", OpenFlags.O_WRONLY)) {
                    reply = lie.driver();
                    ByteBuffer src = ByteBuffer.wrap(Arrays.copyOf(STALE, 8));
                    KernelException e = assertThrows(KernelException.class,
                            () -> { int n = positional ? f.write(src, 0) : f.write(src); }, call);
                    assertEquals(Errno.EIO, e.errno(), call);
                    assertEquals(0, f.position(), call);
                    assertLogged("ERROR liar: write on liar threw", call);
                }
            }
        }
    }

    /** The check is no stricter than the contract: a short read or write that reports what it did passes. */
    @Test
    void honestShortCountsPassAndMoveThePosition() {
        try (OpenFile f = user.open("liar", OpenFlags.O_RDWR)) {
            reply = dst -> { dst.put(NEWS); return NEWS.length; };
            ByteBuffer dst = usedBuffer();
            assertEquals(4, f.read(dst));
            assertArrayEquals(NEWS, Arrays.copyOf(bytes(dst.flip()), 4));
            assertEquals(4, f.position());
            reply = src -> { src.position(src.position() + 3); return 3; };
            assertEquals(3, f.write(ByteBuffer.wrap(Arrays.copyOf(STALE, 8))));
            assertEquals(7, f.position());
            reply = dst2 -> 0;
            assertEquals(0, f.read(usedBuffer(), 0), "end of file");
        }
        assertTrue(kernel.log.isEmpty(), kernel.log.toString());
    }

    @Test
    void aNegativeIoctlResultIsEio() {
        try (OpenFile f = user.open("liar", OpenFlags.O_RDWR)) {
            for (long bad : new long[] {-1, -22, Long.MIN_VALUE}) {
                ioctlResult = bad;
                assertEquals(Errno.EIO, assertThrows(KernelException.class, () -> f.ioctl(1, 0)).errno(), "value " + bad);
                assertEquals(Errno.EIO, assertThrows(KernelException.class, () -> f.ioctl(1, usedBuffer())).errno(),
                        "pointer " + bad);
                assertLogged("ERROR liar: ioctl on liar threw", "ioctl returning " + bad);
            }
            ioctlResult = 7;
            assertEquals(7, f.ioctl(1, 0));
        }
    }

    private void assertLogged(String prefix, String call) {
        assertTrue(kernel.log.stream().anyMatch(l -> l.startsWith(prefix)), call + ": " + kernel.log);
        kernel.log.clear();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }
}
