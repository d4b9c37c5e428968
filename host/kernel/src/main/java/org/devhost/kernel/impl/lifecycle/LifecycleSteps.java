package org.devhost.kernel.impl.lifecycle;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.devhost.kernel.Errno;
import org.devhost.kernel.KernelException;
import org.devhost.kernel.impl.registry.KernelCore;
import org.osgi.framework.BundleException;

/**
 * Runs a module's lifecycle steps (the framework's start, stop and uninstall of its bundle, which
 * run the driver's init and drop) under a deadline, so that a driver whose init or drop never
 * returns cannot hold the module lock for ever: every caller (dev:insmod, dev:rmmod, dev:restart,
 * the supervisor, the web console) gets an answer in bounded time, and other modules' loads and
 * unloads go on.
 *
 * <p>A step runs on a thread of its own while the caller waits for it, holding the module lock.
 * A step past the deadline is left running (a Java thread cannot be stopped) and its module is
 * marked <em>stuck</em>: the caller gets ETIMEDOUT, the log names the thread and where it is, and
 * until the step returns every further step of that module is refused with EBUSY at once, before
 * the framework is asked (the framework would wait for the bundle's own lock, held by the stuck
 * step, without end). The mark goes when the step returns.
 *
 * <p>Why not the caller's thread with a timer: nothing can make a thread return from driver code;
 * only a caller that is not that thread can stop waiting for it. The step thread never takes the
 * module lock (nothing a bundle's start or stop runs in the kernel does), so the caller holding it
 * while it waits cannot deadlock with it. Thread-safe.
 */
public final class LifecycleSteps {
    /** Framework property: how long a lifecycle step may run, in milliseconds. */
    public static final String TIMEOUT_PROPERTY = "devhost.module.step.timeout.ms";
    static final long DEFAULT_TIMEOUT_MS = 30_000;

    /** A step of the framework that may throw what the framework throws. */
    public interface Step {
        void run() throws BundleException;
    }

    private record Stuck(String step, Thread thread, long sinceMillis) {}

    private final KernelCore core;
    private final long timeoutMs;
    private final Map<String, Stuck> stuck = new ConcurrentHashMap<>();

    public LifecycleSteps(KernelCore core, long timeoutMs) {
        this.core = core;
        this.timeoutMs = timeoutMs;
    }

    /** The timeout from the framework property, or the default when unset or not a positive number. */
    public static long timeout(String property) {
        try {
            long ms = property == null ? DEFAULT_TIMEOUT_MS : Long.parseLong(property.trim());
            return ms > 0 ? ms : DEFAULT_TIMEOUT_MS;
        } catch (NumberFormatException e) {
            return DEFAULT_TIMEOUT_MS;
        }
    }

    /** Whether a step of this module has not returned. */
    public boolean isStuck(String module) {
        return stuck.containsKey(module);
    }

    /** EBUSY when a step of this module has not returned; nothing of the framework is touched. */
    public void refuseIfStuck(String module) {
        Stuck s = stuck.get(module);
        if (s != null) {
            throw new KernelException(Errno.EBUSY, "module " + module + " is stuck: its " + s.step() + " has not returned since "
                    + new java.util.Date(s.sinceMillis()) + " (" + where(s.thread()) + "); nothing can be done with it until"
                    + " it returns, or until the host is restarted");
        }
    }

    /**
     * Runs {@code step} (e.g. "init", "drop") of {@code module} and returns when it returns, or
     * throws ETIMEDOUT at the deadline with the module marked stuck. What the step throws comes
     * out as it is. An interrupt of the caller does not cut the wait short: the step is under way
     * and the caller must not act as if it had not happened; the interrupt is kept.
     *
     * @param late what to do on the step's thread when a step that ran past the deadline returns
     *     at last (finish what the caller asked for, or undo it), or null
     */
    public void run(String module, String what, Step step, Runnable late) throws BundleException {
        refuseIfStuck(module);
        CompletableFuture<Void> done = new CompletableFuture<>();
        Stuck[] mark = new Stuck[1];
        Thread t = new Thread(() -> {
            try {
                step.run();
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
            // The step has ended: take back the mark the caller may have set at the deadline.
            Stuck m;
            synchronized (mark) {
                m = mark[0];
            }
            if (m != null && stuck.remove(module, m)) {
                core.log("INFO", module, "its " + what + " returned at last; the module is no longer stuck", null);
                if (late != null) {
                    late.run();
                }
            }
        }, "devhost " + what + " " + module);
        t.setDaemon(true);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        boolean interrupted = false;
        try {
            t.start();
            while (true) {
                try {
                    done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (TimeoutException e) {
                    // No second step of this module can start meanwhile: the caller holds the
                    // module lock until it returns, and from now on the mark refuses them.
                    Stuck m = new Stuck(what, t, System.currentTimeMillis());
                    synchronized (mark) {
                        mark[0] = m;
                    }
                    stuck.put(module, m);
                    if (done.isDone()) { // it returned just now: its end may not have seen the mark
                        stuck.remove(module, m);
                        continue;
                    }
                    String where = where(t);
                    core.log("ERROR", module, "its " + what + " has not returned after " + timeoutMs + " ms ("
                            + where + "); the module is stuck and refuses every step until it returns", null);
                    throw new KernelException(Errno.ETIMEDOUT, module + ": its " + what + " has not returned after "
                            + timeoutMs + " ms (" + where + "); the module is marked stuck, other modules go on"
                            + " (raise " + TIMEOUT_PROPERTY + " if it is only slow)");
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof BundleException be) {
                        throw be;
                    }
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The thread and its first frame outside the JDK: where the driver holds it. */
    private static String where(Thread t) {
        StackTraceElement[] stack = t.getStackTrace();
        for (StackTraceElement f : stack) {
            String c = f.getClassName();
            if (!c.startsWith("java.") && !c.startsWith("jdk.") && !c.startsWith("sun.")) {
                return "thread '" + t.getName() + "' (" + t.getState() + ") at " + c + "." + f.getMethodName() + "("
                        + f.getFileName() + ":" + f.getLineNumber() + ")";
            }
        }
        return "thread '" + t.getName() + "' (" + t.getState() + ")";
    }
}
