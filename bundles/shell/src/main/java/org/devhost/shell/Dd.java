package org.devhost.shell;

import java.nio.ByteBuffer;
import java.util.Locale;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;

/**
 * One {@code dd} run: copies blocks from one open device to another and reports as GNU dd does
 * ({@code N+M records in/out}, bytes, seconds, MB/s). A short read is a partial record; a short
 * write is written again until the block is out.
 */
record Dd(String input, String output, int blockSize, long count) {
    static final int MAX_BLOCK = 64 << 20;

    static Dd parse(String... operands) {
        String in = null;
        String out = null;
        long bs = 512;
        long count = -1;
        for (String op : operands) {
            int eq = op.indexOf('=');
            if (eq <= 0) {
                throw new KernelException(Errno.EINVAL, "dev:dd: operand '" + op + "' is not name=value (if=, of=, bs=, count=)");
            }
            String v = op.substring(eq + 1);
            switch (op.substring(0, eq)) {
                case "if" -> in = v;
                case "of" -> out = v;
                case "bs" -> bs = Numbers.count("dd", "bs", v);
                case "count" -> count = Numbers.count("dd", "count", v);
                default -> throw new KernelException(Errno.EINVAL, "dev:dd: unknown operand '" + op + "' (if=, of=, bs=, count=)");
            }
        }
        if (in == null || out == null) {
            throw new KernelException(Errno.EINVAL, "dev:dd: give both if=<device> and of=<device>");
        }
        if (bs < 1 || bs > MAX_BLOCK) {
            throw new KernelException(Errno.EINVAL, "dev:dd: bs must be 1 to " + MAX_BLOCK + " bytes");
        }
        return new Dd(in, out, (int) bs, count);
    }

    String run(OpenFile in, OpenFile out) {
        ByteBuffer block = ByteBuffer.allocateDirect(blockSize);
        long fullIn = 0;
        long partialIn = 0;
        long fullOut = 0;
        long partialOut = 0;
        long bytes = 0;
        long t0 = System.nanoTime();
        while (count < 0 || fullIn + partialIn < count) {
            if (Thread.currentThread().isInterrupted()) {
                break;
            }
            block.clear();
            int n = in.read(block);
            if (n == 0) {
                break;
            }
            if (n == blockSize) {
                fullIn++;
            } else {
                partialIn++;
            }
            block.flip();
            while (block.hasRemaining()) {
                if (out.write(block) == 0) {
                    throw new KernelException(Errno.EIO, "dev:dd: " + output + " took no bytes");
                }
            }
            if (n == blockSize) {
                fullOut++;
            } else {
                partialOut++;
            }
            bytes += n;
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        return String.format(Locale.ROOT, "%d+%d records in%n%d+%d records out%n%d bytes (%s) copied, %.6f s, %s/s",
                fullIn, partialIn, fullOut, partialOut, bytes, human(bytes), seconds,
                human(seconds > 0 ? (long) (bytes / seconds) : 0));
    }

    /** dd's units: kB, MB, GB in powers of 1000. */
    private static String human(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1f GB", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
        }
        if (n >= 1000L) {
            return String.format(Locale.ROOT, "%.1f kB", n / 1e3);
        }
        return n + " B";
    }
}
