package org.devhost.shell;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * The {@code hexdump -C} layout, written as the bytes arrive: offset, 16 bytes in two groups of 8,
 * the printable characters; a run of lines equal to the one before is shown once as '*'. Holds at
 * most one partial line and the previous line, whatever the length of the input. Not thread-safe:
 * one dump, one thread.
 */
final class Hexdump {
    private final PrintStream out;
    private final byte[] line = new byte[16];
    private byte[] previous;
    private int filled;
    private long offset;
    private boolean starred;

    /** @param start the offset of the first byte, as printed */
    Hexdump(PrintStream out, long start) {
        this.out = out;
        this.offset = start;
    }

    /** Formats the whole of {@code data} at once (what a test or a short read wants). */
    static String canonical(byte[] data, long start) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        Hexdump h = new Hexdump(new PrintStream(b, true, java.nio.charset.StandardCharsets.US_ASCII), start);
        h.feed(data, data.length);
        h.finish();
        return b.toString(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** Adds the first {@code n} bytes of {@code data}, printing every line they complete. */
    void feed(byte[] data, int n) {
        for (int i = 0; i < n; i++) {
            line[filled++] = data[i];
            if (filled == 16) {
                emit(16);
            }
        }
    }

    /**
     * Prints the partial last line and the final offset, ended by a newline as {@code hexdump -C}
     * ends it: without one, the next prompt of a piped shell would follow on the same line.
     */
    void finish() {
        if (filled > 0) {
            emit(filled);
        }
        out.print(String.format("%08x\n", offset));
    }

    private void emit(int n) {
        if (n == 16 && previous != null && Arrays.equals(line, previous)) {
            if (!starred) {
                out.print("*\n");
                starred = true;
            }
        } else {
            starred = false;
            StringBuilder sb = new StringBuilder(80).append(String.format("%08x ", offset));
            for (int j = 0; j < 16; j++) {
                sb.append(j == 8 ? "  " : " ");
                sb.append(j < n ? String.format("%02x", line[j] & 0xff) : "  ");
            }
            sb.append("  |");
            for (int j = 0; j < n; j++) {
                int c = line[j] & 0xff;
                sb.append(c >= 0x20 && c < 0x7f ? (char) c : '.');
            }
            out.print(sb.append("|\n"));
            previous = n == 16 ? line.clone() : null;
        }
        offset += n;
        filled = 0;
    }

    /** Bytes as {@code 01 02 ff}. */
    static String bytes(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < b.length; i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", b[i] & 0xff));
        }
        return sb.toString();
    }
}
