package org.devhost.kernel.testing;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * A call into a driver on a thread of its own, which a test can wait to see parked in a kernel
 * wait before it does what should end the wait (a write, an interrupt, an unload).
 *
 * <pre>{@code
 * Caller<Integer> reader = Caller.start("reader", () -> file.read(buffer)).parked();
 * reader.thread().interrupt();            // EINTR, for certain in the wait
 * }</pre>
 *
 * <p>Thread-safe: the handle is immutable; the call runs once, on a daemon thread.
 *
 * @param <T> what the call returns
 */
public final class Caller<T> {
    /** How long {@link #parked} waits at most: a bound against a hung test, never a timing relied on. */
    static final Duration LIMIT = Duration.ofSeconds(30);

    private final FutureTask<T> result;
    private final Thread thread;

    private Caller(FutureTask<T> result, Thread thread) {
        this.result = result;
        this.thread = thread;
    }

    /** Runs {@code call} on a new daemon thread named {@code name}. */
    public static <T> Caller<T> start(String name, Callable<T> call) {
        FutureTask<T> task = new FutureTask<>(call);
        Thread t = new Thread(task, name);
        t.setDaemon(true);
        t.start();
        return new Caller<>(task, t);
    }

    /**
     * Returns once the thread is parked in a kernel wait.
     *
     * @throws AssertionError when the call ends first (it never waited) or does not park within
     *     {@link #LIMIT}
     */
    public Caller<T> parked() {
        try {
            TestKernel.awaitParked(thread, LIMIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + thread.getName() + " to park", e);
        } catch (AssertionError e) {
            if (result.isDone()) {
                throw new AssertionError(thread.getName() + " ended without waiting in the kernel", e);
            }
            throw e;
        }
        return this;
    }

    /** The thread the call runs on (to interrupt it, or to check its state). */
    public Thread thread() {
        return thread;
    }

    /** The call's result, or the exception it threw (wrapped in an ExecutionException). */
    public Future<T> result() {
        return result;
    }
}
