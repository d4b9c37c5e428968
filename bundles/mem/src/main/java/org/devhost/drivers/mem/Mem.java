package org.devhost.drivers.mem;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.List;
import org.devhost.kernel.ChrdevRegion;
import org.devhost.kernel.DeviceRegistry;
import org.devhost.kernel.Errno;
import org.devhost.kernel.File;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.KernelModule;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * The memory devices of Linux's {@code drivers/char/mem.c} on major 1, table-driven as there:
 * {@code null} (1:3), {@code zero} (1:5), {@code full} (1:7), {@code random} (1:8) and
 * {@code urandom} (1:9). The region reserves 1:0-255 under the name {@code mem}, as
 * {@code register_chrdev(MEM_MAJOR, "mem", ...)} does.
 */
@KernelModule(name = "mem", author = "devhost", description = "null, zero, full, random and urandom (drivers/char/mem.c)",
        license = "GPL")
@Component(immediate = true)
public final class Mem {
    static final int MEM_MAJOR = 1;

    /** One row of mem.c's {@code devlist}. */
    record MemDev(int minor, String name, FileOperations<Void> ops) {}

    /** Zeros to copy from; never written. */
    private static final byte[] ZEROS = new byte[4096];

    /** Reads of zero and full: fill the buffer with zeros, a page at a time. */
    static int readZero(ByteBuffer dst) {
        int n = dst.remaining();
        while (dst.hasRemaining()) {
            dst.put(ZEROS, 0, Math.min(ZEROS.length, dst.remaining()));
        }
        return n;
    }

    /** Writes to null and zero: everything is taken and dropped. */
    static int writeNull(ByteBuffer src) {
        int n = src.remaining();
        src.position(src.limit());
        return n;
    }

    /** {@code null_lseek}: the position is always 0. */
    static final class Null implements FileOperations<Void> {
        public Void open(File f) { return null; }
        public int read(Void d, File f, ByteBuffer dst, long off) { return 0; }
        public int write(Void d, File f, ByteBuffer src, long off) { return writeNull(src); }
        public long seek(Void d, File f, long off, int whence) { return 0; }
    }

    static final class Zero implements FileOperations<Void> {
        public Void open(File f) { return null; }
        public int read(Void d, File f, ByteBuffer dst, long off) { return readZero(dst); }
        public int write(Void d, File f, ByteBuffer src, long off) { return writeNull(src); }
        public long seek(Void d, File f, long off, int whence) { return 0; }
    }

    static final class Full implements FileOperations<Void> {
        public Void open(File f) { return null; }
        public int read(Void d, File f, ByteBuffer dst, long off) { return readZero(dst); }
        public int write(Void d, File f, ByteBuffer src, long off) {
            throw new KernelException(Errno.ENOSPC, "write " + f.deviceName());
        }
        public long seek(Void d, File f, long off, int whence) { return 0; }
    }

    /** random and urandom: one pool ({@link SecureRandom} is thread-safe); writes mix into it. */
    static final class Random implements FileOperations<Void> {
        private final SecureRandom pool;

        Random(SecureRandom pool) {
            this.pool = pool;
        }

        public Void open(File f) { return null; }

        public int read(Void d, File f, ByteBuffer dst, long off) {
            byte[] b = new byte[dst.remaining()];
            pool.nextBytes(b);
            dst.put(b);
            return b.length;
        }

        public int write(Void d, File f, ByteBuffer src, long off) {
            byte[] b = new byte[src.remaining()];
            src.get(b);
            pool.setSeed(b);
            return b.length;
        }

        /** {@code noop_llseek}: the position stays where it is. */
        public long seek(Void d, File f, long off, int whence) { return f.position(); }
    }

    private final ChrdevRegion region;

    @Activate
    public Mem(@Reference DeviceRegistry registry) {
        SecureRandom pool = new SecureRandom();
        List<MemDev> devlist = List.of(
                new MemDev(3, "null", new Null()),
                new MemDev(5, "zero", new Zero()),
                new MemDev(7, "full", new Full()),
                new MemDev(8, "random", new Random(pool)),
                new MemDev(9, "urandom", new Random(pool)));
        region = registry.chrdevRegion("mem", MEM_MAJOR, 0, 256);
        for (MemDev d : devlist) {
            region.register(d.minor(), d.name(), d.ops());
        }
    }

    @Deactivate
    void drop() {
        region.close();
    }
}
