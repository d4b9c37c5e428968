package org.devhost.shell;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.OpenFile;

/**
 * One {@code dd} run: copies blocks from one open device to another and reports as GNU dd does
 * ({@code N+M records in/out}, bytes, seconds, MB/s). A short read is a partial record; a short
 * write is written again until the block is out. One run per instance, on one thread.
 */
final class Dd {
    static final int MAX_BLOCK = 64 << 20;

    private final String input;
    private final String output;
    private final int blockSize;
    private final long count;
    private long fullIn;
    private long partialIn;
    private long fullOut;
    private long partialOut;
    private long bytes;

    private Dd(String input, String output, int blockSize, long count) {
        this.input = input;
        this.output = output;
        this.blockSize = blockSize;
        this.count = count;
    }

    String input() {
        return input;
    }

    String output() {
        return output;
    }

    static Dd parse(String... operands) {
        String in = null;
        String out = null;
        long bs = 512;
        long count = -1;
        for (String op : operands) {
            int eq = op == null ? -1 : op.indexOf('=');
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

    /**
     * Copies and prints the report. With no count it copies until the input ends, the output is
     * full (ENOSPC) or the command is interrupted (Ctrl-C, EINTR); as GNU dd does, the report of
     * what was copied is printed in every case, and a stop by an error then fails the command with
     * that errno.
     */
    void run(OpenFile in, OpenFile out, PrintStream console) {
        ByteBuffer block = ByteBuffer.allocateDirect(blockSize);
        long t0 = System.nanoTime();
        KernelException stop = null;
        try {
            while (count < 0 || fullIn + partialIn < count) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new KernelException(Errno.EINTR, "copy interrupted");
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
                    int w = out.write(block);
                    if (w == 0) {
                        throw new KernelException(Errno.EIO, output + " took no bytes");
                    }
                    bytes += w;
                }
                if (n == blockSize) {
                    fullOut++;
                } else {
                    partialOut++;
                }
            }
        } catch (KernelException e) {
            stop = e;
        }
        console.println(report((System.nanoTime() - t0) / 1e9));
        if (stop != null) {
            throw Failure.reported(new KernelException(stop.errno(), "dev:dd: stopped after " + bytes + " bytes: "
                    + Failure.what(stop), stop));
        }
    }

    private String report(double seconds) {
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
