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
 * The memory devices of Linux's {@code drivers/char/mem.c} on major 1, table-driven as its
 * {@code devlist} is. Original: torvalds/linux {@code drivers/char/mem.c} (blob at commit
 * 03c11eb3b16d), with {@code random_fops}/{@code urandom_fops} of {@code drivers/char/random.c},
 * compared line by line: {@code null} (1:3: reads 0, writes take everything, seek is always 0),
 * {@code zero} (1:5: reads zeros, writes as null, seek 0), {@code full} (1:7: reads zeros, writes
 * ENOSPC, seek 0), {@code random} (1:8) and {@code urandom} (1:9: random bytes, writes mixed in,
 * seek leaves the position, {@code noop_llseek}). The region reserves 1:0-255 under the name
 * {@code mem}, as {@code register_chrdev(MEM_MAJOR, "mem", ...)} does; the other minors are ENXIO,
 * as {@code memory_open} says. Each node has devlist's mode: 0666 for all five (everyone may
 * read and write them); the rows left out have 0 ({@code mem}, {@code port}: devtmpfs's default,
 * root only) and 0644 ({@code kmsg}).
 *
 * <p>Left out on purpose: {@code mem} (1:1) and {@code port} (1:4), physical memory and I/O ports,
 * which a JVM cannot reach (the HAL reaches real nodes, and refuses those); {@code kmsg} (1:11),
 * whose role is {@code dev:dmesg}'s; mmap and splice, which devhost has not; random's ioctls
 * (entropy accounting, ENOTTY here) and its wait for an initialised pool (a {@link SecureRandom} is
 * seeded when made). Thread-safe: the devices keep no state but the shared pool.
 */
@KernelModule(name = "mem", author = "devhost", description = "null, zero, full, random and urandom (drivers/char/mem.c)",
        license = "GPL")
@Component(immediate = true)
public final class Mem {
    static final int MEM_MAJOR = 1;

    /** One row of mem.c's {@code devlist}: minor, name, operations and the node's mode. */
    record MemDev(int minor, String name, int mode, FileOperations<Void> ops) {}

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
                new MemDev(3, "null", 0666, new Null()),
                new MemDev(5, "zero", 0666, new Zero()),
                new MemDev(7, "full", 0666, new Full()),
                new MemDev(8, "random", 0666, new Random(pool)),
                new MemDev(9, "urandom", 0666, new Random(pool)));
        region = registry.chrdevRegion("mem", MEM_MAJOR, 0, 256);
        for (MemDev d : devlist) {
            region.register(d.minor(), d.name(), d.mode(), d.ops());
        }
    }

    @Deactivate
    void drop() {
        region.close();
    }
}
