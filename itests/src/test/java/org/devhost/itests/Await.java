package org.devhost.itests;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.devhost.kernel.KernelLog;
import org.devhost.kernel.LogLine;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;

/**
 * Polls a condition that other threads (SCR, Event Admin, the log) make true asynchronously. On a
 * timeout the failure carries the kernel log's last lines, so that it explains itself.
 */
final class Await {
    static final int LOG_LINES_SHOWN = 30;

    private Await() {}

    static void until(String what, BooleanSupplier condition) throws InterruptedException {
        until(() -> what, condition);
    }

    /** As above, with a description computed at timeout (to show the state that was reached). */
    static void until(Supplier<String> what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after 10 s waiting for: " + what.get() + lastLogLines());
            }
            Thread.sleep(10);
        }
    }

    /** The kernel log's last lines, or why there are none to show. */
    static String lastLogLines() {
        Bundle self = FrameworkUtil.getBundle(Await.class);
        BundleContext context = self == null ? null : self.getBundleContext();
        ServiceReference<KernelLog> ref = context == null ? null : context.getServiceReference(KernelLog.class);
        if (ref == null) {
            return "\n(no kernel log service to show)";
        }
        KernelLog log = context.getService(ref);
        try {
            List<LogLine> lines = log.lines();
            return "\nlast kernel log lines:\n" + lines.subList(Math.max(0, lines.size() - LOG_LINES_SHOWN), lines.size())
                    .stream().map(l -> "  " + l).collect(Collectors.joining("\n"));
        } finally {
            context.ungetService(ref);
        }
    }
}
