package org.devhost.kernel.impl.chrdev;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.devhost.kernel.impl.wait.WaitQueueImpl;

/**
 * Finds the threads running in a driver's code, to name them when revocation gives up waiting.
 *
 * <p>Why a stack scan: recording each caller's thread on the I/O path would cost every operation;
 * this runs only when a revocation wait has run out. A thread counts as stuck in the driver when
 * a frame of its stack belongs to the driver: the top-level class of its file operations, or any
 * class of that class's package (unless the package is the kernel's own, as for drivers written
 * inside the kernel's tests). The calling thread is never counted. Stateless.
 */
public final class StuckThreads {
    private StuckThreads() {}

    /** One sentence naming the threads in the driver of {@code ops} and where each is. */
    static String describe(Object ops) {
        List<String> found = new ArrayList<>();
        scan(ops, false, (t, f) -> found.add("'" + t.getName() + "' (" + t.getState() + ") at " + f.getClassName() + "."
                + f.getMethodName() + "(" + f.getFileName() + ":" + f.getLineNumber() + ")"));
        if (found.isEmpty()) {
            return "No thread is in the driver's code now.";
        }
        return "Abandoned in the driver (a Java thread cannot be stopped): " + String.join("; ", found) + ".";
    }

    /**
     * The threads in the driver of {@code ops} that are not {@link #parked} (a reader blocked in a
     * {@code WaitQueue} or in the HAL's wait for a host node is waiting, as it should; a thread
     * spinning, sleeping, or stuck on a lock of its own is running in the driver): what the
     * watchdog calls a hang and what a restart abandons.
     */
    public static List<Thread> running(Object ops) {
        List<Thread> found = new ArrayList<>();
        scan(ops, true, (t, f) -> {
            if (inFileOperation(t)) { // not the driver's own threads: an operation a caller waits for
                found.add(t);
            }
        });
        return found;
    }

    /**
     * Whether {@code t}, a thread known to be in an operation on a device of {@code ops}, runs in
     * the driver's code now rather than being {@link #parked} (in a kernel wait, or in the HAL's
     * wait for a host node): the watchdog's test for the one thread it suspects (one stack, not
     * every thread's).
     */
    public static boolean runningInDriver(Thread t, Object ops) {
        if (ops instanceof ForwardedOperations f) { // the driver runs elsewhere: there it is judged
            return f.runningInDriver(t);
        }
        StackTraceElement[] stack = t.getStackTrace();
        if (stack.length == 0 || parked(t, stack)) {
            return false; // ended, or waiting as it should
        }
        String[] driver = driverOf(ops);
        boolean wholePackage = driver[1] != null;
        for (StackTraceElement f : stack) {
            String c = f.getClassName();
            if (c.equals(driver[0]) || c.startsWith(driver[0] + "$") || (wholePackage && c.startsWith(driver[1] + "."))) {
                return true;
            }
        }
        return false;
    }

    /** {top-level class of ops, its package when the whole package counts as the driver's, else null}. */
    private static String[] driverOf(Object ops) {
        String name = ops.getClass().getName();
        String top = name.contains("$") ? name.substring(0, name.indexOf('$')) : name;
        String pkg = ops.getClass().getPackageName();
        return new String[] {top, !pkg.isEmpty() && !pkg.startsWith("org.devhost.kernel") ? pkg : null};
    }

    private static boolean inFileOperation(Thread t) {
        for (StackTraceElement f : t.getStackTrace()) {
            if (f.getClassName().equals(OpenFileImpl.class.getName())) {
                return true;
            }
        }
        return false;
    }

    private static void scan(Object ops, boolean skipParked, java.util.function.BiConsumer<Thread, StackTraceElement> found) {
        String name = ops.getClass().getName();
        String top = name.contains("$") ? name.substring(0, name.indexOf('$')) : name;
        String pkg = ops.getClass().getPackageName();
        boolean wholePackage = !pkg.isEmpty() && !pkg.startsWith("org.devhost.kernel");
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (e.getKey() == Thread.currentThread() || (skipParked && parked(e.getKey(), e.getValue()))) {
                continue;
            }
            for (StackTraceElement f : e.getValue()) {
                String c = f.getClassName();
                if (c.equals(top) || c.startsWith(top + "$") || (wholePackage && c.startsWith(pkg + "."))) {
                    found.accept(e.getKey(), f);
                    break;
                }
            }
        }
    }

    /**
     * The HAL's wait for a host node ({@code org.devhost.hal.common.NodeWait.await}, in both HAL
     * backends, which embed that package). A thread with this frame waits in {@code poll(2)} for a
     * real device (hostdev reading a pty nobody writes to), and leaves on the device, on close (the
     * module's unload closes its nodes) and on interrupt: parked, as a reader in a {@code WaitQueue}
     * is, not hung in its driver. Named as text because the kernel cannot import the HAL (the HAL
     * imports the kernel); the HAL's {@code InterruptWakesWaitersTest} checks that a waiting thread
     * shows this very frame, so a rename there fails its build rather than this check.
     */
    static final String HAL_WAIT_CLASS = "org.devhost.hal.common.NodeWait";
    static final String HAL_WAIT_METHOD = "await";

    /**
     * Parked: in a kernel wait (waiting, with a {@link WaitQueueImpl} frame, as TestKernel.isParked),
     * or in the HAL's wait for a host node (a {@link #HAL_WAIT_CLASS} frame, whatever the state: in
     * native code Java calls the thread RUNNABLE).
     */
    static boolean parked(Thread t, StackTraceElement[] stack) {
        for (StackTraceElement f : stack) {
            if (f.getClassName().equals(HAL_WAIT_CLASS) && f.getMethodName().equals(HAL_WAIT_METHOD)) {
                return true;
            }
        }
        Thread.State s = t.getState();
        if (s != Thread.State.WAITING && s != Thread.State.TIMED_WAITING) {
            return false;
        }
        for (StackTraceElement f : stack) {
            if (f.getClassName().equals(WaitQueueImpl.class.getName())) {
                return true;
            }
        }
        return false;
    }
}
