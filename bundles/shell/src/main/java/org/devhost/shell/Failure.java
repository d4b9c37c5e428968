package org.devhost.shell;

import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;

/**
 * How a command fails: Gogo reports the exception and the command's result is an error, never a
 * success with an error printed. Messages read like the Linux tools': {@code dev:cat: /dev/x:
 * Resource temporarily unavailable (EAGAIN)}.
 */
final class Failure {
    private Failure() {}

    /**
     * Ctrl-C interrupts the command's job; a kernel wait ends with EINTR and keeps the interrupt
     * status set, as a pending signal stays pending. When a command fails with EINTR the interrupt
     * is handled: the status is cleared, and the failure is also printed on the session's error
     * stream, because Gogo (1.1) replaces an interrupted job's result with its own
     * InterruptedException and would otherwise show that alone.
     */
    static KernelException reported(KernelException e) {
        if (e.errno() == Errno.EINTR) {
            Thread.interrupted();
            System.err.println(e.getMessage());
        }
        return e;
    }

    /**
     * {@code dev:<command>: <object>: <strerror> (<ENAME>)}, with the kernel's explanation before
     * the strerror when it gave one ({@code open x: <explanation>: ...}); the original is the cause.
     */
    static KernelException of(String command, String object, KernelException e) {
        String what = what(e);
        int colon = what.indexOf(": ");
        String detail = colon < 0 ? "" : ": " + what.substring(colon + 2);
        return reported(new KernelException(e.errno(), "dev:" + command + ": " + object + detail, e));
    }

    /** The kernel's message with the command in front, for errors whose detail matters (parameters, modules). */
    static KernelException detailed(String command, KernelException e) {
        return reported(new KernelException(e.errno(), "dev:" + command + ": " + what(e), e));
    }

    /** What failed, without the {@code ": strerror (ENAME)"} that every KernelException message ends with. */
    static String what(KernelException e) {
        String m = e.getMessage();
        return m.substring(0, m.lastIndexOf(": "));
    }
}
