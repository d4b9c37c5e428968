package org.devhost.kernel.impl;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Finds the threads running in a driver's code, to name them when revocation gives up waiting.
 *
 * <p>Why a stack scan: recording each caller's thread on the I/O path would cost every operation;
 * this runs only when a revocation wait has run out. A thread counts as stuck in the driver when
 * a frame of its stack belongs to the driver: the top-level class of its file operations, or any
 * class of that class's package (unless the package is the kernel's own, as for drivers written
 * inside the kernel's tests). The calling thread is never counted. Stateless.
 */
final class StuckThreads {
    private StuckThreads() {}

    /** One sentence naming the threads in the driver of {@code ops} and where each is. */
    static String describe(Object ops) {
        String name = ops.getClass().getName();
        String top = name.contains("$") ? name.substring(0, name.indexOf('$')) : name;
        String pkg = ops.getClass().getPackageName();
        boolean wholePackage = !pkg.isEmpty() && !pkg.startsWith("org.devhost.kernel");
        List<String> found = new ArrayList<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (e.getKey() == Thread.currentThread()) {
                continue;
            }
            for (StackTraceElement f : e.getValue()) {
                String c = f.getClassName();
                if (c.equals(top) || c.startsWith(top + "$") || (wholePackage && c.startsWith(pkg + "."))) {
                    found.add("'" + e.getKey().getName() + "' (" + e.getKey().getState() + ") at " + c + "."
                            + f.getMethodName() + "(" + f.getFileName() + ":" + f.getLineNumber() + ")");
                    break;
                }
            }
        }
        if (found.isEmpty()) {
            return "No thread is in the driver's code now.";
        }
        return "Abandoned in the driver (a Java thread cannot be stopped): " + String.join("; ", found) + ".";
    }
}
