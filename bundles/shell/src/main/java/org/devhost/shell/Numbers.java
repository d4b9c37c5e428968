package org.devhost.shell;

import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/** Numbers as commands take them: decimal or 0x hex, with K/M/G suffixes for sizes. */
final class Numbers {
    private Numbers() {}

    /** A non-negative count or size; {@code what} names it in the error. */
    static long count(String command, String what, String text) {
        long v = parse(command, what, text, true);
        if (v < 0) {
            throw new KernelException(Errno.EINVAL, "dev:" + command + ": " + what + " '" + text + "' must not be negative");
        }
        return v;
    }

    /** Any integer, decimal or 0x hex (an ioctl argument, a command number). */
    static long integer(String command, String what, String text) {
        return parse(command, what, text, false);
    }

    private static long parse(String command, String what, String text, boolean suffixes) {
        if (text == null) {
            throw new KernelException(Errno.EINVAL, "dev:" + command + ": no " + what + " given (a bare null is Gogo's"
                    + " null value)");
        }
        String t = text.trim();
        long scale = 1;
        if (suffixes && !t.isEmpty() && !t.startsWith("0x")) {
            char last = Character.toUpperCase(t.charAt(t.length() - 1));
            scale = switch (last) {
                case 'K' -> 1L << 10;
                case 'M' -> 1L << 20;
                case 'G' -> 1L << 30;
                default -> 1;
            };
            if (scale != 1) {
                t = t.substring(0, t.length() - 1);
            }
        }
        try {
            long v = t.startsWith("0x") || t.startsWith("0X") ? Long.parseUnsignedLong(t.substring(2), 16)
                    : t.startsWith("-0x") ? -Long.parseLong(t.substring(3), 16) : Long.parseLong(t);
            return Math.multiplyExact(v, scale);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new KernelException(Errno.EINVAL, "dev:" + command + ": " + what + " '" + text + "' is not a number");
        }
    }
}
